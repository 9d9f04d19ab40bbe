"""Row locks on PostgreSQL: bids on one auction wait for each other, bids on another do not.
(SQLite has no row locks: BEGIN IMMEDIATE serialises every writer, by design.)"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from auctions.models import Auction
from auctions.services import bid_place
from auctions.tests.factories import AuctionFactory
from authorization.tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's; SQLite locks the file"),
]

HOLD_SECONDS = 1.5


def _hold_lock(auction_id: int, locked: threading.Event) -> None:
    try:
        with transaction.atomic():
            Auction.objects.select_for_update().get(pk=auction_id)
            locked.set()
            time.sleep(HOLD_SECONDS)
    finally:
        connections.close_all()


def _bid_duration(held: Auction, target: Auction) -> float:
    bidder = UserFactory.create()
    locked = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(held.pk, locked))
    holder.start()
    assert locked.wait(10)
    started = time.monotonic()
    bid_place(auction_id=target.pk, bidder=bidder, amount=Decimal("10.00"))
    duration = time.monotonic() - started
    holder.join()
    return duration


def test_a_bid_on_another_auction_does_not_wait():
    first, second = AuctionFactory.create(), AuctionFactory.create()
    assert first.currency_id == second.currency_id  # same currency row: only the auction row is locked
    assert _bid_duration(held=first, target=second) < HOLD_SECONDS / 2


def test_a_bid_on_the_same_auction_waits_for_the_lock():
    auction = AuctionFactory.create()
    assert _bid_duration(held=auction, target=auction) >= HOLD_SECONDS * 0.8
