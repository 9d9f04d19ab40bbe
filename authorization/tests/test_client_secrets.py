"""A client secret is hashed once per process (authorization.oauth2_validators.VerifiedClientSecrets):
what a client sees stays the same, a changed or wrong secret is still refused at once, and the
Authorization API stops re-proving its own secret on every login, refresh and revoke."""

import base64
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from oauth2_provider import oauth2_validators as dot_validators

from authorization import oauth2_validators
from authorization.oauth2_validators import VerifiedClientSecrets

from .conftest import ACCOUNT, PASSWORD, REFRESH, REVOKE, TOKEN

pytestmark = pytest.mark.django_db

OAUTH_TOKEN = reverse("oauth2_provider:token")
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch) -> VerifiedClientSecrets:
    memory = VerifiedClientSecrets()
    monkeypatch.setattr(oauth2_validators, "verified_client_secrets", memory)
    return memory


@pytest.fixture
def secret_hashes(monkeypatch, oauth_client) -> list[str]:
    """The stored client-secret hashes DOT checks a secret against, one entry per check."""
    checked: list[str] = []
    check_password = dot_validators.check_password

    def spy(provided, stored, *args, **kwargs):
        if stored == oauth_client.application.client_secret:
            checked.append(stored)
        return check_password(provided, stored, *args, **kwargs)

    monkeypatch.setattr(dot_validators, "check_password", spy)
    return checked


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_logins_refreshes_and_revokes_hash_the_client_secret_once(api_client, bearer, user, secret_hashes):
    first = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})
    second = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})
    refreshed = api_client.post(REFRESH, {"refresh_token": second.json()["refresh_token"]})
    revoked = bearer(refreshed.json()["access_token"]).post(REVOKE)

    assert [first.status_code, second.status_code, refreshed.status_code] == [HTTPStatus.OK] * 3
    assert revoked.status_code == HTTPStatus.NO_CONTENT
    assert bearer(refreshed.json()["access_token"]).get(ACCOUNT).status_code == 401
    assert len(secret_hashes) == 1


def test_a_changed_client_secret_refuses_the_old_one_at_once(api_client, oauth_client, user, secret_hashes):
    assert api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).status_code == HTTPStatus.OK
    oauth_client.application.client_secret = "a-new-secret"  # hashed on save: a new stored hash
    oauth_client.application.save()

    response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE  # the server's settings hold the old secret
    assert "OAUTH_CLIENT_ID" in response.json()["detail"]


def test_a_wrong_secret_is_refused_and_checked_in_full_every_time(api_client, oauth_client, user, secret_hashes):
    grant = urlencode({"grant_type": "password", "username": user.username, "password": PASSWORD})
    right = basic(oauth_client.client_id, oauth_client.client_secret)
    wrong = basic(oauth_client.client_id, oauth_client.client_secret + "x")

    answers = [
        api_client.post(OAUTH_TOKEN, grant, content_type=FORM, HTTP_AUTHORIZATION=auth).status_code
        for auth in (right, wrong, wrong, right)
    ]

    assert answers == [HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED, HTTPStatus.OK]
    assert len(secret_hashes) == 3  # the first right one, then each wrong one


def test_the_memory_keeps_a_keyed_digest_not_the_secret_and_stays_bounded():
    memory = VerifiedClientSecrets(size=2)
    memory.add("secret-a", "hash-a")

    assert memory.holds("secret-a", "hash-a")
    assert not memory.holds("secret-b", "hash-a")
    assert not memory.holds("secret-a", "hash-b")
    assert b"secret-a" not in b"".join(memory._seen.values())
    assert VerifiedClientSecrets()._mac("secret-a") != memory._mac("secret-a")  # each process draws its own key

    memory.add("secret-b", "hash-b")
    memory.add("secret-c", "hash-c")

    assert len(memory._seen) <= 2
    assert memory.holds("secret-c", "hash-c")
