"""Rows for the worker tests, created in bulk; also run inside subprocesses through
`manage.py shell -c` against a throwaway database (see workers/tests/conftest.py)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from auctions.models import Auction, AuctionState, Bid, Currency, Item, ItemCondition
from authorization.models import User
from workers.models import Notification


def seed_due_auctions(count: int, *, unsold_every: int = 10, ended_ago: float = 1.0) -> list[int]:
    """`count` active auctions whose end has passed: every `unsold_every`-th has no bid, the
    others two bids with the second bidder leading at 11.00 EUR (as the bidding service
    would leave them). Returns the auction ids."""
    now = timezone.now()
    tag = Auction.objects.count()
    password = make_password(None)
    seller, first, second = User.objects.bulk_create(
        User(username=f"{role}{tag}", email=f"{role}{tag}@example.com", password=password)
        for role in ("seller", "alice", "bob")
    )
    condition = ItemCondition.objects.get(code="used")
    eur = Currency.objects.get(code="EUR")
    items = Item.objects.bulk_create(
        Item(owner=seller, title=f"Lot {tag + n}", condition=condition) for n in range(count)
    )
    auctions = Auction.objects.bulk_create(
        Auction(
            item=item,
            seller=seller,
            currency=eur,
            starting_price=Decimal("10.00"),
            current_price=Decimal("10.00") if n % unsold_every == 0 else Decimal("11.00"),
            bid_count=0 if n % unsold_every == 0 else 2,
            leader=None if n % unsold_every == 0 else second,
            leader_ceiling=None if n % unsold_every == 0 else Decimal("20.00"),
            runner_up_ceiling=None if n % unsold_every == 0 else Decimal("10.00"),
            start_time=now - timedelta(hours=1),
            end_time=now - timedelta(seconds=ended_ago),
        )
        for n, item in enumerate(items)
    )
    Bid.objects.bulk_create(
        bid
        for n, auction in enumerate(auctions)
        if n % unsold_every
        for bid in (
            Bid(auction=auction, bidder=first, amount=Decimal("10.00")),
            Bid(auction=auction, bidder=second, amount=Decimal("11.00"), max_amount=Decimal("20.00")),
        )
    )
    return [auction.id for auction in auctions]


def report() -> str:
    """What the database holds about settlement, as JSON (printed by subprocess tests)."""
    auctions = list(Auction.objects.values("id", "state", "leader_id", "winning_bid_id", "end_time", "settled_at"))
    winning = dict(Bid.objects.filter(won_auction__isnull=False).values_list("id", "bidder_id"))
    return json.dumps(
        {
            "states": Counter(a["state"] for a in auctions),
            "half_settled": [
                a["id"]
                for a in auctions
                if (a["state"] == AuctionState.ACTIVE) != (a["settled_at"] is None)
                or (a["state"] == AuctionState.FULFILLED) != (a["winning_bid_id"] is not None)
            ],
            "wrong_winner": [
                a["id"]
                for a in auctions
                if a["winning_bid_id"] is not None and winning[a["winning_bid_id"]] != a["leader_id"]
            ],
            "notifications": Counter(Notification.objects.values_list("kind", flat=True)),
            "unsent": Notification.objects.filter(sent_at__isnull=True).count(),
            # Seconds from each settled auction's end to its settlement.
            "delays": [
                (a["settled_at"] - a["end_time"]).total_seconds() for a in auctions if a["settled_at"] is not None
            ],
        }
    )


def reset() -> None:
    Notification.objects.all().delete()
    Auction.objects.update(winning_bid=None)
    Bid.objects.all().delete()
    Auction.objects.all().delete()
    Item.objects.all().delete()
    User.objects.all().delete()
