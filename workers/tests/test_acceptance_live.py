"""Settlement on time as a client sees it: gunicorn and `run_workers` (what `make start`
runs) on a throwaway database; two auctions end in 3 s, one with bids from two users."""

import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import requests

from auctioneer.testing import BASE_DIR, live_server

pytestmark = pytest.mark.live

TIMEOUT = 30


def test_auctions_ending_in_3_seconds_read_settled_within_2_seconds_of_their_end():
    with live_server(WEB_CONCURRENCY="2") as server:
        server.children.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "run_workers"],
                cwd=BASE_DIR,
                env=server.env,
                stdout=subprocess.DEVNULL,
            )
        )
        api = server.url + "/api/v1"

        def register(name: str) -> dict[str, str]:
            r = requests.post(
                server.url + "/api/auth/register",
                json={"username": name, "email": f"{name}@example.com", "password": "Pw-" + secrets.token_urlsafe(12)},
                timeout=TIMEOUT,
            )
            assert r.status_code == HTTPStatus.CREATED, r.text
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        seller, alice, bob = register("seller"), register("alice"), register("bob")

        def create() -> dict:
            end = datetime.now(UTC) + timedelta(seconds=3)
            r = requests.post(
                api + "/auctions",
                headers=seller,
                json={
                    "item": {"title": "Brass lamp", "condition": "used"},
                    "currency": "EUR",
                    "starting_price": "10.00",
                    "end_time": end.isoformat(),
                },
                timeout=TIMEOUT,
            )
            assert r.status_code == HTTPStatus.CREATED, r.text
            return r.json()

        with_bids, without_bids = create(), create()
        for who, body in ((alice, {"amount": "10.00", "max_amount": "25.00"}), (bob, {"amount": "15.00"})):
            r = requests.post(f"{api}/auctions/{with_bids['id']}/bids", headers=who, json=body, timeout=TIMEOUT)
            assert r.status_code == HTTPStatus.CREATED, r.text
        r = requests.post(
            f"{api}/auctions/{with_bids['id']}/bids", headers=bob, json={"amount": "30.00"}, timeout=TIMEOUT
        )
        assert r.status_code == HTTPStatus.CREATED and r.json()["leading"] is True, r.text

        settled: dict[int, dict] = {}
        for auction in (with_bids, without_bids):
            end = datetime.fromisoformat(auction["end_time"].replace("Z", "+00:00"))
            while auction["id"] not in settled:
                body = requests.get(f"{api}/auctions/{auction['id']}", timeout=TIMEOUT).json()
                if body["status"] in ("fulfilled", "unsold"):
                    settled[auction["id"]] = body
                else:
                    assert body["status"] in ("open", "closed")
                    assert datetime.now(UTC) < end + timedelta(seconds=2), f"not settled 2 s after its end: {body}"
                    time.sleep(0.05)

        won = settled[with_bids["id"]]
        assert won["status"] == "fulfilled"
        assert won["winning_bid"]["bidder"]["username"] == "bob"
        assert won["winning_bid"]["amount"] == won["current_price"] == "26.00"
        assert settled[without_bids["id"]]["status"] == "unsold"
        assert settled[without_bids["id"]]["winning_bid"] is None
        history = requests.get(f"{api}/auctions/{with_bids['id']}/bids", timeout=TIMEOUT).json()["results"]
        assert [bid["is_winning"] for bid in history].count(True) == 1
