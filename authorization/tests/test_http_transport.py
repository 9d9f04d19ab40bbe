"""The HTTP transport when the Authentication Service misbehaves: every failure is a problem
answer in bounded time (502/503), never a hang or a 500. (Its happy path runs against a live
server in test_acceptance_live.py.)"""

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, set_token_value

from auctioneer.testing import free_port
from authorization.models import User

from .conftest import PASSWORD, TOKEN

pytestmark = pytest.mark.django_db

REGISTER = reverse("authorization:register")
PROBLEM = "application/problem+json"

Answer = tuple[int, str, bytes]  # status, content type, body


class FakeService(ThreadingHTTPServer):
    """A stand-in Authentication Service: answers every POST with `answer`, keeps what it got."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.received: list[tuple[dict[str, str], str]] = []
        super().__init__(("127.0.0.1", 0), _FakeHandler)

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/o/token/"


class _FakeHandler(BaseHTTPRequestHandler):
    server: FakeService

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.received.append((dict(self.headers), self.rfile.read(length).decode()))
        status, content_type, body = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_service() -> Iterator[Callable[[Answer], FakeService]]:
    servers: list[FakeService] = []

    def start(answer: Answer) -> FakeService:
        server = FakeService(answer)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_mode(oauth_client, settings):
    def point_at(token_url: str) -> None:
        settings.OAUTH_TOKEN_URL = token_url
        settings.OAUTH_TOKEN_REVOKE_URL = token_url.replace("/token/", "/revoke_token/")
        settings.OAUTH_HTTP_TIMEOUT = 1.0

    return point_at


def assert_problem(response, status: int) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == status


def test_the_token_call_sends_client_credentials_by_basic_auth(api_client, user, http_mode, fake_service):
    pair = {"access_token": "a", "refresh_token": "r", "expires_in": 60, "token_type": "Bearer", "scope": "read"}
    service = fake_service((200, "application/json", json.dumps(pair).encode()))
    http_mode(service.token_url)

    response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == pair
    [(headers, body)] = service.received
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"test-client-id:test-client-secret").decode()
    assert parse_qs(body) == {"grant_type": ["password"], "username": [user.username], "password": [PASSWORD]}


def test_an_unreachable_service_is_503(api_client, user, http_mode):
    http_mode(f"http://127.0.0.1:{free_port()}/o/token/")  # nothing listens there

    assert_problem(api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}), 503)


def test_a_service_that_never_answers_is_503_after_the_timeout(api_client, user, http_mode):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections (the kernel does), never answers
        http_mode(f"http://127.0.0.1:{silent.getsockname()[1]}/o/token/")
        started = time.monotonic()

        response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert_problem(response, 503)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "answer",
    [
        (500, "text/html", b"<h1>Server Error</h1>"),
        (503, "application/json", b'{"error": "down"}'),
        (200, "text/html", b"<html>a proxy login page</html>"),
        (200, "application/json", b'{"access_token": "only this"}'),
        (200, "application/json", b"[1, 2]"),
        (400, "application/json", b'{"error": "invalid_request"}'),
    ],
    ids=["500", "503", "not-json", "no-pair", "not-an-object", "invalid-request"],
)
def test_a_failing_or_nonsensical_service_is_502(api_client, user, http_mode, fake_service, answer):
    http_mode(fake_service(answer).token_url)

    assert_problem(api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}), 502)


def test_invalid_grant_from_the_service_is_401(api_client, user, http_mode, fake_service):
    http_mode(fake_service((400, "application/json", b'{"error": "invalid_grant"}')).token_url)

    assert_problem(api_client.post(TOKEN, {"username": user.username, "password": "wrong"}), 401)


def test_a_service_refusing_the_client_is_503(api_client, user, http_mode, fake_service):
    http_mode(fake_service((401, "application/json", b'{"error": "invalid_client"}')).token_url)

    response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert_problem(response, 503)
    assert "OAUTH_CLIENT_ID" in response.json()["detail"]


def test_a_registration_when_the_service_is_down_leaves_no_account(api_client, http_mode):
    http_mode(f"http://127.0.0.1:{free_port()}/o/token/")
    body = {"username": "eve", "email": "eve@example.com", "password": "an unusual passphrase 7"}

    assert_problem(api_client.post(REGISTER, body, format="json"), 503)
    assert not User.objects.filter(username="eve").exists()


def test_a_token_url_without_a_revoke_url_is_a_clear_503_on_revoke(user, oauth_client, settings, bearer):
    token = AccessToken(user=user, application=oauth_client.application, expires=timezone.now() + timedelta(hours=1))
    set_token_value(token, "raw-token")
    token.save()
    settings.OAUTH_TOKEN_URL = f"http://127.0.0.1:{free_port()}/o/token/"
    settings.OAUTH_TOKEN_REVOKE_URL = ""

    response = bearer("raw-token").post(reverse("authorization:token-revoke"))

    assert_problem(response, 503)
    assert "OAUTH_TOKEN_REVOKE_URL" in response.json()["detail"]
