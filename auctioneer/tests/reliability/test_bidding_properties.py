"""For any sequence of bids from any bidders, `auctions.services.bid_place` leaves the
auction exactly where the reference model of SPEC.md's rules says: price, leader, minimum
bid, reserve, soft close, and the same refusals."""

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from unittest import mock

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auctioneer.problems import ApplicationError
from auctions.services import bid_place
from auctions.tests.factories import AuctionFactory, ItemFactory
from authorization.tests.factories import UserFactory

from .bidding_model import ModelAuction

EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "1000"))
BIDDERS = ["ann", "ben", "cat", "dan", "seller"]
CENT = Decimal("0.01")
START = datetime(2031, 3, 1, 12, tzinfo=UTC)

cents = st.one_of(st.integers(5, 99), st.integers(100, 2_500), st.integers(2_500, 30_000), st.integers(30_000, 700_000))


def _money(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


@pytest.mark.django_db(transaction=False)
def test_bid_place_matches_the_reference_model(reliability_record):
    users = {name: UserFactory.create(username=f"prop-{name}") for name in BIDDERS}
    by_id = {user.pk: name for name, user in users.items()}
    counts = {"examples": 0, "bids": 0}
    clock = [START]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        clock[0] = START
        starting_price = _money(data.draw(cents, label="starting_price"))
        reserve_price = data.draw(
            st.none() | st.integers(0, 300_000).map(lambda c: starting_price + _money(c)), label="reserve_price"
        )
        duration = timedelta(seconds=data.draw(st.integers(30, 7_200), label="duration_s"))
        extension = data.draw(st.sampled_from([0, 0, 30, 120, 600, 3_600]), label="extension_seconds")
        model = ModelAuction(
            starting_price=starting_price,
            reserve_price=reserve_price,
            start_time=START,
            end_time=START + duration,
            extension_seconds=extension,
        )
        with transaction.atomic():
            auction = AuctionFactory.create(
                item=ItemFactory.create(owner=users["seller"]),
                starting_price=starting_price,
                current_price=starting_price,
                reserve_price=reserve_price,
                start_time=START,
                end_time=START + duration,
                extension_seconds=extension,
            )
            for _ in range(data.draw(st.integers(1, 14), label="bids")):
                clock[0] += timedelta(seconds=data.draw(st.integers(0, 400), label="wait_s"))
                bidder = data.draw(st.sampled_from(BIDDERS), label="bidder")
                offset = data.draw(
                    st.just(0) | st.integers(-60, 60) | st.integers(0, 200_000), label="amount_over_minimum_cents"
                )
                amount = max(CENT, model.minimum_bid + _money(offset))
                max_offset = data.draw(st.none() | st.integers(-100, 400_000), label="max_over_amount_cents")
                max_amount = None if max_offset is None else max(CENT, amount + _money(max_offset))
                expected = model.bid(bidder=bidder, amount=amount, max_amount=max_amount, now=clock[0])
                try:
                    placed = bid_place(
                        auction_id=auction.pk, bidder=users[bidder], amount=amount, max_amount=max_amount
                    )
                except ApplicationError as exc:
                    assert exc.status_code == expected.status, (exc.status_code, exc.detail, expected)
                    if expected.minimum_bid is not None:
                        assert Decimal(exc.extra["minimum_bid"]) == expected.minimum_bid
                else:
                    assert expected.status == HTTPStatus.CREATED, expected
                    after = placed.auction
                    assert (after.current_price, by_id.get(after.leader_id), placed.minimum_bid) == (
                        expected.current_price,
                        expected.leader,
                        expected.minimum_bid,
                    )
                    assert placed.leading == expected.leading
                    assert after.end_time == expected.end_time
                    assert after.reserve_met == model.reserve_met
                counts["bids"] += 1
            transaction.set_rollback(True)
        counts["examples"] += 1

    with mock.patch("django.utils.timezone.now", lambda: clock[0]):
        check()
    assert counts["examples"] >= EXAMPLES
    reliability_record("property", "random bid sequences: bid_place vs reference model (examples)", counts["examples"])
    reliability_record("property", "bids compared with the reference model", counts["bids"])
