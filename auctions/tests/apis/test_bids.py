from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from auctions.models import Auction, Bid, Currency
from auctions.tests.factories import AuctionFactory
from auctions.tests.vectors import CASES
from authorization.tests.factories import PASSWORD, UserFactory
from workers.services import auctions_settle_due

pytestmark = pytest.mark.django_db


def bids_url(auction) -> str:
    return reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})


def auction_url(auction) -> str:
    return reverse("auctions:auction-detail", kwargs={"auction_id": auction.pk})


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_bidding_vectors_replay_through_the_api(case, client_for, api_client):
    auction = AuctionFactory.create(
        starting_price=Decimal(case["starting_price"]),
        reserve_price=Decimal(case["reserve_price"]) if case["reserve_price"] else None,
    )
    clients = {name: client_for(UserFactory.create(username=name)) for name in {b["bidder"] for b in case["bids"]}}
    for step, expected in enumerate(case["bids"]):
        body = {"amount": expected["amount"]}
        if expected["max_amount"]:
            body["max_amount"] = expected["max_amount"]
        response = clients[expected["bidder"]].post(bids_url(auction), body, format="json")
        assert response.status_code == expected["status"], (step, response.json())
        assert response["Content-Type"] == (
            "application/json" if expected["status"] == 201 else "application/problem+json"
        )
        if expected["status"] != 201:
            continue
        placed = response.json()
        assert placed["current_price"] == expected["current_price"], step
        assert placed["minimum_bid"] == expected["minimum_bid"], step
        assert placed["leading"] == (expected["leader"] == expected["bidder"]), step
        shown = api_client.get(auction_url(auction)).json()
        assert shown["current_price"] == expected["current_price"], step
        assert shown["minimum_bid"] == expected["minimum_bid"], step
        assert shown["leading_bidder"]["username"] == expected["leader"], step


def test_acceptance_proxy_scenario_and_idempotent_replay(client_for, api_client):
    seller = UserFactory.create(username="a")
    auction = AuctionFactory.create(item__owner=seller, starting_price=Decimal("10.00"))
    b, c = client_for(UserFactory.create(username="b")), client_for(UserFactory.create(username="c"))

    r = b.post(bids_url(auction), {"amount": "10.00", "max_amount": "50.00"}, format="json")
    assert r.status_code == HTTPStatus.CREATED
    assert r.json()["current_price"] == "10.00" and r.json()["leading"] is True

    r = c.post(bids_url(auction), {"amount": "20.00"}, format="json")
    assert r.status_code == HTTPStatus.CREATED
    assert (r.json()["current_price"], r.json()["leading"]) == ("20.50", False)

    r = c.post(bids_url(auction), {"amount": "5.00"}, format="json")
    assert r.status_code == HTTPStatus.CONFLICT
    assert r.json()["minimum_bid"] == "21.00"
    assert r.json()["status"] == 409

    r = c.post(bids_url(auction), {"amount": "60.00"}, format="json", HTTP_IDEMPOTENCY_KEY="c-60")
    assert r.status_code == HTTPStatus.CREATED
    assert (r.json()["current_price"], r.json()["leading"]) == ("51.00", True)
    count = Bid.objects.count()

    replay = c.post(bids_url(auction), {"amount": "60.00"}, format="json", HTTP_IDEMPOTENCY_KEY="c-60")
    assert replay.status_code == HTTPStatus.CREATED
    assert replay.json() == r.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Bid.objects.count() == count
    shown = api_client.get(auction_url(auction)).json()
    assert shown["current_price"] == "51.00"
    assert shown["leading_bidder"]["username"] == "c"
    assert shown["bid_count"] == count


def test_a_leaders_lower_ceiling_changes_nothing_and_the_answer_shows_the_one_that_stands(client_for):
    auction = AuctionFactory.create(starting_price=Decimal("10.00"))
    b, c = client_for(UserFactory.create()), client_for(UserFactory.create())
    b.post(bids_url(auction), {"amount": "10.00", "max_amount": "100.00"}, format="json")
    c.post(bids_url(auction), {"amount": "20.00"}, format="json")

    r = b.post(bids_url(auction), {"amount": "21.50", "max_amount": "30.00"}, format="json")
    assert r.status_code == HTTPStatus.CREATED
    assert (r.json()["max_amount"], r.json()["current_price"], r.json()["leading"]) == ("100.00", "20.50", True)
    assert b.get(reverse("auctions:me-bids")).json()["results"][0]["max_amount"] == "100.00"

    # The ceiling that stands is 100: c's 40 still leaves b leading, at 41.
    r = c.post(bids_url(auction), {"amount": "40.00"}, format="json")
    assert (r.json()["current_price"], r.json()["leading"]) == ("41.00", False)


def test_acceptance_reserve_jump_and_the_reserve_never_shown(client_for, api_client):
    seller = UserFactory.create()
    auction = AuctionFactory.create(item__owner=seller, starting_price=Decimal("10.00"), reserve_price=Decimal("100"))
    before = api_client.get(auction_url(auction)).json()
    assert before["reserve_met"] is False
    bidder = client_for(UserFactory.create())
    r = bidder.post(bids_url(auction), {"amount": "10.00", "max_amount": "120.00"}, format="json")
    assert r.status_code == HTTPStatus.CREATED
    assert r.json()["current_price"] == "100.00"
    responses = [
        r,
        api_client.get(auction_url(auction)),
        client_for(seller).get(auction_url(auction)),
        api_client.get(reverse("auctions:auction-list")),
        client_for(seller).get(reverse("auctions:me-auctions")),
        api_client.get(bids_url(auction)),
    ]
    shown = responses[1].json()
    assert shown["reserve_met"] is True
    assert shown["current_price"] == "100.00"
    for response in responses:
        assert "reserve_price" not in response.content.decode()
    # the reserve amount itself only shows as the price it jumped to, never as a field
    assert "reserve_price" not in shown


def test_bid_response_shape(client_for):
    auction = AuctionFactory.create()
    bidder = UserFactory.create(username="bidder1")
    r = client_for(bidder).post(bids_url(auction), {"amount": 12, "max_amount": "15.5"}, format="json")
    assert r.status_code == HTTPStatus.CREATED
    body = r.json()
    assert set(body) == {
        "id",
        "bidder",
        "amount",
        "max_amount",
        "is_automatic",
        "placed_at",
        "is_winning",
        "current_price",
        "minimum_bid",
        "leading",
        "end_time",
    }
    # The bid is the row the bid history lists (the bidder's own, so with its ceiling), field for field.
    history = client_for(bidder).get(bids_url(auction)).json()["results"][0]
    assert {key: body[key] for key in history} == history
    assert body["bidder"] == {"id": bidder.pk, "username": "bidder1"}
    assert body["amount"] == "10.00"  # capped at the price: the amount never shows more than the price
    assert body["max_amount"] == "15.50"
    assert body["is_automatic"] is False
    assert body["placed_at"].endswith("Z") and body["end_time"].endswith("Z")


def test_bid_needs_a_token(api_client):
    auction = AuctionFactory.create()
    r = api_client.post(bids_url(auction), {"amount": "10.00"}, format="json")
    assert r.status_code == HTTPStatus.UNAUTHORIZED
    assert r["Content-Type"] == "application/problem+json"
    assert "Bearer" in r["WWW-Authenticate"]


def test_seller_bidding_is_403(client_for):
    auction = AuctionFactory.create()
    r = client_for(auction.seller).post(bids_url(auction), {"amount": "10.00"}, format="json")
    assert r.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(
    ("body", "auction_exists", "status"),
    [
        ({"amount": "abc"}, False, HTTPStatus.BAD_REQUEST),  # rule 0 before the 404
        ({"amount": "20", "max_amount": "10"}, False, HTTPStatus.BAD_REQUEST),
        ({"amount": "10.00"}, False, HTTPStatus.NOT_FOUND),
        ({"amount": "10.001"}, True, HTTPStatus.BAD_REQUEST),
        ({"amount": "10.00", "currency": "USD"}, True, HTTPStatus.BAD_REQUEST),
        ({"amount": "9.99"}, True, HTTPStatus.CONFLICT),
        ({"amount": "10.00", "currency": "EUR"}, True, HTTPStatus.CREATED),
        ({"amount": "10.00", "currency": "eur"}, True, HTTPStatus.CREATED),  # any case, as in POST auctions
    ],
)
def test_validation_order(client_for, body, auction_exists, status):
    auction = AuctionFactory.create()
    url = bids_url(auction) if auction_exists else reverse("auctions:auction-bids", kwargs={"auction_id": 99999})
    r = client_for(UserFactory.create()).post(url, body, format="json")
    assert r.status_code == status, r.json()


def test_body_errors_come_before_the_auction_state(client_for):
    auction = AuctionFactory.create(state="cancelled")
    r = client_for(auction.seller).post(bids_url(auction), {"amount": "-1"}, format="json")
    assert r.status_code == HTTPStatus.BAD_REQUEST
    assert "amount" in r.json()["errors"]


def test_closed_auction_is_409_before_the_seller_check(client_for):
    auction = AuctionFactory.create(state="cancelled")
    r = client_for(auction.seller).post(bids_url(auction), {"amount": "10.00"}, format="json")
    assert r.status_code == HTTPStatus.CONFLICT


def test_jpy_amounts_have_no_decimals(client_for):
    auction = AuctionFactory.create(currency=Currency.objects.get(code="JPY"), starting_price=Decimal("1500"))
    r = client_for(UserFactory.create()).post(bids_url(auction), {"amount": 1500}, format="json")
    assert r.status_code == HTTPStatus.CREATED
    assert r.json()["current_price"] == "1500"
    assert r.json()["minimum_bid"] == "1525"
    r = client_for(UserFactory.create()).post(bids_url(auction), {"amount": "1525.50"}, format="json")
    assert r.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("amount", ["10.123", "10.12345"])
def test_too_many_decimals_are_refused_by_the_currencys_rule(client_for, amount):
    """Whether more places than the currency's or more than any currency's, the answer names the
    currency's minor units, so that one correction is enough."""
    auction = AuctionFactory.create(starting_price=Decimal("10.00"))  # EUR: 2 places
    r = client_for(UserFactory.create()).post(bids_url(auction), {"amount": amount}, format="json")
    assert r.status_code == HTTPStatus.BAD_REQUEST
    message = r.json()["errors"]["amount"][0]
    assert "EUR has 2" in message or "the currency's minor units" in message, message


def test_bid_history_newest_first_with_private_ceilings(client_for, api_client):
    auction = AuctionFactory.create()
    b_user, c_user = UserFactory.create(), UserFactory.create()
    b, c = client_for(b_user), client_for(c_user)
    b.post(bids_url(auction), {"amount": "10.00", "max_amount": "50.00"}, format="json")
    c.post(bids_url(auction), {"amount": "20.00"}, format="json")

    public = api_client.get(bids_url(auction)).json()
    assert public["count"] == 3
    rows = public["results"]
    assert [(row["bidder"]["id"], row["amount"], row["is_automatic"]) for row in rows] == [
        (b_user.pk, "20.50", True),
        (c_user.pk, "20.00", False),
        (b_user.pk, "10.00", False),
    ]
    assert all("max_amount" not in row for row in rows)
    assert all(row["is_winning"] is False for row in rows)
    assert "50.00" not in api_client.get(bids_url(auction)).content.decode()

    own = b.get(bids_url(auction)).json()["results"]
    assert [row.get("max_amount") for row in own] == [None, None, "50.00"]
    assert "max_amount" not in own[1]  # c's bid, seen by b


def test_bid_history_marks_the_winning_bid(api_client):
    auction = AuctionFactory.create()
    bid = Bid.objects.create(auction=auction, bidder=UserFactory.create(), amount=Decimal("10"))
    auction.winning_bid = bid
    auction.state = "fulfilled"
    auction.save()
    rows = api_client.get(bids_url(auction)).json()["results"]
    assert rows[0]["is_winning"] is True
    shown = api_client.get(auction_url(auction)).json()
    assert shown["status"] == "fulfilled"
    assert shown["winning_bid"]["id"] == bid.pk
    assert shown["winning_bid"]["amount"] == "10.00"


def test_bid_history_of_unknown_auction_is_404(api_client):
    r = api_client.get(reverse("auctions:auction-bids", kwargs={"auction_id": 4242}))
    assert r.status_code == HTTPStatus.NOT_FOUND
    assert r["Content-Type"] == "application/problem+json"


def test_soft_close_through_the_api(client_for):
    auction = AuctionFactory.create(end_time=timezone.now() + timedelta(seconds=20), extension_seconds=300)
    r = client_for(UserFactory.create()).post(bids_url(auction), {"amount": "10.00"}, format="json")
    assert r.status_code == HTTPStatus.CREATED
    from django.utils.dateparse import parse_datetime

    new_end = parse_datetime(r.json()["end_time"])
    assert new_end is not None and new_end >= timezone.now() + timedelta(seconds=290)


def test_a_bid_is_a_fixed_small_number_of_queries(client_for, django_assert_max_num_queries):
    auction = AuctionFactory.create()
    first, second = client_for(UserFactory.create()), client_for(UserFactory.create())
    first.post(bids_url(auction), {"amount": "10.00", "max_amount": "40.00"}, format="json")
    # token lookup, auction lock, bulk insert, update, idempotency lookup+insert, savepoints
    with django_assert_max_num_queries(12):
        r = second.post(bids_url(auction), {"amount": "20.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert r.status_code == HTTPStatus.CREATED


def test_a_read_only_token_cannot_write(make_token, api_client):
    auction = AuctionFactory.create()
    bidder = UserFactory.create()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(bidder, scope='read')}")
    r = api_client.post(bids_url(auction), {"amount": "10.00"}, format="json")
    assert r.status_code == HTTPStatus.FORBIDDEN
    assert "write" in r.json()["detail"]
    # RFC 6750 §3.1: the challenge names what is missing.
    assert r["WWW-Authenticate"].startswith('Bearer realm="api"')
    assert 'error="insufficient_scope"' in r["WWW-Authenticate"]
    assert 'scope="write"' in r["WWW-Authenticate"]
    assert api_client.get(bids_url(auction)).status_code == HTTPStatus.OK
    assert not Bid.objects.exists()


def test_a_deactivated_accounts_auctions_and_bids_stay_in_force(client_for, api_client):
    """DELETE account keeps its history (SPEC.md); the README says what that means for auctions:
    a deactivated seller's open auction keeps taking bids and settles as usual, and a
    deactivated bidder's ceiling keeps leading and can win."""
    seller, leader, rival = UserFactory.create_batch(3)
    auction = AuctionFactory.create(item__owner=seller, starting_price=Decimal("10.00"))
    first = client_for(leader).post(bids_url(auction), {"amount": "10.00", "max_amount": "30.00"}, format="json")
    assert first.status_code == HTTPStatus.CREATED
    for gone in (seller, leader):
        deleted = client_for(gone).delete(reverse("authorization:account"), {"password": PASSWORD}, format="json")
        assert deleted.status_code == HTTPStatus.NO_CONTENT

    outbid = client_for(rival).post(bids_url(auction), {"amount": "20.00"}, format="json")

    assert outbid.status_code == HTTPStatus.CREATED, outbid.json()
    assert (outbid.json()["leading"], outbid.json()["current_price"]) == (False, "20.50")
    Auction.objects.filter(pk=auction.pk).update(end_time=timezone.now())
    auctions_settle_due()
    settled = api_client.get(auction_url(auction)).json()
    assert (settled["status"], settled["seller"]["username"]) == ("fulfilled", seller.username)
    winner = settled["winning_bid"]
    assert (winner["bidder"]["username"], winner["amount"]) == (leader.username, "20.50")
