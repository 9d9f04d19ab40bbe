"""Faults against a live gunicorn: a worker killed with SIGKILL in the middle of a bid storm
loses nothing and invents nothing; a database that goes away gets clean 503 problems, and
the service comes back by itself when the database does."""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.db import OperationalError
from django.urls import reverse

from auctioneer.testing import LiveServer, live_server
from auctions.models import Auction, AuctionState, Bid
from auctions.tests.factories import AuctionFactory
from authorization.tests.factories import UserFactory

from .bidding_model import ModelAuction
from .live_seed import auction_state, seed

BIDDERS = [f"storm{i}" for i in range(6)]
# A bound, not a goal: the storm runs until the kills are done and stops well before this.
BIDS_PER_BIDDER = int(os.environ.get("RELIABILITY_STORM_BIDS", "2000"))
MAX_KILLS = 8
IS_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@pytest.fixture
def storm_server() -> Iterator[LiveServer]:
    with live_server(WEB_CONCURRENCY="3", THROTTLE_BIDS="1000000/min", THROTTLE_WRITES="1000000/min") as server:
        yield server


def _workers(server: LiveServer) -> list[int]:
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def _problem(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


# --- kill -9 in a bid storm ----------------------------------------------------------------


class Bidder(threading.Thread):
    """Bids as fast as the server answers until told to stop (at most BIDS_PER_BIDDER bids).
    Every POST carries an Idempotency-Key; when the connection dies (its worker was killed)
    the same request is sent again with the same key, so every bid ends with a definite
    answer: 201 (stored once) or a refusal."""

    def __init__(self, server: LiveServer, auction_id: int, name: str, token: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url = f"{server.url}/api/v1/auctions/{auction_id}/bids"
        self.name_ = name
        self.headers = {"Authorization": f"Bearer {token}"}
        self.stop = stop
        self.accepted: list[dict] = []
        self.refused: list[int] = []
        self.cut = 0  # requests whose connection died under them
        self.unanswered = 0
        self.rng = random.Random(name)

    def run(self) -> None:
        session = requests.Session()
        minimum = Decimal("10.00")
        for _ in range(BIDS_PER_BIDDER):
            if self.stop.is_set():
                break
            amount = minimum + Decimal(self.rng.randrange(0, 300)) / 100
            body = {"amount": str(amount), "max_amount": str(amount + Decimal(self.rng.randrange(0, 500)) / 100)}
            key = str(uuid.uuid4())
            for _attempt in range(20):
                try:
                    response = session.post(
                        self.url, json=body, headers={**self.headers, "Idempotency-Key": key}, timeout=30
                    )
                # Cut before the answer (ConnectionError) or in the middle of it, after its
                # headers (ChunkedEncodingError): either way the same key is sent again.
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    self.cut += 1
                    session = requests.Session()
                    time.sleep(0.2)
                    continue
                if response.status_code == HTTPStatus.CREATED:
                    data = response.json()
                    self.accepted.append({"id": data["id"], "amount": data["amount"], "bidder": self.name_})
                    minimum = Decimal(data["minimum_bid"])
                elif response.status_code == HTTPStatus.CONFLICT:
                    self.refused.append(response.status_code)
                    minimum = Decimal(response.json().get("minimum_bid", minimum))
                elif response.status_code == HTTPStatus.SERVICE_UNAVAILABLE:
                    time.sleep(0.2)
                    continue
                else:
                    raise AssertionError(f"unexpected answer {response.status_code}: {response.text[:300]}")
                break
            else:
                self.unanswered += 1


def assert_auction_consistent(state: dict, starting_price: Decimal) -> None:
    """No partial rows: the auction's summary agrees with its bids, and replaying the stored
    ceilings through the reference model gives the stored price and leader."""
    bids = state["bids"]
    assert state["bid_count"] == len(bids)
    if not bids:
        assert state["leader"] is None
        return
    price = Decimal(state["current_price"])
    assert max(Decimal(b["amount"]) for b in bids) == price
    assert any(b["bidder"] == state["leader"] and Decimal(b["amount"]) == price for b in bids)
    model = ModelAuction(starting_price=starting_price, end_time=_FAR, start_time=None)
    for bid in bids:
        if not bid["is_automatic"]:
            ceiling = Decimal(bid["max_amount"] or bid["amount"])
            outcome = model.bid(bidder=bid["bidder"], amount=ceiling, max_amount=ceiling, now=_NOW)
            assert outcome.status == HTTPStatus.CREATED, bid
    assert (model.current_price, model.leader) == (price, state["leader"])
    assert model.leader is not None
    assert Decimal(state["leader_ceiling"]) == model.ceilings[model.leader][0]


_NOW = datetime(2030, 1, 1, tzinfo=UTC)
_FAR = _NOW.replace(year=2031)


@pytest.mark.live
def test_kill_9_of_a_worker_mid_bid_storm_loses_and_invents_no_bid(storm_server, reliability_record):
    server = storm_server
    names = ["seller", *BIDDERS]
    seeded = seed(server, users=names, auctions={"storm": {"seller": "seller", "starting_price": "10.00"}})
    auction_id = seeded["auctions"]["storm"]
    stop = threading.Event()
    bidders = [Bidder(server, auction_id, name, seeded["tokens"][name], stop) for name in BIDDERS]
    before = set(_workers(server))
    for bidder in bidders:
        bidder.start()

    def storming() -> bool:
        return any(b.is_alive() for b in bidders)

    def cut() -> int:
        return sum(b.cut for b in bidders)

    def accepted_so_far() -> int:
        return sum(len(b.accepted) for b in bidders)

    def storm_until_accepted(count: int) -> None:
        # Bounded by bids (the storm is told when to stop), not by a fixed time, which a slow
        # host would fill with fewer bids.
        deadline = time.monotonic() + 60
        while storming() and accepted_so_far() < count and time.monotonic() < deadline:
            time.sleep(0.05)

    # Kill only while the storm is on, and go on (boundedly) until a kill has really cut a
    # request in flight: a kill between requests would test nothing.
    storm_until_accepted(10)
    killed: list[int] = []
    while storming() and len(killed) < MAX_KILLS and (len(killed) < 2 or cut() == 0):
        victim = random.choice(_workers(server))
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
        time.sleep(0.5)
    accepted_by_the_kills = accepted_so_far()
    storm_until_accepted(accepted_by_the_kills + 10)  # the storm goes on against the replaced workers
    still_storming = storming()
    stop.set()
    for bidder in bidders:
        bidder.join(timeout=300)
    assert not storming()
    assert still_storming, "the storm ended before the kills were done; raise RELIABILITY_STORM_BIDS"
    assert len(killed) >= 2
    assert cut() > 0, "no kill cut a request in flight"

    accepted = {bid["id"]: bid for b in bidders for bid in b.accepted}
    state = auction_state(server, auction_id)[auction_id]
    stored_manual = {b["id"]: b for b in state["bids"] if not b["is_automatic"]}
    assert sum(b.unanswered for b in bidders) == 0
    assert len(accepted) >= 20  # the storm really happened
    assert len(accepted) >= accepted_by_the_kills + 10  # and went on against the replaced workers
    assert set(_workers(server)) - before  # gunicorn replaced the killed workers
    # Zero lost: every 201 is stored, as answered. Zero phantom: nothing stored unanswered.
    lost = [bid_id for bid_id in accepted if bid_id not in stored_manual]
    phantom = [bid_id for bid_id in stored_manual if bid_id not in accepted]
    assert lost == [] and phantom == []
    for bid_id, bid in accepted.items():
        assert stored_manual[bid_id]["bidder"] == bid["bidder"]
        assert Decimal(stored_manual[bid_id]["amount"]) == Decimal(bid["amount"])
    assert_auction_consistent(state, Decimal("10.00"))

    database = "PostgreSQL" if IS_POSTGRES else "SQLite"
    reliability_record(
        "fault", f"bids in a storm with gunicorn workers kill -9'd ({database}); 201s stored", len(accepted)
    )
    reliability_record("fault", "connections cut by kill -9 and retried with the same Idempotency-Key", cut())
    reliability_record("fault", "gunicorn workers killed with SIGKILL mid-storm", len(killed))


# --- the database goes away -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_database_error_is_a_503_problem_with_retry_after(api_client, monkeypatch, reliability_record):
    def broken(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("rest_framework.generics.GenericAPIView.paginate_queryset", broken)
    response = api_client.get(reverse("auctions:auction-list"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"].isdigit()
    assert response.json()["status"] == HTTPStatus.SERVICE_UNAVAILABLE
    reliability_record("fault", "database error inside a view mapped to 503 problem", 1)


@pytest.mark.django_db
def test_a_cache_outage_is_a_503_problem_and_writes_nothing(api_client, client_for, settings, reliability_record):
    # REDIS_URL at a port nothing listens on: the throttles cannot read their histories.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0"}
    settings.CACHES = {"default": down, "lists": {**down, "KEY_PREFIX": "lists"}}
    seller, bidder = UserFactory.create_batch(2)
    auction = AuctionFactory.create(item__owner=seller)

    answers = [
        client_for(bidder).post(
            reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), {"amount": "10.00"}, format="json"
        ),
        client_for(seller).post(reverse("auctions:auction-cancel", kwargs={"auction_id": auction.pk})),
        api_client.post(reverse("authorization:token"), {"username": bidder.username, "password": "x"}),
    ]

    for response in answers:
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert response["Retry-After"].isdigit()
        assert response.json()["detail"] == "The cache is unavailable; retry shortly."
    assert not Bid.objects.exists()
    assert Auction.objects.get().state == AuctionState.ACTIVE
    assert api_client.get(reverse("auctions:auction-list")).status_code == HTTPStatus.OK  # reads are not throttled
    reliability_record("fault", "requests during a cache (REDIS_URL) outage answered 503 problem", len(answers))


class _Outage:
    """Make the live server's database unreachable and bring it back, without touching any
    other database: PostgreSQL refuses new connections to this one database and its sessions
    are terminated; SQLite's directory is moved away."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        parts = urlsplit(server.database_url)
        self.name = parts.path.lstrip("/")
        self.folder = Path("/" + self.name).parent  # SQLite: sqlite:////tmp/x/db.sqlite3
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))

    def _pg(self, allow: bool) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                    sql.Identifier(self.name), sql.SQL("true" if allow else "false")
                )
            )
            if not allow:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [self.name])

    def begin(self) -> None:
        if IS_POSTGRES:
            self._pg(allow=False)
        else:
            self.folder.rename(self.folder.with_name(self.folder.name + "-away"))

    def end(self) -> None:
        if IS_POSTGRES:
            self._pg(allow=True)
        else:
            self.folder.with_name(self.folder.name + "-away").rename(self.folder)


@pytest.mark.live
def test_database_outage_answers_503_and_recovers_by_itself(reliability_record):
    # SQLite: a connection opened before the file went away keeps reading it, so the server
    # connects per request here to meet the outage (PostgreSQL's sessions are terminated).
    extra = {} if IS_POSTGRES else {"CONN_MAX_AGE": "0"}
    with live_server(WEB_CONCURRENCY="2", **extra) as server:
        seeded = seed(server, users=["seller", "ann"], auctions={"a": {"seller": "seller"}})
        auction_id = seeded["auctions"]["a"]
        auth = {"Authorization": f"Bearer {seeded['tokens']['ann']}"}
        read_url = f"{server.url}/api/v1/auctions/{auction_id}"
        bid_url = f"{server.url}/api/v1/auctions/{auction_id}/bids"
        assert requests.get(read_url, timeout=10).status_code == HTTPStatus.OK

        outage = _Outage(server)
        outage.begin()
        answers = 0
        try:
            for _ in range(4):  # every worker, every kind of request
                _problem(requests.get(read_url, timeout=30), HTTPStatus.SERVICE_UNAVAILABLE)
                response = requests.post(bid_url, json={"amount": "10.00"}, headers=auth, timeout=30)
                body = _problem(response, HTTPStatus.SERVICE_UNAVAILABLE)
                assert response.headers["Retry-After"].isdigit()
                assert "Traceback" not in body["detail"]
                answers += 2
        finally:
            outage.end()

        deadline = time.monotonic() + 30
        while requests.get(read_url, timeout=30).status_code != HTTPStatus.OK:
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.2)
        response = requests.post(bid_url, json={"amount": "10.00"}, headers=auth, timeout=30)
        assert response.status_code == HTTPStatus.CREATED, response.text
        state = auction_state(server, auction_id)[auction_id]
        assert [b["bidder"] for b in state["bids"]] == ["ann"]  # nothing was stored during the outage

    database = "PostgreSQL" if IS_POSTGRES else "SQLite"
    reliability_record("fault", f"requests during a database outage answered 503 problem ({database})", answers)
    reliability_record("fault", f"recovery after the outage without a restart ({database})", 1)
