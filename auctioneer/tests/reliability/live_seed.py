"""Arrange data inside a live server's database (through `manage.py shell`, the way an
operator would), so HTTP tests start from known users, tokens and auctions."""

from __future__ import annotations

import json
from typing import Any

from auctioneer.testing import LiveServer

_SEED = """
import json
import secrets
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, set_token_value
from auctions.tests.factories import AuctionFactory, ItemFactory
from authorization.tests.factories import UserFactory

spec = json.loads(SPEC)
app = Application.objects.filter(name="reliability").first()
if app is None:  # the tokens' own application; the Authorization API's is live_server's
    app = Application.objects.create(
        name="reliability", client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
    )
out = {"tokens": {}, "users": {}, "auctions": {}, "items": {}}
for name in spec["users"]:
    user = UserFactory.create(username=name)
    out["users"][name] = user.pk
    raw = f"rel-{name}-" + secrets.token_urlsafe(16)
    token = AccessToken(user=user, application=app, scope="read write", expires=timezone.now() + timedelta(days=1))
    set_token_value(token, raw)  # stored as a checksum, as the token endpoint does
    token.save()
    out["tokens"][name] = raw
    item = ItemFactory.create(owner=user)
    out["items"][name] = item.pk
for name, options in spec["auctions"].items():
    seller = out["users"][options.pop("seller")]
    price = Decimal(options.pop("starting_price", "10.00"))
    auction = AuctionFactory.create(
        item=ItemFactory.create(owner_id=seller), starting_price=price, current_price=price,
        end_time=timezone.now() + timedelta(seconds=options.pop("seconds", 3600)), **options,
    )
    out["auctions"][name] = auction.pk
print(json.dumps(out))
"""

_STATE = """
import json
from auctions.models import Auction, Bid
out = {}
for auction in Auction.objects.filter(pk__in=json.loads(IDS)):
    out[auction.pk] = {
        "current_price": str(auction.current_price),
        "bid_count": auction.bid_count,
        "leader": auction.leader.username if auction.leader else None,
        "leader_ceiling": str(auction.leader_ceiling) if auction.leader_ceiling is not None else None,
        "end_time": auction.end_time.isoformat(),
        "state": auction.state,
        "winning_bid": auction.winning_bid_id,
        "bids": [
            {"id": b.id, "bidder": b.bidder.username, "amount": str(b.amount),
             "max_amount": str(b.max_amount) if b.max_amount is not None else None,
             "is_automatic": b.is_automatic}
            for b in Bid.objects.filter(auction=auction).select_related("bidder").order_by("id")
        ],
    }
print(json.dumps(out))
"""


def seed(
    server: LiveServer,
    *,
    users: list[str],
    auctions: dict[str, dict[str, Any]] | None = None,
) -> dict:
    """Users (each with a bearer token and one item) and open auctions; returns their ids and
    the raw tokens."""
    spec = json.dumps({"users": users, "auctions": auctions or {}})
    output = server.manage("shell", "-c", f"SPEC = {spec!r}\n" + _SEED)
    return json.loads(output.strip().splitlines()[-1])


def auction_state(server: LiveServer, *ids: int) -> dict[int, dict]:
    """What the database holds for these auctions, bids included (in id order)."""
    output = server.manage("shell", "-c", f"IDS = {json.dumps(list(ids))!r}\n" + _STATE)
    return {int(k): v for k, v in json.loads(output.strip().splitlines()[-1]).items()}
