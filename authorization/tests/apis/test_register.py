from http import HTTPStatus

import pytest
from django.test import override_settings
from django.urls import reverse
from oauth2_provider.models import AccessToken

from auctioneer.settings.test import REST_FRAMEWORK
from authorization.models import User
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("authorization:register")
PROBLEM = "application/problem+json"


def body(**overrides):
    return {"username": "bob", "email": "bob@example.com", "password": "an unusual passphrase 7", **overrides}


def test_register_answers_a_token_pair_and_the_user(api_client, oauth_client, bearer):
    response = api_client.post(URL, body(first_name="Bob", country="de", city="Berlin"), format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    data = response.json()
    assert {"access_token", "refresh_token", "expires_in", "token_type", "scope", "user"} <= data.keys()
    assert data["token_type"] == "Bearer"
    assert set(data["scope"].split()) == {"read", "write"}
    user = User.objects.get(username="bob")
    assert data["user"] == {
        "id": user.pk,
        "username": "bob",
        "email": "bob@example.com",
        "first_name": "Bob",
        "last_name": "",
        "country": "DE",
        "city": "Berlin",
        "date_joined": data["user"]["date_joined"],
    }
    assert data["user"]["date_joined"].endswith("Z")
    assert "password" not in data["user"]
    account = bearer(data["access_token"]).get(reverse("authorization:account"))
    assert account.status_code == HTTPStatus.OK
    assert account.json()["username"] == "bob"


def test_register_answers_with_and_without_trailing_slash(api_client, oauth_client):
    response = api_client.post("/api/auth/register/", body(), format="json")
    assert response.status_code == HTTPStatus.CREATED


def test_register_ignores_fields_a_client_may_not_set(api_client, oauth_client):
    response = api_client.post(
        URL,
        body(id=999, is_staff=True, is_superuser=True, is_active=False, date_joined="2001-01-01T00:00:00Z"),
        format="json",
    )

    assert response.status_code == HTTPStatus.CREATED
    user = User.objects.get(username="bob")
    assert (user.pk != 999, user.is_staff, user.is_superuser, user.is_active) == (True, False, False, True)
    assert user.date_joined.year > 2001


@pytest.mark.parametrize(
    "username", ["carol", "CAROL", "\uff43\uff41\uff52\uff4f\uff4c"], ids=["same", "upper", "fullwidth"]
)
def test_a_taken_username_is_409(api_client, oauth_client, username):
    UserFactory.create(username="carol")

    response = api_client.post(URL, body(username=username), format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 409
    assert "username" in response.json()["errors"]


def test_two_registrations_racing_for_one_username_in_two_cases_give_one_account(api_client, oauth_client, monkeypatch):
    """The check before the insert cannot see a registration that has not committed yet; the
    database's unique lower(username) refuses the second, and the client gets the 409."""
    UserFactory.create(username="Race")
    monkeypatch.setattr("authorization.selectors.user_username_taken", lambda **kwargs: False)

    response = api_client.post(URL, body(username="race"), format="json")

    assert response.status_code == HTTPStatus.CONFLICT, response.content
    assert response["Content-Type"] == PROBLEM
    assert User.objects.filter(username__iexact="race").count() == 1


def test_a_taken_email_is_409_whatever_its_case(api_client, oauth_client):
    UserFactory.create(email="Bob@Example.com")

    response = api_client.post(URL, body(email="bob@EXAMPLE.COM"), format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response["Content-Type"] == PROBLEM
    assert "email" in response.json()["errors"]
    assert User.objects.filter(username="bob").count() == 0


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "1234567890123", "bob@example.com-bob"],
    ids=["too-short", "common", "numeric", "like-the-username"],
)
def test_a_weak_password_is_400(api_client, oauth_client, password):
    response = api_client.post(URL, body(password=password), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"]["password"]
    assert not User.objects.filter(username="bob").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", ""),
        ("username", "bad name!"),
        ("username", "x" * 151),
        ("username", "\ufb00" * 100),  # a ligature each: NFKC makes 200 letters of the 100
        ("username", "a\ufdfa"),  # NFKC makes it words with spaces
        ("country", "XX"),
        ("country", "Germany"),
        ("country", "\u00df"),  # Python upper-cases sharp s to SS, South Sudan's code
        ("city", "c" * 101),
        ("password", None),
    ],
)
def test_a_bad_field_is_400_with_its_name(api_client, oauth_client, field, value):
    response = api_client.post(URL, body(**{field: value}), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_a_missing_required_field_is_400(api_client, oauth_client, missing):
    data = body()
    del data[missing]

    response = api_client.post(URL, data, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert missing in response.json()["errors"]


def test_a_body_that_is_not_json_is_a_400_problem(api_client, oauth_client):
    response = api_client.post(URL, "{not json", content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM


def test_without_client_credentials_register_is_503_and_leaves_no_account(api_client, oauth_client, settings):
    settings.OAUTH_CLIENT_SECRET = ""

    response = api_client.post(URL, body(), format="json")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Content-Type"] == PROBLEM
    assert "OAUTH_CLIENT_ID" in response.json()["detail"]
    assert not User.objects.filter(username="bob").exists()


def test_a_registration_whose_token_call_fails_can_be_sent_again(api_client, oauth_client, settings):
    settings.OAUTH_CLIENT_SECRET = "wrong-secret"

    first = api_client.post(URL, body(), format="json")

    assert first.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert first["Content-Type"] == PROBLEM
    assert not User.objects.filter(username="bob").exists()
    assert not AccessToken.objects.exists()

    settings.OAUTH_CLIENT_SECRET = oauth_client.client_secret
    again = api_client.post(URL, body(), format="json")

    assert again.status_code == HTTPStatus.CREATED


def test_register_is_throttled_per_address(api_client, oauth_client):
    rates = {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "register": "3/min"}
    with override_settings(REST_FRAMEWORK={**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [
            api_client.post(URL, body(username=f"u{n}", email=f"u{n}@example.com"), format="json").status_code
            for n in range(4)
        ]
        refused = api_client.post(URL, body(username="u9", email="u9@example.com"), format="json")

    assert statuses == [201, 201, 201, 429]
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Content-Type"] == PROBLEM
    assert int(refused["Retry-After"]) > 0


def test_a_username_is_stored_nfkc_normalised(api_client, oauth_client):
    response = api_client.post(URL, body(username="\uff42\uff4f\uff42"), format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["user"]["username"] == "bob"
    assert User.objects.get().username == "bob"
