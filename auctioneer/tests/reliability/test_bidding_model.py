"""The reference model itself replays SPEC.md's worked examples (bidding-vectors.json)
before it is trusted to judge the real service."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest

from auctions.tests.vectors import CASES as VECTORS

from .bidding_model import ModelAuction, increment_at

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@pytest.mark.parametrize("case", VECTORS, ids=[f"case{i}" for i in range(len(VECTORS))])
def test_model_replays_the_worked_examples(case, reliability_record):
    auction = ModelAuction(
        starting_price=Decimal(case["starting_price"]),
        reserve_price=_money(case["reserve_price"]),
        end_time=NOW + timedelta(hours=1),
    )
    for step, bid in enumerate(case["bids"]):
        outcome = auction.bid(
            bidder=bid["bidder"],
            amount=Decimal(bid["amount"]),
            max_amount=_money(bid["max_amount"]),
            now=NOW,
        )
        assert outcome.status == bid["status"], (step, bid)
        if bid["status"] == HTTPStatus.CREATED:
            assert (outcome.current_price, outcome.leader, outcome.minimum_bid) == (
                Decimal(bid["current_price"]),
                bid["leader"],
                Decimal(bid["minimum_bid"]),
            ), (step, bid)
    reliability_record("model", "worked-example bids replayed through the reference model", len(case["bids"]))


@pytest.mark.parametrize(
    ("price", "increment"),
    [("0.99", "0.05"), ("1", "0.25"), ("24.99", "0.50"), ("25", "1"), ("999", "10"), ("5000", "100")],
)
def test_increment_table_bounds_are_exclusive(price, increment):
    assert increment_at(Decimal(price)) == Decimal(increment)


def test_soft_close_moves_end_time_to_now_plus_extension():
    auction = ModelAuction(starting_price=Decimal("10"), end_time=NOW + timedelta(seconds=30), extension_seconds=60)
    outcome = auction.bid(bidder="ann", amount=Decimal("10"), now=NOW)
    assert outcome.end_time == NOW + timedelta(seconds=60)
    later = auction.bid(bidder="ben", amount=Decimal("10.50"), now=NOW - timedelta(seconds=10))
    assert later.end_time == NOW + timedelta(seconds=60)  # 70 s left ≥ 60 s: unchanged
    assert auction.bid(bidder="cat", amount=Decimal("20"), now=NOW + timedelta(seconds=60)).status == 409


def test_seller_and_bad_bodies_are_refused_without_state_change():
    auction = ModelAuction(starting_price=Decimal("10"), end_time=NOW + timedelta(hours=1))
    assert auction.bid(bidder="seller", amount=Decimal("10"), now=NOW).status == HTTPStatus.FORBIDDEN
    assert auction.bid(bidder="ann", amount=Decimal("10"), max_amount=Decimal("9"), now=NOW).status == 400
    assert (auction.accepted, auction.leader, auction.current_price) == (0, None, Decimal("10"))
