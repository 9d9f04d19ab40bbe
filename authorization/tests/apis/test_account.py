from http import HTTPStatus

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from authorization.models import User
from authorization.tests.conftest import ACCOUNT, PASSWORD, REFRESH, TOKEN
from authorization.tests.factories import NEW_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD_URL = reverse("authorization:account-password")
PING = reverse("auctions:ping")
PROBLEM = "application/problem+json"


def test_account_is_the_callers_profile(account_user, client_for):
    response = client_for(account_user).get(ACCOUNT)

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["id"] == account_user.pk
    assert data["username"] == "alice"
    assert data["email"] == "alice@example.com"
    assert set(data) == {"id", "username", "email", "first_name", "last_name", "country", "city", "date_joined"}


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_account_needs_a_token(api_client, method):
    response = getattr(api_client, method)(ACCOUNT)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bogus_token_is_a_401_problem(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get(ACCOUNT)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"] == PROBLEM


def test_patch_changes_the_listed_fields_only(account_user, client_for):
    response = client_for(account_user).patch(
        ACCOUNT,
        {
            "email": "Alice@Example.ORG",
            "first_name": "Alice",
            "last_name": "Liddell",
            "country": "gb",
            "city": "Oxford",
            "username": "mallory",
            "is_staff": True,
            "is_superuser": True,
            "id": 999,
        },
        format="json",
    )

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["email"] == "Alice@example.org"
    assert [data[f] for f in ("first_name", "last_name", "country", "city")] == ["Alice", "Liddell", "GB", "Oxford"]
    assert data["username"] == "alice"
    account_user.refresh_from_db()
    assert (account_user.username, account_user.is_staff, account_user.is_superuser) == ("alice", False, False)
    assert account_user.city == "Oxford"


def test_patch_of_one_field_keeps_the_others(account_user, client_for):
    account_user.city = "Paris"
    account_user.save()

    response = client_for(account_user).patch(ACCOUNT, {"first_name": "Al"}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert (response.json()["first_name"], response.json()["city"]) == ("Al", "Paris")


def test_patch_to_an_email_another_account_has_is_409(account_user, client_for):
    UserFactory.create(email="taken@example.com")

    response = client_for(account_user).patch(ACCOUNT, {"email": "TAKEN@example.com"}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response["Content-Type"] == PROBLEM
    account_user.refresh_from_db()
    assert account_user.email == "alice@example.com"


def test_patch_to_ones_own_email_in_another_case_is_fine(account_user, client_for):
    response = client_for(account_user).patch(ACCOUNT, {"email": "ALICE@example.com"}, format="json")

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("field", "value"), [("email", "nope"), ("country", "ZZ"), ("country", "\ufb01"), ("city", "x" * 101)]
)
def test_patch_with_a_bad_value_is_400(account_user, client_for, field, value):
    response = client_for(account_user).patch(ACCOUNT, {field: value}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"]


def test_password_change_revokes_every_other_token(api_client, oauth_client, account_user, login, bearer):
    current = login(account_user)
    other = login(account_user)

    response = bearer(current["access_token"]).post(
        PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert bearer(current["access_token"]).get(ACCOUNT).status_code == HTTPStatus.OK
    assert bearer(other["access_token"]).get(ACCOUNT).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.post(REFRESH, {"refresh_token": other["refresh_token"]}).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.post(REFRESH, {"refresh_token": current["refresh_token"]}).status_code == HTTPStatus.OK
    old = api_client.post(TOKEN, {"username": "alice", "password": PASSWORD})
    assert old.status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.post(TOKEN, {"username": "alice", "password": NEW_PASSWORD}).status_code == HTTPStatus.OK


def test_password_change_with_a_wrong_old_password_is_400(account_user, client_for):
    response = client_for(account_user).post(PASSWORD_URL, {"old_password": "wrong", "new_password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert "old_password" in response.json()["errors"]
    account_user.refresh_from_db()
    assert account_user.check_password(PASSWORD)


def test_password_change_to_a_weak_password_is_400(account_user, client_for):
    response = client_for(account_user).post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": "alice123"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "new_password" in response.json()["errors"]


def test_delete_deactivates_the_account_and_revokes_its_tokens(api_client, oauth_client, account_user, login, bearer):
    pair = login(account_user)
    other = login(account_user)

    response = bearer(pair["access_token"]).delete(ACCOUNT, {"password": PASSWORD}, format="json")

    assert response.status_code == HTTPStatus.NO_CONTENT
    for tokens in (pair, other):
        assert bearer(tokens["access_token"]).get(ACCOUNT).status_code == HTTPStatus.UNAUTHORIZED
        assert api_client.post(REFRESH, {"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert api_client.post(TOKEN, {"username": "alice", "password": PASSWORD}).status_code == 401
    kept = User.objects.get(pk=account_user.pk)
    assert kept.is_active is False
    # Its history stays theirs: neither the username nor the email is free for a new account.
    for taken in ({"username": "alice", "email": "new@example.com"}, {"username": "alicia", "email": kept.email}):
        again = api_client.post(reverse("authorization:register"), {**taken, "password": "a long passphrase 7"})
        assert again.status_code == HTTPStatus.CONFLICT, again.json()


@pytest.mark.parametrize("data", [{}, {"password": "wrong"}])
def test_delete_without_the_right_password_is_400_and_changes_nothing(account_user, client_for, data):
    client = client_for(account_user)

    response = client.delete(ACCOUNT, data, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "password" in response.json()["errors"]
    assert client.get(ACCOUNT).status_code == HTTPStatus.OK


def test_tokens_of_a_user_deactivated_elsewhere_stop_working(api_client, oauth_client, account_user, login, bearer):
    pair = login(account_user)
    User.objects.filter(pk=account_user.pk).update(is_active=False)  # e.g. in /admin

    assert bearer(pair["access_token"]).get(PING).status_code == HTTPStatus.UNAUTHORIZED
    assert bearer(pair["access_token"]).get(ACCOUNT).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.post(REFRESH, {"refresh_token": pair["refresh_token"]}).status_code == HTTPStatus.UNAUTHORIZED


def test_a_country_is_taken_in_any_case_and_around_spaces(account_user, client_for):
    response = client_for(account_user).patch(ACCOUNT, {"country": " de "}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["country"] == "DE"


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("patch", ACCOUNT, {"city": "Berlin"}),
        ("post", PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}),
        ("delete", ACCOUNT, {"password": PASSWORD}),
    ],
    ids=["patch", "password", "delete"],
)
def test_changing_the_account_needs_the_write_scope(account_user, make_token, method, url, data):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(account_user, scope='read')}")

    response = getattr(client, method)(url, data, format="json")
    reading = client.get(ACCOUNT)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Content-Type"] == PROBLEM
    assert "write" in response.json()["detail"]
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert 'scope="write"' in response["WWW-Authenticate"]
    assert reading.status_code == HTTPStatus.OK
    account_user.refresh_from_db()
    assert (account_user.city, account_user.is_active, account_user.check_password(PASSWORD)) == ("", True, True)


def account_rate(monkeypatch: pytest.MonkeyPatch, rate: str) -> None:
    """DRF binds ScopedRateThrottle's rates when it is imported, so settings overrides miss it."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "account": rate})


@pytest.mark.parametrize(
    ("method", "url", "field"),
    [("post", PASSWORD_URL, "old_password"), ("delete", ACCOUNT, "password")],
    ids=["password", "delete"],
)
def test_guessing_the_password_with_a_token_is_stopped_by_429(
    account_user, client_for, monkeypatch, method, url, field
):
    """A stolen access token must not turn `old_password` or `password` into a way around the
    token endpoint's per-username throttle."""
    client = client_for(account_user)
    data = {"new_password": NEW_PASSWORD} if field == "old_password" else {}
    account_rate(monkeypatch, "10/min")
    statuses = [
        getattr(client, method)(url, {**data, field: f"guess {n}"}, format="json").status_code for n in range(10)
    ]
    refused = getattr(client, method)(url, {**data, field: PASSWORD}, format="json")

    assert statuses == [400] * 10
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Content-Type"] == PROBLEM
    assert 0 < int(refused["Retry-After"]) <= 60
    account_user.refresh_from_db()
    assert (account_user.is_active, account_user.check_password(PASSWORD)) == (True, True)


def test_account_changes_share_one_budget_per_user(account_user, client_for, monkeypatch):
    """The email check of PATCH (409 for a taken email) is no faster a way to probe emails."""
    UserFactory.create(email="bob@example.com")
    client = client_for(account_user)
    account_rate(monkeypatch, "3/min")
    statuses = [
        client.patch(ACCOUNT, {"email": email}, format="json").status_code
        for email in ("a1@example.com", "bob@example.com", "a2@example.com", "a3@example.com")
    ]
    other = client_for(UserFactory.create()).patch(ACCOUNT, {"city": "Oslo"}, format="json")
    reading = client.get(ACCOUNT)

    assert statuses == [200, 409, 200, 429]
    assert other.status_code == HTTPStatus.OK  # per user, not per address
    assert reading.status_code == HTTPStatus.OK  # reads are not throttled
