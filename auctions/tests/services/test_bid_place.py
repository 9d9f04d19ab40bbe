from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctioneer.problems import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from auctions.models import Auction, AuctionState, Bid, Currency
from auctions.services import bid_place
from auctions.tests.factories import AuctionFactory
from auctions.tests.vectors import CASES
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def D(value: str) -> Decimal:
    return Decimal(value)


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_bidding_vectors_replay_through_the_service(case):
    auction = AuctionFactory.create(
        starting_price=D(case["starting_price"]),
        reserve_price=D(case["reserve_price"]) if case["reserve_price"] else None,
    )
    users = {name: UserFactory.create(username=f"v-{name}") for name in {b["bidder"] for b in case["bids"]}}
    for step, expected in enumerate(case["bids"]):
        kwargs = {
            "auction_id": auction.pk,
            "bidder": users[expected["bidder"]],
            "amount": D(expected["amount"]),
            "max_amount": D(expected["max_amount"]) if expected["max_amount"] else None,
        }
        if expected["status"] == 201:
            placement = bid_place(**kwargs)
            auction.refresh_from_db()
            assert auction.current_price == D(expected["current_price"]), step
            assert auction.leader_id == users[expected["leader"]].pk, step
            assert placement.minimum_bid == D(expected["minimum_bid"]), step
            assert placement.leading == (expected["leader"] == expected["bidder"]), step
        else:
            error = {400: InvalidInputError, 409: ConflictError}[expected["status"]]
            with pytest.raises(error):
                bid_place(**kwargs)
        _assert_rows_agree_with_the_auction(auction)


def _assert_rows_agree_with_the_auction(auction: Auction) -> None:
    auction.refresh_from_db()
    rows = list(Bid.objects.filter(auction=auction).order_by("id"))
    assert auction.bid_count == len(rows)
    if rows:
        leader_last = [row for row in rows if row.bidder_id == auction.leader_id][-1]
        assert leader_last.amount == auction.current_price
        assert max(row.amount for row in rows) == auction.current_price


def test_first_bid_leads_at_the_starting_price():
    auction = AuctionFactory.create(starting_price=D("10.00"))
    placement = bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("10.00"), max_amount=D("50"))
    assert placement.leading
    assert placement.auction.current_price == D("10.00")
    assert placement.bid.amount == D("10.00")
    assert placement.bid.max_amount == D("50")
    assert placement.minimum_bid == D("10.50")


def test_outbid_by_proxy_records_an_automatic_bid_for_the_leader():
    auction = AuctionFactory.create(starting_price=D("10.00"))
    b, c = UserFactory.create(), UserFactory.create()
    bid_place(auction_id=auction.pk, bidder=b, amount=D("10.00"), max_amount=D("50.00"))
    placement = bid_place(auction_id=auction.pk, bidder=c, amount=D("20.00"))
    assert not placement.leading
    assert placement.auction.current_price == D("20.50")
    rows = list(Bid.objects.filter(auction=auction).order_by("id").values_list("bidder_id", "amount", "is_automatic"))
    assert rows == [(b.pk, D("10.00"), False), (c.pk, D("20.00"), False), (b.pk, D("20.50"), True)]


def test_a_new_leader_with_a_low_amount_gets_an_automatic_row_at_the_new_price():
    auction = AuctionFactory.create(starting_price=D("10.00"))
    b, c = UserFactory.create(), UserFactory.create()
    bid_place(auction_id=auction.pk, bidder=b, amount=D("10.00"), max_amount=D("50.00"))
    placement = bid_place(auction_id=auction.pk, bidder=c, amount=D("11.00"), max_amount=D("100.00"))
    assert placement.leading
    assert placement.auction.current_price == D("51.00")
    assert list(Bid.objects.filter(auction=auction, bidder=c).order_by("id").values_list("amount", "is_automatic")) == [
        (D("11.00"), False),
        (D("51.00"), True),
    ]


def test_reserve_jump_when_the_leaders_ceiling_reaches_it():
    auction = AuctionFactory.create(starting_price=D("10.00"), reserve_price=D("100.00"))
    placement = bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("10.00"), max_amount=D("120"))
    assert placement.auction.current_price == D("100.00")
    assert placement.auction.reserve_met is True


def test_reserve_not_met_below_it():
    auction = AuctionFactory.create(starting_price=D("10.00"), reserve_price=D("100.00"))
    placement = bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("10.00"), max_amount=D("99"))
    assert placement.auction.current_price == D("10.00")
    assert placement.auction.reserve_met is False


def test_tie_keeps_the_earlier_ceiling():
    auction = AuctionFactory.create(starting_price=D("10.00"))
    b, c = UserFactory.create(), UserFactory.create()
    bid_place(auction_id=auction.pk, bidder=b, amount=D("10.00"), max_amount=D("30.00"))
    placement = bid_place(auction_id=auction.pk, bidder=c, amount=D("30.00"))
    assert not placement.leading
    assert placement.auction.leader_id == b.pk
    assert placement.auction.current_price == D("30.00")


def test_a_lower_ceiling_from_the_leader_changes_nothing():
    auction = AuctionFactory.create(starting_price=D("10.00"))
    b = UserFactory.create()
    bid_place(auction_id=auction.pk, bidder=b, amount=D("10.00"), max_amount=D("80.00"))
    placement = bid_place(auction_id=auction.pk, bidder=b, amount=D("10.50"), max_amount=D("20.00"))
    assert placement.auction.leader_ceiling == D("80.00")
    assert placement.auction.current_price == D("10.00")


def test_below_minimum_is_409_with_minimum_bid():
    auction = AuctionFactory.create(starting_price=D("10.00"))
    bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("10.00"))
    with pytest.raises(ConflictError) as raised:
        bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("10.25"))
    assert raised.value.extra == {"minimum_bid": "10.50"}


def test_jpy_increments_round_up_to_whole_yen():
    auction = AuctionFactory.create(currency=Currency.objects.get(code="JPY"), starting_price=D("1"))
    bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("1"))
    auction.refresh_from_db()
    # the increment below 5 is 0.25, which rounds up to 1 yen
    with pytest.raises(ConflictError) as raised:
        bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("1"))
    assert raised.value.extra == {"minimum_bid": "2"}


def test_decimals_beyond_the_currency_are_400():
    auction = AuctionFactory.create(currency=Currency.objects.get(code="JPY"), starting_price=D("100"))
    with pytest.raises(InvalidInputError) as raised:
        bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("100.5"))
    assert raised.value.errors is not None and "amount" in raised.value.errors


def test_the_seller_cannot_bid():
    auction = AuctionFactory.create()
    with pytest.raises(ForbiddenError):
        bid_place(auction_id=auction.pk, bidder=auction.seller, amount=D("10.00"))


def test_currency_must_match():
    auction = AuctionFactory.create()
    with pytest.raises(InvalidInputError):
        bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("10.00"), currency="USD")


def test_unknown_auction_is_404():
    with pytest.raises(NotFoundError):
        bid_place(auction_id=987654, bidder=UserFactory.create(), amount=D("10.00"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start_time": timezone.now() + timedelta(hours=1), "end_time": timezone.now() + timedelta(hours=2)},
        {"start_time": timezone.now() - timedelta(hours=2), "end_time": timezone.now() - timedelta(seconds=1)},
        {"state": AuctionState.CANCELLED},
        {"state": AuctionState.FULFILLED},
    ],
    ids=["scheduled", "ended", "cancelled", "fulfilled"],
)
def test_only_open_auctions_take_bids(kwargs):
    auction = AuctionFactory.create(**kwargs)
    with pytest.raises(ConflictError):
        bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("10.00"))
    assert not Bid.objects.exists()


def test_soft_close_moves_the_end():
    end = timezone.now() + timedelta(seconds=30)
    auction = AuctionFactory.create(end_time=end, extension_seconds=120)
    before = timezone.now()
    placement = bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("10.00"))
    assert placement.auction.end_time >= before + timedelta(seconds=120)
    auction.refresh_from_db()
    assert auction.end_time == placement.auction.end_time


def test_no_soft_close_far_from_the_end():
    auction = AuctionFactory.create(extension_seconds=120)
    end = auction.end_time
    bid_place(auction_id=auction.pk, bidder=UserFactory.create(), amount=D("10.00"))
    auction.refresh_from_db()
    assert auction.end_time == end


def test_max_amount_below_amount_is_400():
    with pytest.raises(InvalidInputError):
        bid_place(auction_id=1, bidder=UserFactory.create(), amount=D("20"), max_amount=D("10"))
