"""Bidding rule 6 (concurrency): many bidders in parallel through real HTTP on one
auction, against gunicorn with several worker processes; then the invariants are checked
against what the database stored. Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
import requests

from auctioneer.testing import LiveServer, live_server
from auctions.bidding import ProxyState, minimum_bid, proxy_apply

pytestmark = pytest.mark.live

BIDDERS = 16
# Each bidder keeps bidding until the auction has ended (bounded by this count and by
# OPEN_SECONDS + 5 s), so the end always falls inside the storm however fast the machine is.
BIDS_PER_BIDDER = 2000
OPEN_SECONDS = 8

SETUP = """
import json
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from auctions.models import Auction, Currency, Item
from authorization.models import User

app = Application.objects.create(name="concurrency", client_type="confidential", authorization_grant_type="password")
seller = User.objects.create(username="seller", email="seller@example.com")
item = Item.objects.create(owner=seller, title="Contested", condition_id="used")
tokens = []
for n in range(%(bidders)d):
    user = User.objects.create(username=f"bidder{n}", email=f"bidder{n}@example.com")
    token = AccessToken.objects.create(
        user=user, application=app, token=f"live-token-{n}-{timezone.now().timestamp()}",
        expires=timezone.now() + timedelta(hours=1), scope="read write",
    )
    tokens.append({"user_id": user.pk, "token": token.token})
calm = Auction.objects.create(
    item=Item.objects.create(owner=seller, title="Calm", condition_id="used"), seller=seller,
    currency=Currency.objects.get(code="EUR"), starting_price=Decimal("1.00"), current_price=Decimal("1.00"),
    start_time=timezone.now(), end_time=timezone.now() + timedelta(hours=1),
)
now = timezone.now()
auction = Auction.objects.create(
    item=item, seller=seller, currency=Currency.objects.get(code="EUR"), starting_price=Decimal("1.00"),
    current_price=Decimal("1.00"), start_time=now, end_time=now + timedelta(seconds=%(open)d),
)
print(json.dumps({"auction": auction.pk, "calm": calm.pk, "tokens": tokens}))
"""

DUMP = """
import json
from auctions.models import Auction, Bid
auction = Auction.objects.get(pk=%(auction)d)
rows = [
    {"id": b.id, "bidder": b.bidder_id, "amount": str(b.amount), "max_amount": str(b.max_amount),
     "is_automatic": b.is_automatic, "placed_at": b.placed_at.isoformat()}
    for b in Bid.objects.filter(auction=auction).order_by("id")
]
print(json.dumps({
    "current_price": str(auction.current_price), "leader": auction.leader_id, "bid_count": auction.bid_count,
    "starting_price": str(auction.starting_price), "end_time": auction.end_time.isoformat(), "rows": rows,
}))
"""


def _bidder(
    url: str,
    token: str,
    seed: int,
    accepted: list[dict[str, Any]],
    ended: list[str],
    errors: list[str],
    attempts: list[int],
) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    minimum = Decimal("1.00")
    deadline = time.monotonic() + OPEN_SECONDS + 5
    for _ in range(BIDS_PER_BIDDER):
        if time.monotonic() > deadline:
            break
        amount = minimum + Decimal(rng.randrange(0, 200)) / 100
        body: dict[str, str] = {"amount": f"{amount:.2f}"}
        if rng.random() < 0.3:
            body["max_amount"] = f"{amount + Decimal(rng.randrange(0, 500)) / 100:.2f}"
        response = session.post(url, json=body, timeout=30)
        answer = response.json()
        attempts.append(response.status_code)
        if response.status_code == HTTPStatus.CREATED:
            accepted.append({**answer, "sent_amount": body["amount"]})
            minimum = Decimal(answer["minimum_bid"])
        elif response.status_code == HTTPStatus.CONFLICT and "minimum_bid" in answer:
            minimum = Decimal(answer["minimum_bid"])
        elif response.status_code == HTTPStatus.CONFLICT:
            ended.append(answer.get("auction_status", ""))
            break  # the auction has ended
        else:
            errors.append(f"{response.status_code} {response.text[:300]}")
            break
        time.sleep(rng.random() / 20)


def _shell(live, script: str) -> Any:
    """Run `script` in `manage.py shell` on the server's database; its last line is JSON."""
    return json.loads(live.manage("shell", "-c", script).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    with live_server() as live:
        yield live, _shell(live, SETUP % {"open": OPEN_SECONDS, "bidders": BIDDERS})


def test_parallel_bidders_over_http_keep_every_invariant(server):
    live, setup = server
    url = f"{live.url}/api/v1/auctions/{setup['auction']}/bids"
    accepted: list[dict[str, Any]] = []
    ended: list[str] = []
    errors: list[str] = []
    attempts: list[int] = []
    threads = [
        threading.Thread(target=_bidder, args=(url, entry["token"], n, accepted, ended, errors, attempts))
        for n, entry in enumerate(setup["tokens"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors
    assert len(accepted) >= BIDDERS, "too few bids were accepted to test anything"
    print(f"{len(attempts)} bids sent, {len(accepted)} accepted; {len(ended)} bidders stopped by the end")
    assert ended and set(ended) == {"closed"}, "the auction should end while bidders are still bidding"

    stored = _shell(live, DUMP % {"auction": setup["auction"]})
    rows = {row["id"]: row for row in stored["rows"]}
    manual = [row for row in stored["rows"] if not row["is_automatic"]]

    # every 201 is stored exactly once, and nothing else was stored as a manual bid
    accepted_ids = [bid["id"] for bid in accepted]
    assert len(set(accepted_ids)) == len(accepted_ids)
    assert sorted(accepted_ids) == [row["id"] for row in manual]
    for bid in accepted:
        assert rows[bid["id"]]["bidder"] == bid["bidder"]["id"]
        assert Decimal(rows[bid["id"]]["amount"]) == Decimal(bid["amount"])

    # one at a time: in id order each accepted bid met the minimum left by the one before,
    # and the price never fell
    accepted.sort(key=lambda bid: bid["id"])
    previous_price = Decimal(stored["starting_price"])
    for bid in accepted:
        rows_before = sum(1 for row in stored["rows"] if row["id"] < bid["id"])
        needed = minimum_bid(current_price=previous_price, bid_count=rows_before, places=2)
        assert Decimal(bid["sent_amount"]) >= needed, (bid, needed)
        assert Decimal(bid["current_price"]) >= previous_price
        previous_price = Decimal(bid["current_price"])
    amounts = [Decimal(row["amount"]) for row in stored["rows"]]

    # the auction row agrees with the stored bids
    price = Decimal(stored["current_price"])
    assert stored["bid_count"] == len(stored["rows"])
    assert max(amounts) == price
    leader_rows = [row for row in stored["rows"] if row["bidder"] == stored["leader"]]
    assert Decimal(leader_rows[-1]["amount"]) == price
    assert Decimal(accepted[-1]["current_price"]) == price

    # replaying the stored ceilings one at a time gives the same outcome
    state = ProxyState(Decimal(stored["starting_price"]), None, 2, Decimal(stored["starting_price"]), None, None, None)
    for row in manual:
        state = proxy_apply(state, bidder=row["bidder"], ceiling=Decimal(row["max_amount"]))
    assert (state.price, state.leader) == (price, stored["leader"])

    # nothing at or after the end
    end_time = datetime.fromisoformat(stored["end_time"])
    assert all(datetime.fromisoformat(row["placed_at"]) < end_time for row in stored["rows"])


def test_parallel_retries_with_one_idempotency_key_store_one_bid(server):
    live, setup = server
    url = f"{live.url}/api/v1/auctions/{setup['calm']}/bids"
    headers = {"Authorization": f"Bearer {setup['tokens'][0]['token']}", "Idempotency-Key": "retry-1"}
    answers: list[tuple[int, Any]] = []
    start = threading.Barrier(8)

    def post() -> None:
        start.wait(timeout=30)
        response = requests.post(url, json={"amount": "1.00"}, headers=headers, timeout=30)
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in answers] == [HTTPStatus.CREATED] * 8, answers
    assert all(body == answers[0][1] for _, body in answers)
    stored = _shell(live, DUMP % {"auction": setup["calm"]})
    assert [row["id"] for row in stored["rows"]] == [answers[0][1]["id"]]

    other = requests.post(url, json={"amount": "9.00"}, headers=headers, timeout=30)
    assert other.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert other.headers["Content-Type"] == "application/problem+json"
