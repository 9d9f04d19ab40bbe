#!/usr/bin/env python3
"""End-to-end tester for an Auctioneer deployment.

Walks a real session through the Management API and the Authorization API of any
deployment: three fresh users, their tokens, auctions of a few seconds, a proxy-bidding
exchange, idempotent replays, settlement by the workers, buy-now, cancel, refresh and
revoke. Every run makes its own users and items (a random suffix), so it can run again
and again against the same deployment.

Needs only Python 3.11+ and `requests`:

    python e2e/tester.py http://127.0.0.1:8000/api/v1 http://127.0.0.1:8000/api/auth

Prints one PASS/FAIL line per check and `N passed, M failed` last. Exit status: 0 when
every check passed, 1 when any failed, 2 when the endpoints cannot be reached.
"""

from __future__ import annotations

import argparse
import email.utils
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

PROBLEM_JSON = "application/problem+json"
SETTLED = ("fulfilled", "unsold", "cancelled")
EXIT_FAILED, EXIT_UNREACHABLE = 1, 2


class Abort(Exception):
    """A check that later steps depend on failed: skip the rest of this part of the walk."""


class Unreachable(Exception):
    pass


@dataclass
class User:
    label: str
    username: str
    password: str
    email: str
    id: Any = None
    access_token: str = ""
    refresh_token: str = ""

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.access_token}"}


@dataclass
class Tester:
    api: str
    auth: str
    auction_seconds: float
    settle_timeout: float
    request_timeout: float
    verbose: bool = False
    suffix: str = field(default_factory=lambda: secrets.token_hex(4))
    passed: int = 0
    failed: int = 0
    clock_skew: timedelta = timedelta(0)
    http: requests.Session = field(default_factory=requests.Session)

    # --- reporting ---------------------------------------------------------------------

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"PASS  {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f" -- {detail}" if detail else ""), flush=True)
        return ok

    def require(self, name: str, ok: bool, detail: str = "") -> None:
        if not self.check(name, ok, detail):
            raise Abort(name)

    def note(self, text: str) -> None:
        print(f"      {text}", flush=True)

    # --- HTTP ----------------------------------------------------------------------------

    def call(
        self,
        method: str,
        url: str,
        *,
        user: User | None = None,
        token: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        elif user is not None:
            all_headers.update(user.auth())
        try:
            response = self.http.request(
                method, url, json=json, params=params, headers=all_headers, timeout=self.request_timeout
            )
        except requests.ConnectionError as exc:
            reason = getattr(getattr(exc.args[0], "reason", None), "args", [exc])[-1] if exc.args else exc
            raise Unreachable(f"cannot connect to {url}: {reason}") from exc
        except requests.Timeout as exc:
            raise Unreachable(f"{method} {url}: no answer within {self.request_timeout:g} s") from exc
        except requests.RequestException as exc:
            raise Unreachable(f"{method} {url} failed: {exc}") from exc
        if self.verbose:
            self.note(f"{method} {response.url} -> {response.status_code} {response.text[:300]}")
        self._track_clock(response)
        return response

    def _track_clock(self, response: requests.Response) -> None:
        """Deadlines follow the server's clock: learn how far ours is from it (±1 s)."""
        date = response.headers.get("Date")
        if not date:
            return
        try:
            server_now = email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return
        # The header has whole seconds: the server's time is within [date, date + 1 s).
        skew = server_now + timedelta(seconds=0.5) - datetime.now(UTC)
        self.clock_skew = skew if abs(skew) > timedelta(seconds=1) else timedelta(0)

    def server_now(self) -> datetime:
        return datetime.now(UTC) + self.clock_skew

    # --- small readers -------------------------------------------------------------------

    @staticmethod
    def body(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def describe(self, response: requests.Response) -> str:
        text = response.text.strip().replace("\n", " ")
        return f"got {response.status_code} {response.headers.get('Content-Type', '')}: {text[:400]}"

    def expect(self, name: str, response: requests.Response, *statuses: int, problem: bool = False) -> bool:
        """Check the status code (and, for errors, that the body is problem details)."""
        ok = response.status_code in statuses
        if ok and problem:
            body = self.body(response)
            ok = (
                response.headers.get("Content-Type", "").startswith(PROBLEM_JSON)
                and isinstance(body, dict)
                and body.get("status") == response.status_code
                and "title" in body
            )
        return self.check(name, ok, "" if ok else self.describe(response))

    def expect_or_abort(self, name: str, response: requests.Response, *statuses: int) -> Any:
        if not self.expect(name, response, *statuses):
            raise Abort(name)
        return self.body(response)

    def iso(self, moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def auction(self, auction_id: Any) -> dict[str, Any]:
        response = self.call("GET", f"{self.api}/auctions/{auction_id}")
        if response.status_code != 200:
            raise Abort(f"GET auctions/{auction_id}: {self.describe(response)}")
        return dict(response.json())

    def wait_for(
        self, auction_id: Any, done: Callable[[dict[str, Any]], bool], timeout: float
    ) -> tuple[dict[str, Any], float]:
        """Poll the auction until `done(auction)` or `timeout` seconds; returns it and the wait."""
        started = time.monotonic()
        while True:
            current = self.auction(auction_id)
            waited = time.monotonic() - started
            if done(current) or waited >= timeout:
                return current, waited
            time.sleep(0.2)

    # --- the walk ------------------------------------------------------------------------

    def run(self) -> int:
        print(f"Auctioneer e2e: Management API {self.api}, Authorization API {self.auth} (run {self.suffix})")
        try:
            self.reachable()
        except Unreachable as exc:
            self.check("the endpoints answer", False, str(exc))
            print(
                f"error: cannot reach the deployment: {exc}\n"
                "Is the server running, and are the two base URLs right "
                "(e.g. http://127.0.0.1:8000/api/v1 http://127.0.0.1:8000/api/auth)?",
                file=sys.stderr,
                flush=True,
            )
            self.summary()
            return EXIT_UNREACHABLE
        try:
            self.walk()
        except Unreachable as exc:
            self.check("the deployment keeps answering", False, str(exc))
        except Abort as exc:
            self.note(f"stopped: a step the rest depends on failed ({exc})")
        except Exception as exc:  # an answer of a shape the walk cannot follow: a failure, not a crash
            self.check("the answers have the documented shape", False, f"{type(exc).__name__}: {exc}")
        self.summary()
        return 0 if self.failed == 0 else EXIT_FAILED

    def summary(self) -> None:
        print(f"{self.passed} passed, {self.failed} failed", flush=True)

    def reachable(self) -> None:
        response = self.call("GET", f"{self.api}/metadata/currencies", params={"page_size": 100})
        body = self.body(response)
        if response.status_code != 200 or not isinstance(body, dict) or "results" not in body:
            raise Unreachable(f"{self.api}/metadata/currencies is not the Management API: {self.describe(response)}")
        response = self.call("GET", f"{self.auth}/account")
        if response.status_code != 401 or not response.headers.get("Content-Type", "").startswith(PROBLEM_JSON):
            raise Unreachable(f"{self.auth}/account is not the Authorization API: {self.describe(response)}")
        self.check("both APIs answer (metadata/currencies 200, account without a token 401 problem)", True)

    def walk(self) -> None:
        currencies = self.body(self.call("GET", f"{self.api}/metadata/currencies", params={"page_size": 100}))
        eur = next((row for row in currencies["results"] if row.get("code") == "EUR"), None)
        self.require(
            "metadata/currencies lists EUR with 2 minor units", bool(eur and eur.get("minor_units") == 2), str(eur)
        )
        a, b, c = self.accounts()
        self.refuse_without_token(a)
        sections: Iterable[Callable[[], None]] = (
            lambda: self.proxy_auction(a, b, c),
            lambda: self.buy_now(a, b, c),
            lambda: self.cancel(a, b),
            lambda: self.tokens(b, c),
        )
        for section in sections:
            try:
                section()
            except Abort as exc:
                self.note(f"skipped the rest of this part: {exc}")
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                self.check("the answers have the documented shape", False, f"{type(exc).__name__}: {exc}")

    # --- accounts and tokens -------------------------------------------------------------

    def accounts(self) -> tuple[User, User, User]:
        users = []
        for label in ("A", "B", "C"):
            name = f"e2e_{label.lower()}_{self.suffix}"
            user = User(label, name, f"Pw-{secrets.token_urlsafe(12)}", f"{name}@example.com")
            response = self.call(
                "POST",
                f"{self.auth}/register",
                json={
                    "username": user.username,
                    "email": user.email,
                    "password": user.password,
                    "first_name": f"E2E {label}",
                    "country": "DE",
                    "city": "Berlin",
                },
            )
            body = self.expect_or_abort(f"register user {label} -> 201", response, 201)
            profile = (body or {}).get("user") or {}
            self.require(
                f"register user {label} answers token fields and the user",
                bool(body.get("access_token")) and profile.get("username") == user.username,
                str(body)[:300],
            )
            user.id = profile.get("id")
            users.append(user)

        response = self.call(
            "POST",
            f"{self.auth}/register",
            json={
                "username": users[0].username,
                "email": f"other_{users[0].email}",
                "password": users[0].password,
            },
        )
        self.expect("register a taken username -> 409 problem", response, 409, problem=True)

        response = self.call(
            "POST", f"{self.auth}/token", json={"username": users[0].username, "password": "wrong-" + users[0].password}
        )
        self.expect("token with a wrong password -> 401 problem", response, 401, problem=True)

        for user in users:
            response = self.call(
                "POST", f"{self.auth}/token", json={"username": user.username, "password": user.password}
            )
            body = self.expect_or_abort(f"token login of user {user.label} -> 200", response, 200)
            fields = ("access_token", "refresh_token", "expires_in", "token_type", "scope")
            self.require(
                f"token of user {user.label} has {', '.join(fields)} (Bearer)",
                all(body.get(key) for key in fields) and str(body.get("token_type")).lower() == "bearer",
                str(body)[:300],
            )
            user.access_token, user.refresh_token = body["access_token"], body["refresh_token"]

        response = self.call("GET", f"{self.auth}/account", user=users[0])
        body = self.body(response) or {}
        self.check(
            "GET account with the token -> 200, the caller's profile",
            response.status_code == 200 and body.get("username") == users[0].username and body.get("city") == "Berlin",
            self.describe(response),
        )
        return users[0], users[1], users[2]

    def refuse_without_token(self, a: User) -> None:
        item = {"title": f"e2e no-token {self.suffix}", "description": "-", "condition": "used"}
        response = self.call("POST", f"{self.api}/items", json=item)
        self.expect("POST items without a token -> 401 problem", response, 401, problem=True)
        response = self.call("POST", f"{self.api}/items", json=item, token="not-a-token-" + self.suffix)
        self.expect("POST items with a bogus token -> 401 problem", response, 401, problem=True)
        response = self.call("GET", f"{self.auth}/account")
        self.expect("GET account without a token -> 401 problem", response, 401, problem=True)
        response = self.call("DELETE", f"{self.api}/auctions")
        self.expect("DELETE auctions (no such method) without a token -> 405 problem", response, 405, problem=True)
        allow = response.headers.get("Allow", "")
        self.check(
            "the 405 names the methods there are: Allow has GET and POST",
            {"GET", "POST"} <= {method.strip() for method in allow.split(",")},
            allow or "(none)",
        )

    def tokens(self, b: User, c: User) -> None:
        old_refresh = b.refresh_token
        response = self.call("POST", f"{self.auth}/token/refresh", json={"refresh_token": old_refresh})
        body = self.expect_or_abort("token/refresh -> 200, a new pair", response, 200) or {}
        self.require(
            "token/refresh gives a new access and refresh token",
            bool(body.get("access_token"))
            and bool(body.get("refresh_token"))
            and body.get("refresh_token") != old_refresh,
            str(body)[:300],
        )
        self.check(
            "token answers may not be stored (Cache-Control: no-store)",
            "no-store" in response.headers.get("Cache-Control", ""),
            response.headers.get("Cache-Control", "(none)"),
        )
        b.access_token, b.refresh_token = body["access_token"], body["refresh_token"]
        response = self.call("GET", f"{self.auth}/account", user=b)
        self.expect("the refreshed access token works (GET account 200)", response, 200)
        # B's new tokens are not used after this replay, so the tester also passes against a
        # deployment with RFC 9700 reuse detection on; revoke is checked with C's.
        response = self.call("POST", f"{self.auth}/token/refresh", json={"refresh_token": old_refresh})
        self.expect("the old refresh token is refused afterwards (400/401 problem)", response, 400, 401, problem=True)

        response = self.call("POST", f"{self.auth}/token/revoke", user=b, json={"refresh_token": c.refresh_token})
        self.expect("token/revoke with another account's refresh token -> 403 problem", response, 403, problem=True)
        response = self.call("GET", f"{self.auth}/account", user=c)
        self.require(
            "C's access token works before revoke (GET account 200)",
            response.status_code == 200,
            self.describe(response),
        )
        response = self.call("POST", f"{self.auth}/token/revoke", user=c, json={"refresh_token": c.refresh_token})
        self.expect("token/revoke -> 204", response, 204)
        response = self.call("GET", f"{self.auth}/account", user=c)
        self.expect("the revoked access token is refused at once (401 problem)", response, 401, problem=True)
        response = self.call("POST", f"{self.api}/items", user=c, json={"title": "x", "condition": "used"})
        self.expect("the revoked access token cannot write (401 problem)", response, 401, problem=True)
        response = self.call("GET", f"{self.api}/auctions", user=c)
        self.expect("a public read with the revoked token is refused (401 problem)", response, 401, problem=True)
        response = self.call("GET", f"{self.api}/auctions")
        self.expect("the same read without a token is public (200)", response, 200)
        response = self.call("POST", f"{self.auth}/token/refresh", json={"refresh_token": c.refresh_token})
        self.expect("the revoked refresh token is refused (400/401 problem)", response, 400, 401, problem=True)

    # --- auctions ------------------------------------------------------------------------

    def create_auction(self, seller: User, label: str, *, seconds: float, **fields: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "item": {
                "title": f"e2e {label} {self.suffix}",
                "description": f"An item of the e2e run {self.suffix}.",
                "condition": "used",
                "country": "DE",
            },
            "currency": "EUR",
            "starting_price": "10.00",
            "end_time": self.iso(self.server_now() + timedelta(seconds=seconds)),
            **fields,
        }
        response = self.call("POST", f"{self.api}/auctions", user=seller, json=payload)
        body = self.expect_or_abort(f"create auction '{label}' -> 201", response, 201)
        self.require(
            f"auction '{label}' reads back with an id", isinstance(body, dict) and "id" in body, str(body)[:300]
        )
        location = response.headers.get("Location", "")
        self.check(
            f"auction '{label}': Location names it", location.endswith(f"/auctions/{body['id']}"), location or "(none)"
        )
        return dict(body)

    def bid(
        self, user: User, auction_id: Any, amount: str, max_amount: str | None = None, **kw: Any
    ) -> requests.Response:
        payload: dict[str, Any] = {"amount": amount}
        if max_amount is not None:
            payload["max_amount"] = max_amount
        return self.call("POST", f"{self.api}/auctions/{auction_id}/bids", user=user, json=payload, **kw)

    def expect_bid(
        self, name: str, response: requests.Response, *, price: str, leading: bool, minimum: str | None = None
    ) -> dict[str, Any]:
        body = self.expect_or_abort(f"{name} -> 201", response, 201) or {}
        got = {"current_price": body.get("current_price"), "leading": body.get("leading")}
        want: dict[str, Any] = {"current_price": price, "leading": leading}
        if minimum is not None:
            got["minimum_bid"], want["minimum_bid"] = body.get("minimum_bid"), minimum
        self.check(f"{name}: " + ", ".join(f"{k} {v}" for k, v in want.items()), got == want, f"got {got}")
        return dict(body)

    def proxy_auction(self, a: User, b: User, c: User) -> None:
        # A short auction with an item made in the same request, and one that stays unsold.
        unsold = self.create_auction(a, "unsold", seconds=max(2.0, self.auction_seconds / 2), starting_price="5.00")
        auction = self.create_auction(a, "proxy", seconds=self.auction_seconds)
        opened = time.monotonic()
        pid = auction["id"]
        seller = auction.get("seller") or {}
        self.check(
            "new auction: open, price 10.00, minimum_bid 10.00, no bids, seller A, no winner",
            auction.get("status") == "open"
            and auction.get("current_price") == "10.00"
            and auction.get("minimum_bid") == "10.00"
            and auction.get("bid_count") == 0
            and auction.get("leading_bidder") is None
            and auction.get("winning_bid") is None
            and seller.get("username") == a.username,
            str(auction)[:400],
        )
        self.check(
            "new auction: end_time is ISO 8601 UTC with Z",
            str(auction.get("end_time", "")).endswith("Z"),
            str(auction.get("end_time")),
        )

        found = self.find_open(pid, unsold["id"])
        self.check("GET auctions?status=open lists both new auctions, all open", found, "")

        response = self.call("GET", f"{self.api}/auctions/{pid}")
        self.expect("GET auctions/{id} needs no token -> 200", response, 200)

        response = self.bid(a, pid, "10.00")
        self.expect("seller bids on own auction -> 403 problem", response, 403, problem=True)
        response = self.bid(b, pid, "10.001")
        self.expect("a bid with more decimals than EUR allows -> 400 problem", response, 400, problem=True)
        response = self.bid(b, pid, "30.00", "20.00")
        self.expect("a bid with max_amount below amount -> 400 problem", response, 400, problem=True)
        response = self.call("GET", f"{self.api}/auctions/0")
        self.expect("GET an auction that does not exist -> 404 problem", response, 404, problem=True)

        # SPEC issue-4 scenario: B's ceiling 50.00 against C's bids.
        self.expect_bid(
            "B bids 10.00 max 50.00", self.bid(b, pid, "10.00", "50.00"), price="10.00", leading=True, minimum="10.50"
        )
        current = self.auction(pid)
        leader = current.get("leading_bidder") or {}
        self.check(
            "auction reads price 10.00, minimum_bid 10.50, B leads, 1 bid",
            (current.get("current_price"), current.get("minimum_bid"), leader.get("username"), current.get("bid_count"))
            == ("10.00", "10.50", b.username, 1),
            str(current)[:400],
        )
        response = self.call("POST", f"{self.api}/auctions/{pid}/cancel", user=a)
        self.expect("seller cancels after a bid -> 409 problem", response, 409, problem=True)

        self.expect_bid("C bids 20.00", self.bid(c, pid, "20.00"), price="20.50", leading=False, minimum="21.00")
        response = self.bid(c, pid, "5.00")
        body = self.body(response) or {}
        self.expect("C bids 5.00 (too low) -> 409 problem", response, 409, problem=True)
        self.check("the 409 carries minimum_bid 21.00", body.get("minimum_bid") == "21.00", str(body)[:300])

        key = str(uuid.uuid4())
        first = self.bid(c, pid, "60.00", headers={"Idempotency-Key": key})
        first_body = self.expect_bid(
            "C bids 60.00 (Idempotency-Key)", first, price="51.00", leading=True, minimum="52.00"
        )
        count = self.auction(pid).get("bid_count")
        replay = self.bid(c, pid, "60.00", headers={"Idempotency-Key": key})
        self.check(
            "replaying the same key and body -> the first response (201, same body)",
            replay.status_code == 201 and self.body(replay) == first_body,
            f"first {first_body}, replay {self.describe(replay)}",
        )
        after = self.auction(pid).get("bid_count")
        self.check(f"the replay creates nothing (bid_count stays {count})", after == count, f"{count} -> {after}")
        response = self.bid(c, pid, "61.00", headers={"Idempotency-Key": key})
        self.expect("the same key with another body -> 422 problem", response, 422, problem=True)

        self.history(pid, b, c)
        self.note(
            f"the exchange took {time.monotonic() - opened:.1f} s of the auction's {self.auction_seconds:g} s"
            " (--auction-seconds lengthens it on a slow deployment)"
        )

        # The end: bids are refused, the workers settle.
        current, _ = self.wait_for(pid, lambda x: x.get("status") != "open", self.auction_seconds + 10)
        self.require(
            "the auction stops being open at its end_time", current.get("status") != "open", str(current)[:300]
        )
        response = self.bid(b, pid, "100.00")
        self.expect("B bids after the end -> 409 problem", response, 409, problem=True)

        settled, waited = self.wait_for(pid, lambda x: x.get("status") in SETTLED, self.settle_timeout)
        winner = settled.get("winning_bid") or {}
        self.check(
            f"the workers settle it: status fulfilled (within {self.settle_timeout:g} s)",
            settled.get("status") == "fulfilled",
            f"status {settled.get('status')!r} after {waited:.1f} s",
        )
        end = parse_time(settled.get("end_time"))
        if settled.get("status") == "fulfilled" and end:
            self.note(f"seen settled about {(self.server_now() - end).total_seconds():.1f} s after end_time")
        self.check(
            "winning_bid: C at 51.00; the auction's price 51.00",
            (winner.get("bidder") or {}).get("username") == c.username
            and winner.get("amount") == "51.00"
            and settled.get("current_price") == "51.00",
            f"winning_bid {winner}, current_price {settled.get('current_price')}",
        )
        rows = (self.body(self.call("GET", f"{self.api}/auctions/{pid}/bids")) or {}).get("results", [])
        winning = [row for row in rows if row.get("is_winning")]
        self.check(
            "after settlement the history marks exactly one bid winning: the winning_bid",
            len(winning) == 1 and winner.get("id") is not None and winning[0].get("id") == winner.get("id"),
            f"winning_bid {winner.get('id')}, marked {[row.get('id') for row in winning]}",
        )
        other, _ = self.wait_for(unsold["id"], lambda x: x.get("status") in SETTLED, self.settle_timeout)
        self.check(
            "the auction without bids is settled unsold, with no winner",
            other.get("status") == "unsold" and other.get("winning_bid") is None,
            f"status {other.get('status')!r}, winning_bid {other.get('winning_bid')}",
        )
        self.mine(a, c, pid, auction)

    def find_open(self, *ids: Any) -> bool:
        wanted, seen, all_open = set(ids), set(), True
        url: str | None = f"{self.api}/auctions"
        params: dict[str, Any] | None = {"status": "open", "ordering": "-created_at", "page_size": 100}
        for _ in range(5):
            if url is None:
                break
            response = self.call("GET", url, params=params)
            body = self.body(response)
            if response.status_code != 200 or not isinstance(body, dict):
                self.note(self.describe(response))
                return False
            for row in body.get("results", []):
                seen.add(row.get("id"))
                all_open = all_open and row.get("status") == "open"
            if wanted <= seen:
                break
            url, params = body.get("next"), None
        return wanted <= seen and all_open

    def history(self, pid: Any, b: User, c: User) -> None:
        response = self.call("GET", f"{self.api}/auctions/{pid}/bids")
        body = self.body(response) or {}
        rows = body.get("results", []) if isinstance(body, dict) else []
        self.require(
            "GET auctions/{id}/bids (no token) -> 200, paginated",
            response.status_code == 200 and bool(rows),
            self.describe(response),
        )
        times = [parse_time(row.get("placed_at")) or datetime.min.replace(tzinfo=UTC) for row in rows]
        ids = [row.get("id") for row in rows]
        self.check(
            "history is newest first",
            times == sorted(times, reverse=True) and ids == sorted(ids, reverse=True),
            f"ids {ids}, placed_at {[row.get('placed_at') for row in rows]}",
        )
        by_b = [row for row in rows if (row.get("bidder") or {}).get("username") == b.username]
        by_c = [row for row in rows if (row.get("bidder") or {}).get("username") == c.username]
        self.check(
            "history has B's 10.00, B's automatic 20.50 and C's 20.00",
            any(r.get("amount") == "10.00" and not r.get("is_automatic") for r in by_b)
            and any(r.get("amount") == "20.50" and r.get("is_automatic") for r in by_b)
            and any(r.get("amount") == "20.00" and not r.get("is_automatic") for r in by_c),
            str(rows)[:600],
        )
        winning = [row for row in rows if row.get("is_winning")]
        self.check(
            "while open, at most one bid is marked winning, and only C's newest",
            all("is_winning" in row for row in rows) and (not winning or (bool(by_c) and winning == [by_c[0]])),
            str(winning)[:300],
        )
        self.check(
            "anonymous readers never see a maximum",
            all(row.get("max_amount") is None for row in rows),
            str([row.get("max_amount") for row in rows]),
        )
        as_c = self.body(self.call("GET", f"{self.api}/auctions/{pid}/bids", user=c)) or {}
        self.check(
            "C does not see B's maximum",
            all(
                row.get("max_amount") is None
                for row in as_c.get("results", [])
                if (row.get("bidder") or {}).get("username") == b.username
            ),
            str(as_c)[:400],
        )
        as_b = self.body(self.call("GET", f"{self.api}/auctions/{pid}/bids", user=b)) or {}
        self.check(
            "B sees their own maximum 50.00",
            any(
                row.get("max_amount") == "50.00" and row.get("amount") == "10.00"
                for row in as_b.get("results", [])
                if (row.get("bidder") or {}).get("username") == b.username
            ),
            str(as_b)[:400],
        )

    def mine(self, a: User, c: User, pid: Any, auction: dict[str, Any]) -> None:
        body = self.body(self.call("GET", f"{self.api}/me/auctions", user=a, params={"page_size": 100})) or {}
        self.check(
            "A's me/auctions lists the auction",
            any(r.get("id") == pid for r in body.get("results", [])),
            str(body)[:300],
        )
        item_id = auction.get("item", {}).get("id") if isinstance(auction.get("item"), dict) else auction.get("item")
        body = self.body(self.call("GET", f"{self.api}/me/items", user=a, params={"page_size": 100})) or {}
        self.check(
            "A's me/items lists the auctioned item",
            any(r.get("id") == item_id for r in body.get("results", [])),
            str(body)[:300],
        )
        body = self.body(self.call("GET", f"{self.api}/me/bids", user=c, params={"state": "won"})) or {}
        self.check(
            "C's me/bids?state=won names the auction",
            any(mentions(r, pid) for r in body.get("results", [])),
            str(body)[:300],
        )

    def buy_now(self, a: User, b: User, c: User) -> None:
        response = self.call(
            "POST",
            f"{self.api}/items",
            user=a,
            json={
                "title": f"e2e buy-now {self.suffix}",
                "description": "Made first, auctioned by id.",
                "condition": "like-new",
            },
        )
        item = self.expect_or_abort("POST items -> 201", response, 201) or {}
        response = self.call(
            "POST",
            f"{self.api}/auctions",
            user=a,
            json={
                "item": item.get("id"),
                "currency": "EUR",
                "starting_price": 10,
                "buy_now_price": "100.00",
                "end_time": self.iso(self.server_now() + timedelta(hours=1)),
            },
        )
        auction = (
            self.expect_or_abort("create an auction of that item by id, buy-now 100.00 -> 201", response, 201) or {}
        )
        nid = auction.get("id")
        response = self.call("POST", f"{self.api}/auctions/{nid}/buy-now", user=a)
        self.expect("seller uses buy-now on own auction -> 403 problem", response, 403, problem=True)
        key = {"Idempotency-Key": f"e2e-buy-now-{self.suffix}"}
        response = self.call("POST", f"{self.api}/auctions/{nid}/buy-now", user=b, headers=key)
        self.expect("B buys now -> 200/201", response, 200, 201)
        again = self.call("POST", f"{self.api}/auctions/{nid}/buy-now", user=b, headers=key)
        self.check(
            "B's buy-now retried with its Idempotency-Key replays the win (Idempotent-Replayed: true)",
            again.status_code == response.status_code
            and again.headers.get("Idempotent-Replayed") == "true"
            and again.text == response.text,
            f"{again.status_code} {again.headers.get('Idempotent-Replayed')!r} {again.text[:200]}",
        )
        response = self.bid(c, nid, "110.00")
        self.expect("C bids after the buy-now -> 409 problem", response, 409, problem=True)
        settled, waited = self.wait_for(nid, lambda x: x.get("status") in SETTLED, self.settle_timeout)
        winner = settled.get("winning_bid") or {}
        self.check(
            "buy-now auction is fulfilled: B wins at 100.00",
            settled.get("status") == "fulfilled"
            and (winner.get("bidder") or {}).get("username") == b.username
            and winner.get("amount") == "100.00",
            f"after {waited:.1f} s: status {settled.get('status')!r}, winning_bid {winner}",
        )

    def cancel(self, a: User, b: User) -> None:
        auction = self.create_auction(a, "cancel", seconds=3600)
        xid = auction["id"]
        response = self.call("POST", f"{self.api}/auctions/{xid}/cancel/", user=b)
        self.expect(
            "someone else cancels the auction (path with a trailing slash) -> 403 problem", response, 403, problem=True
        )
        response = self.call("POST", f"{self.api}/auctions/{xid}/cancel", user=a)
        self.expect("seller cancels before any bid -> 200/204", response, 200, 204)
        current = self.auction(xid)
        self.check("the auction reads cancelled", current.get("status") == "cancelled", str(current.get("status")))
        response = self.bid(b, xid, "10.00")
        self.expect("B bids on the cancelled auction -> 409 problem", response, 409, problem=True)


def mentions(row: Any, auction_id: Any) -> bool:
    """A `me/bids` row names the auction as an id, an object, or is the auction itself."""
    if not isinstance(row, dict):
        return False
    ref = row.get("auction")
    if isinstance(ref, dict):
        ref = ref.get("id")
    return ref == auction_id or (ref is None and row.get("id") == auction_id)


def parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Walk a real session end to end against an Auctioneer deployment.",
        epilog="Exit status: 0 all checks passed, 1 a check failed, 2 the endpoints cannot be reached.",
    )
    parser.add_argument("management_api", help="Management API base URL, e.g. http://127.0.0.1:8000/api/v1")
    parser.add_argument("auth_api", help="Authorization API base URL, e.g. http://127.0.0.1:8000/api/auth")
    parser.add_argument("--auction-seconds", type=float, default=8.0, help="length of the short auctions (default 8)")
    parser.add_argument(
        "--settle-timeout", type=float, default=15.0, help="how long to wait for the workers to settle (default 15)"
    )
    parser.add_argument("--request-timeout", type=float, default=15.0, help="per-request timeout (default 15)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every request and response")
    args = parser.parse_args(argv)
    tester = Tester(
        api=args.management_api.rstrip("/"),
        auth=args.auth_api.rstrip("/"),
        auction_seconds=args.auction_seconds,
        settle_timeout=args.settle_timeout,
        request_timeout=args.request_timeout,
        verbose=args.verbose,
    )
    return tester.run()


if __name__ == "__main__":
    sys.exit(main())
