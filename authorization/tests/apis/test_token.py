import json
import logging
from http import HTTPStatus

import pytest
from django.test import override_settings
from django.urls import reverse
from oauth2_provider.models import AccessToken, RefreshToken
from rest_framework.test import APIClient

from auctioneer.settings.test import REST_FRAMEWORK
from authorization.models import User
from authorization.tests.conftest import ACCOUNT, PASSWORD, REFRESH, REVOKE, TOKEN
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def throttle_rates(**rates):
    merged = {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}
    return override_settings(REST_FRAMEWORK={**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged})


def test_token_answers_exactly_the_token_fields(api_client, oauth_client, user):
    response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert set(data) == {"access_token", "refresh_token", "expires_in", "token_type", "scope"}
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 3600
    assert set(data["scope"].split()) == {"read", "write"}


def test_a_login_logs_no_notice_about_the_password_grant(api_client, oauth_client, user, capfd):
    """The password grant is the contract; DOT's per-login RFC 9700 notice is filtered out."""
    handler = logging.StreamHandler()
    logging.getLogger("oauth2_provider").addHandler(handler)
    try:
        response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})
    finally:
        logging.getLogger("oauth2_provider").removeHandler(handler)

    assert response.status_code == HTTPStatus.OK
    assert "RFC 9700" not in capfd.readouterr().err


def test_tokens_are_stored_as_checksums_only(api_client, oauth_client, user):
    data = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).json()

    access = AccessToken.objects.get(user=user)
    refresh = RefreshToken.objects.get(user=user)
    assert (access.token, refresh.token) == ("", "")
    assert data["access_token"] not in (access.token_checksum, refresh.token_checksum)


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "user-that-exists", "password": "wrong password"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "USER-THAT-EXISTS", "password": "wrong password"},
    ],
    ids=["wrong-password", "unknown-user", "username-case-wrong-password"],
)
def test_bad_credentials_are_a_401_problem(api_client, oauth_client, credentials):
    UserFactory.create(username="user-that-exists")

    response = api_client.post(TOKEN, credentials, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 401
    assert "access_token" not in response.json()


@pytest.mark.parametrize("typed", ["Ann", "ANN", "ann"])
def test_the_username_logs_in_whatever_its_case(api_client, oauth_client, bearer, typed):
    """Register refuses `ANN` once `ann` exists, so `ANN` can only mean ann's account."""
    ann = UserFactory.create(username="ann")

    response = api_client.post(TOKEN, {"username": typed, "password": PASSWORD}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert bearer(response.json()["access_token"]).get(ACCOUNT).json()["username"] == ann.username


def test_a_name_that_nfkc_folds_into_another_is_that_account(api_client, oauth_client, bearer):
    """U+017F long s upper-cases to `S` but lower-cases to itself, so case folding alone would
    keep `\u017fam` and `sam` apart. NFKC makes it `s`, as Django's own forms do: `\u017fam` can
    neither be registered beside `sam` nor log in anywhere but to `sam`."""
    UserFactory.create(username="sam")
    long_s_am = "\u017fam"

    taken = api_client.post(
        reverse("authorization:register"),
        {"username": long_s_am, "email": "long-s@example.com", "password": PASSWORD},
        format="json",
    )
    assert taken.status_code == HTTPStatus.CONFLICT, taken.content
    for typed in (long_s_am, "SAM"):
        response = api_client.post(TOKEN, {"username": typed, "password": PASSWORD}, format="json")
        assert response.status_code == HTTPStatus.OK, typed
        assert bearer(response.json()["access_token"]).get(ACCOUNT).json()["username"] == "sam"


def test_a_deactivated_user_cannot_log_in(api_client, oauth_client):
    user = UserFactory.create(is_active=False)

    response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": "x"},
        {"password": "x"},
        {"username": ["a"], "password": "x"},
        {"username": "a\x00", "password": "x"},
        {"username": "a\ud800", "password": "x"},
        {"username": "a\x00", "password": "x", "unknown": "x" * 300},
    ],
)
def test_missing_or_malformed_fields_are_400(api_client, oauth_client, data):
    response = api_client.post(TOKEN, json.dumps(data), content_type="application/json")  # \ud800 escaped

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM


def test_thirty_wrong_passwords_for_one_username_are_stopped_by_429(api_client, oauth_client, user):
    with throttle_rates(token_username="10/min", token_address="60/min"):
        statuses = [
            api_client.post(
                TOKEN, {"username": user.username, "password": f"guess {n}"}, REMOTE_ADDR=f"10.0.0.{n}"
            ).status_code
            for n in range(30)
        ]
        refused = api_client.post(TOKEN, {"username": user.username, "password": "guess"}, REMOTE_ADDR="10.0.1.1")

    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429] * 20
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Content-Type"] == PROBLEM
    assert 0 < int(refused["Retry-After"]) <= 60


def test_token_is_throttled_per_address_across_usernames(api_client, oauth_client):
    with throttle_rates(token_address="5/min"):
        statuses = [api_client.post(TOKEN, {"username": f"u{n}", "password": "x"}).status_code for n in range(6)]

    assert statuses == [401] * 5 + [429]


def test_another_username_is_not_throttled_by_guesses_at_one(api_client, oauth_client, user):
    with throttle_rates(token_username="3/min"):
        for _ in range(4):
            api_client.post(TOKEN, {"username": "victim", "password": "x"})
        response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "spelling",
    [
        "VICTIM",
        "\uff56\uff49\uff43\uff54\uff49\uff4d",  # fullwidth: NFKC makes it `victim`
        "v\u0130ctim",  # dotted capital I: PostgreSQL's lower() makes it `i`, Python's `i̇`
    ],
)
def test_every_spelling_that_reaches_an_account_shares_its_guess_budget(api_client, oauth_client, spelling):
    UserFactory.create(username="victim")
    reaches = User.objects.with_username(spelling).exists()  # the database decides which do
    with throttle_rates(token_username="3/min", token_address="1000/min"):
        guesses = [api_client.post(TOKEN, {"username": "victim", "password": f"guess {n}"}) for n in range(3)]
        response = api_client.post(TOKEN, {"username": spelling, "password": PASSWORD})

    assert [g.status_code for g in guesses] == [401] * 3
    if reaches:  # the right password, but the budget of the account it reaches is spent
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    else:  # another name, which no account has: nothing to log in to
        assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"] == PROBLEM


def test_a_fullwidth_spelling_of_a_username_logs_in_to_that_account(api_client, oauth_client, user):
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in user.username)

    response = api_client.post(TOKEN, {"username": fullwidth, "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK
    assert AccessToken.objects.get().user == user


def test_refresh_gives_a_new_pair_and_the_old_refresh_token_stops_working(api_client, oauth_client, user, bearer):
    first = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).json()

    response = api_client.post(REFRESH, {"refresh_token": first["refresh_token"]})

    assert response.status_code == HTTPStatus.OK
    second = response.json()
    assert set(second) == {"access_token", "refresh_token", "expires_in", "token_type", "scope"}
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert bearer(second["access_token"]).get(ACCOUNT).status_code == HTTPStatus.OK
    assert bearer(first["access_token"]).get(ACCOUNT).status_code == HTTPStatus.UNAUTHORIZED

    replay = api_client.post(REFRESH, {"refresh_token": first["refresh_token"]})

    assert replay.status_code == HTTPStatus.UNAUTHORIZED
    assert replay["Content-Type"] == PROBLEM


def test_replaying_a_used_refresh_token_is_refused_and_the_new_pair_keeps_working(
    api_client, oauth_client, user, bearer
):
    """SPEC: "a new pair; the old refresh token stops working" — a replay (say, a client retrying
    after a lost answer) is refused without logging the client out of the pair it already has."""
    first = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).json()
    second = api_client.post(REFRESH, {"refresh_token": first["refresh_token"]}).json()

    replay = api_client.post(REFRESH, {"refresh_token": first["refresh_token"]})

    assert replay.status_code == HTTPStatus.UNAUTHORIZED
    assert bearer(second["access_token"]).get(ACCOUNT).status_code == HTTPStatus.OK
    assert api_client.post(REFRESH, {"refresh_token": second["refresh_token"]}).status_code == HTTPStatus.OK


def test_refresh_needs_no_bearer_and_ignores_a_bad_one(api_client, oauth_client, user, bearer):
    pair = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).json()

    response = bearer("garbage").post(REFRESH, {"refresh_token": pair["refresh_token"]})

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("refresh_token", ["not-a-refresh-token", ""])
def test_refreshing_with_an_unknown_token_is_refused(api_client, oauth_client, refresh_token):
    response = api_client.post(REFRESH, {"refresh_token": refresh_token})

    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED)
    assert response["Content-Type"] == PROBLEM


def test_revoke_stops_the_access_and_refresh_token_at_once(api_client, oauth_client, user, bearer):
    pair = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).json()
    client = bearer(pair["access_token"])

    response = client.post(REVOKE, {"refresh_token": pair["refresh_token"]})

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    refused = client.get(ACCOUNT)
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused["Content-Type"] == PROBLEM
    assert api_client.post(REFRESH, {"refresh_token": pair["refresh_token"]}).status_code == HTTPStatus.UNAUTHORIZED


def test_revoke_without_refresh_token_also_kills_the_bound_refresh_token(api_client, oauth_client, user, bearer):
    pair = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).json()

    assert bearer(pair["access_token"]).post(REVOKE).status_code == HTTPStatus.NO_CONTENT

    assert bearer(pair["access_token"]).get(ACCOUNT).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.post(REFRESH, {"refresh_token": pair["refresh_token"]}).status_code == HTTPStatus.UNAUTHORIZED


def test_revoke_leaves_the_users_other_sessions_alone(api_client, oauth_client, user, bearer):
    one = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).json()
    two = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).json()

    bearer(one["access_token"]).post(REVOKE)

    assert bearer(two["access_token"]).get(ACCOUNT).status_code == HTTPStatus.OK


def test_revoke_works_for_a_token_issued_to_another_client(oauth_client, user, make_token, bearer):
    client = bearer(make_token(user))

    assert client.post(REVOKE).status_code == HTTPStatus.NO_CONTENT
    assert client.get(ACCOUNT).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("kind", ["refresh_token", "access_token"])
def test_revoking_another_accounts_token_is_a_403_and_revokes_nothing(api_client, oauth_client, user, bearer, kind):
    """Revocation finds a token in either table whatever its hint, so an access token sent as
    `refresh_token` is checked as well."""
    other = UserFactory.create()
    mine = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}).json()
    theirs = api_client.post(TOKEN, {"username": other.username, "password": PASSWORD}).json()

    response = bearer(mine["access_token"]).post(REVOKE, {"refresh_token": theirs[kind]})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Content-Type"] == PROBLEM
    assert "refresh_token" in response.json()["errors"]
    assert bearer(mine["access_token"]).get(ACCOUNT).status_code == HTTPStatus.OK
    assert bearer(theirs["access_token"]).get(ACCOUNT).status_code == HTTPStatus.OK
    assert api_client.post(REFRESH, {"refresh_token": theirs["refresh_token"]}).status_code == HTTPStatus.OK


def test_no_answer_of_the_authorization_api_may_be_stored(api_client, oauth_client, user, bearer):
    """RFC 6749 §5.1: answers with tokens carry `Cache-Control: no-store`; so do the account's
    own data and the refusals."""
    login = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})
    answers = [
        login,
        api_client.post(TOKEN, {"username": user.username, "password": "wrong"}),
        bearer(login.json()["access_token"]).get(ACCOUNT),
        api_client.post(REFRESH, {"refresh_token": login.json()["refresh_token"]}),
        api_client.get(ACCOUNT),
    ]

    assert [a.status_code for a in answers] == [200, 401, 200, 200, 401]
    for answer in answers:
        assert "no-store" in answer["Cache-Control"], answer.status_code


def test_revoke_needs_a_bearer_token(api_client, oauth_client):
    response = api_client.post(REVOKE)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"] == PROBLEM


def test_a_wrong_client_secret_is_a_503_problem_not_a_500(api_client, oauth_client, user, settings):
    settings.OAUTH_CLIENT_SECRET = "not-the-secret"

    response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Content-Type"] == PROBLEM
    assert "OAUTH_CLIENT_ID" in response.json()["detail"]


def test_an_application_without_the_password_grant_is_a_503_problem(api_client, oauth_client, user):
    oauth_client.application.authorization_grant_type = "client-credentials"
    oauth_client.application.save()

    response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Content-Type"] == PROBLEM


def test_unset_client_credentials_are_a_503_problem(api_client, oauth_client, user, settings):
    settings.OAUTH_CLIENT_ID = ""

    response = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "make setup" in response.json()["detail"]


@override_settings(ALLOWED_HOSTS=["api.example.com"])
def test_the_in_process_call_does_not_depend_on_the_host_name(oauth_client, user):
    client = APIClient(HTTP_HOST="api.example.com")

    response = client.post(TOKEN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK
