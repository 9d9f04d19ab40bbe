"""The Authorization API as requests a client sends, against a real gunicorn server in both
transport modes: in-process (the default) and HTTP to the server's own `/o/` (OAUTH_TOKEN_URL set).
"""

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest
import requests

from auctioneer.testing import LiveServer, free_port, live_server

pytestmark = pytest.mark.live

PROBLEM = "application/problem+json"
TIMEOUT = 30


@pytest.fixture(scope="module", params=["in-process", "http"])
def server(request) -> Iterator[LiveServer]:
    port = free_port()
    transport = {}
    if request.param == "http":
        transport = {
            "OAUTH_TOKEN_URL": f"http://127.0.0.1:{port}/o/token/",
            "OAUTH_TOKEN_REVOKE_URL": f"http://127.0.0.1:{port}/o/revoke_token/",
        }
    # In HTTP mode each request to /api/auth holds a slot while it waits on a call to /o/ on the
    # same server: threads leave room for the six concurrent registrations and their token calls.
    with live_server(PORT=str(port), WEB_CONCURRENCY="2", GUNICORN_THREADS="8", **transport) as server:
        yield server


def post(server: LiveServer, path: str, json: dict | None = None, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(server.url + path, json=json or {}, headers=headers, timeout=TIMEOUT)


def get(server: LiveServer, path: str, token: str) -> requests.Response:
    return requests.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)


def is_problem(response: requests.Response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers["Content-Type"] == PROBLEM
        and response.json()["status"] == status
    )


def test_register_token_write_refresh_revoke(server):
    password = "Pw-" + secrets.token_urlsafe(12)
    registered = post(
        server, "/api/auth/register", {"username": "ann", "email": "ann@example.com", "password": password}
    )
    assert registered.status_code == HTTPStatus.CREATED, registered.text
    assert registered.json()["access_token"] and registered.json()["refresh_token"]
    assert registered.json()["user"]["username"] == "ann"

    login = post(server, "/api/auth/token", {"username": "ann", "password": password})
    assert login.status_code == HTTPStatus.OK, login.text
    pair = login.json()

    item = {"title": "A lamp", "description": "Brass.", "condition": "used"}
    created = post(server, "/api/v1/items", item, token=pair["access_token"])
    assert created.status_code == HTTPStatus.CREATED, created.text

    refreshed = post(server, "/api/auth/token/refresh", {"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == HTTPStatus.OK, refreshed.text
    new = refreshed.json()
    assert new["refresh_token"] != pair["refresh_token"]
    assert get(server, "/api/auth/account", new["access_token"]).status_code == HTTPStatus.OK
    assert is_problem(get(server, "/api/auth/account", pair["access_token"]), 401)

    revoked = post(server, "/api/auth/token/revoke", {"refresh_token": new["refresh_token"]}, token=new["access_token"])
    assert revoked.status_code == HTTPStatus.NO_CONTENT, revoked.text
    assert is_problem(get(server, "/api/auth/account", new["access_token"]), 401)
    assert is_problem(post(server, "/api/v1/items", item, token=new["access_token"]), 401)
    assert is_problem(post(server, "/api/auth/token/refresh", {"refresh_token": new["refresh_token"]}), 401)
    assert is_problem(post(server, "/api/auth/token/refresh", {"refresh_token": pair["refresh_token"]}), 401)


def test_refusals_are_problem_details(server):
    password = "Pw-" + secrets.token_urlsafe(12)
    body = {"username": "ben", "email": "ben@example.com", "password": password, "is_staff": True, "id": 4242}
    registered = post(server, "/api/auth/register", body)
    assert registered.status_code == HTTPStatus.CREATED, registered.text
    assert registered.json()["user"]["id"] != 4242
    assert "is_staff" not in registered.json()["user"]

    assert is_problem(post(server, "/api/auth/token", {"username": "ben", "password": "wrong"}), 401)
    assert is_problem(post(server, "/api/auth/register", {**body, "email": "other@example.com"}), 409)
    assert is_problem(
        post(server, "/api/auth/register", {**body, "username": "other", "email": "BEN@example.com"}), 409
    )
    weak = post(server, "/api/auth/register", {"username": "cat", "email": "cat@example.com", "password": "123"})
    assert is_problem(weak, 400)
    assert "password" in weak.json()["errors"]


def test_thirty_wrong_passwords_meet_a_429_before_the_end(server):
    post(server, "/api/auth/register", {"username": "dan", "email": "dan@example.com", "password": "Pw-x7-Kq2-Zm9"})

    responses = [post(server, "/api/auth/token", {"username": "dan", "password": f"guess-{n}"}) for n in range(30)]

    statuses = [r.status_code for r in responses]
    assert HTTPStatus.TOO_MANY_REQUESTS in statuses, statuses
    assert set(statuses) == {401, 429}
    throttled = responses[statuses.index(429)]
    assert is_problem(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0


def test_the_same_registration_sent_at_once_creates_one_account(server):
    body = {"username": "gil", "email": "gil@example.com", "password": "Pw-" + secrets.token_urlsafe(12)}

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: post(server, "/api/auth/register", body), range(6)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    assert all(is_problem(r, 409) for r in responses if r.status_code == 409)
    assert post(server, "/api/auth/token", body).status_code == HTTPStatus.OK
