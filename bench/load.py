"""The load driver: a closed loop of N virtual users against one running server.

Run by bench.run in its own process (never in the server's):
    python -m bench.load <config.json>
and prints one JSON object with the measured figures. Each virtual user sends its next
request as soon as the previous answer arrives; the run stops at `duration` seconds or
`max_requests` measured requests, whichever comes first. The first `warmup` seconds are
driven but not measured.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from bench.client import Connection, Response

API = "/api/v1"


@dataclass
class VirtualUser:
    index: int
    user_id: int
    username: str
    token: str
    password: str | None
    conn: Connection


@dataclass
class Stats:
    sent: int = 0
    measuring: bool = False
    stop: bool = False
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    accepted: int = 0
    side_requests: int = 0
    login_ms: list[float] = field(default_factory=list)
    login_statuses: Counter[str] = field(default_factory=Counter)


class Scenario:
    """One kind of traffic. `step` makes one request and returns (status, measured?)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    async def step(self, vu: VirtualUser) -> tuple[Response, bool]:
        raise NotImplementedError


class Noop(Scenario):
    async def step(self, vu: VirtualUser) -> tuple[Response, bool]:
        return await vu.conn.request("GET", f"{API}/ping", token=vu.token), True


class BrowseList(Scenario):
    async def step(self, vu: VirtualUser) -> tuple[Response, bool]:
        extra = random.choice(self.config["filters"])
        page = random.randint(1, self.config.get("pages", 3))
        path = f"{API}/auctions?status=open&ordering=end_time&page_size=50&page={page}&{extra}"
        return await vu.conn.request("GET", path), True


class AuctionDetail(Scenario):
    async def step(self, vu: VirtualUser) -> tuple[Response, bool]:
        auction_id = random.choice(self.config["auction_ids"])
        return await vu.conn.request("GET", f"{API}/auctions/{auction_id}"), True


class _Bidding(Scenario):
    """Every bidder bids the highest minimum that any bidder of the driver has heard of for the
    auction (from any answer: a 201 and a 409 both carry `minimum_bid`), the current minimum as
    far as the bidders know it; a bidder that leads an auction does not bid on it.

    What the bidders heard outlives the run: `known()` goes into the driver's output, and the
    next run on the same auctions (the next round, or the next server on the same database)
    starts from it as `config["known"]`, as bidders who have looked at the auctions would.
    Without it, every auction's first bid of a later run offers the starting price and is
    refused."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        known = config.get("known") or {}
        minimum, leader = known.get("minimum", {}), known.get("leader", {})
        self.minimum: dict[int, Decimal] = {
            a: Decimal(minimum.get(str(a), config["starting_price"])) for a in config["auction_ids"]
        }
        self.leader: dict[int, int] = {int(a): int(user_id) for a, user_id in leader.items()}

    def known(self) -> dict[str, Any]:
        return {
            "minimum": {str(a): str(amount) for a, amount in self.minimum.items()},
            "leader": {str(a): user_id for a, user_id in self.leader.items()},
        }

    def learn(self, auction_id: int, response: Response, vu: VirtualUser) -> None:
        if response.status not in (201, 409):
            return
        body = response.json() or {}
        if body.get("minimum_bid") is not None:
            self.minimum[auction_id] = max(self.minimum[auction_id], Decimal(str(body["minimum_bid"])))
        if response.status == 201 and body.get("leading"):
            self.leader[auction_id] = vu.user_id

    async def bid(self, vu: VirtualUser, auction_id: int) -> Response:
        response = await vu.conn.request(
            "POST", f"{API}/auctions/{auction_id}/bids", token=vu.token, body={"amount": str(self.minimum[auction_id])}
        )
        self.learn(auction_id, response, vu)
        return response


class HotAuction(_Bidding):
    async def step(self, vu: VirtualUser) -> tuple[Response, bool]:
        auction_id = self.config["auction_ids"][0]
        if self.leader.get(auction_id) == vu.user_id:
            # The leader watches instead of bidding against itself.
            response = await vu.conn.request("GET", f"{API}/auctions/{auction_id}")
            body = response.json() if response.status == 200 else {}
            if body.get("minimum_bid"):
                self.minimum[auction_id] = max(self.minimum[auction_id], Decimal(str(body["minimum_bid"])))
            if (body.get("leading_bidder") or {}).get("id") not in (None, vu.user_id):
                self.leader[auction_id] = body["leading_bidder"]["id"]
            return response, False
        return await self.bid(vu, auction_id), True


class SpreadBids(_Bidding):
    async def step(self, vu: VirtualUser) -> tuple[Response, bool]:
        ids = self.config["auction_ids"]
        auction_id = random.choice(ids)
        while self.leader.get(auction_id) == vu.user_id:
            auction_id = random.choice(ids)
        return await self.bid(vu, auction_id), True


SCENARIOS: dict[str, type[Scenario]] = {
    "noop": Noop,
    "browse_list": BrowseList,
    "auction_detail": AuctionDetail,
    "hot_auction": HotAuction,
    "spread_bids": SpreadBids,
}


async def login(vu: VirtualUser, stats: Stats, arrivals: asyncio.Semaphore) -> None:
    """ "Get a token, then bid": the password grant through the Authorization API. Bidders
    arrive a few at a time: a login is ~0.3-0.5 s of CPU (PBKDF2 of the password; each server
    process hashes the client secret once more, on its first), and 32 at once would still be
    hashing when the measurement starts."""
    async with arrivals:
        started = time.perf_counter()
        try:
            response = await vu.conn.request(
                "POST", "/api/auth/token", body={"username": vu.username, "password": vu.password}, timeout=60
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            stats.login_statuses["error"] += 1
            await vu.conn.close()
            return
    stats.login_ms.append((time.perf_counter() - started) * 1000)
    stats.login_statuses[str(response.status)] += 1
    if response.status == 200:
        vu.token = response.json()["access_token"]


async def virtual_user(vu: VirtualUser, scenario: Scenario, stats: Stats, max_requests: int) -> None:
    while not stats.stop:
        started = time.perf_counter()
        try:
            response, measured = await scenario.step(vu)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            await vu.conn.close()
            if stats.measuring:
                stats.errors += 1
                stats.statuses["error"] += 1
            await asyncio.sleep(0.01)
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        stats.sent += 1
        if not stats.measuring:
            continue
        if response.status >= 500:
            # A 5xx is an error whichever request it answers, hot_auction's watching leader's too.
            stats.errors += 1
        if not measured:
            stats.side_requests += 1
            continue
        stats.latencies_ms.append(elapsed_ms)
        stats.statuses[str(response.status)] += 1
        if response.status == 201:
            stats.accepted += 1
        if len(stats.latencies_ms) >= max_requests:
            stats.stop = True


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return round(sorted_values[index], 2)


async def main(config: dict[str, Any]) -> dict[str, Any]:
    parts = urlsplit(config["url"])
    scenario = SCENARIOS[config["scenario"]](config)
    users = config["users"][: config["concurrency"]]
    if len(users) < config["concurrency"]:
        raise SystemExit(f"{config['scenario']}: {config['concurrency']} users needed, {len(users)} given")
    vus = [
        VirtualUser(
            i, u["id"], u["username"], u["token"], u.get("password"), Connection(parts.hostname or "", parts.port or 80)
        )
        for i, u in enumerate(users)
    ]
    stats = Stats()
    cpu_started = time.process_time()
    logins = [vu for vu in vus[: config.get("logins", 0)] if vu.password]
    login_started = time.perf_counter()
    arrivals = asyncio.Semaphore(4)
    await asyncio.gather(*(login(vu, stats, arrivals) for vu in logins))
    login_seconds = time.perf_counter() - login_started
    print("logged in", flush=True)

    tasks = [asyncio.create_task(virtual_user(vu, scenario, stats, config["max_requests"])) for vu in vus]
    await asyncio.sleep(config.get("warmup", 0))
    stats.measuring = True
    started = time.perf_counter()
    deadline = started + config["duration"]
    while not stats.stop and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    stats.stop = True
    duration = time.perf_counter() - started
    stats.measuring = False
    await asyncio.gather(*tasks, return_exceptions=True)
    for vu in vus:
        await vu.conn.close()

    latencies = sorted(stats.latencies_ms)
    return {
        "scenario": config["scenario"],
        "concurrency": config["concurrency"],
        "duration_s": round(duration, 2),
        "requests": len(latencies),
        "rps": round(len(latencies) / duration, 1),
        "accepted_per_s": round(stats.accepted / duration, 1)
        if config["scenario"].endswith(("_bids", "_auction"))
        else None,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "errors": stats.errors,
        "statuses": dict(stats.statuses),
        "side_requests": stats.side_requests,
        "sent": stats.sent + len(stats.login_ms),
        "driver_cpu_s": round(time.process_time() - cpu_started, 2),
        "logins": len(logins),
        "login_statuses": dict(stats.login_statuses),
        "login_p50_ms": percentile(sorted(stats.login_ms), 50),
        "login_seconds": round(login_seconds, 2),
        **({"known": scenario.known()} if isinstance(scenario, _Bidding) else {}),
    }


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        cfg = json.load(handle)
    print(json.dumps(asyncio.run(main(cfg))))
