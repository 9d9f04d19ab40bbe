from http import HTTPStatus
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from authorization.admin import UserAdmin
from authorization.models import User
from authorization.tests.apis.test_token import PASSWORD, TOKEN, throttle_rates
from authorization.tests.factories import NEW_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("is_active", "changed", "still_works"), [(False, True, False), (True, False, True)])
def test_deactivating_a_user_in_admin_revokes_their_tokens(user, make_token, bearer, is_active, changed, still_works):
    token = make_token(user)
    user.is_active = is_active
    form = SimpleNamespace(changed_data=["is_active"] if changed else ["city"])

    UserAdmin(User, admin.site).save_model(RequestFactory().post("/"), user, form, change=True)

    user.is_active = True
    user.save()  # reactivated: a revoked token must stay revoked
    status = bearer(token).get(reverse("authorization:account")).status_code
    assert status == (HTTPStatus.OK if still_works else HTTPStatus.UNAUTHORIZED)


@pytest.mark.parametrize("usable", [True, False])
def test_a_password_set_in_the_admin_ends_the_accounts_tokens(api_client, oauth_client, login, bearer, usable):
    # Resetting a stolen account's password must lock the thief out: before, the access token
    # kept working and the refresh token kept minting new pairs.
    victim = UserFactory.create()
    stolen = login(victim)
    staff = Client()
    staff.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    form = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    if not usable:
        form = {"usable_password": "false", "unset-password": "1"}

    response = staff.post(reverse("admin:auth_user_password_change", args=[victim.pk]), form)

    assert response.status_code == HTTPStatus.FOUND, response.content[:500]
    victim.refresh_from_db()
    assert victim.has_usable_password() is usable
    assert bearer(stolen["access_token"]).get(reverse("authorization:account")).status_code == HTTPStatus.UNAUTHORIZED
    refresh = api_client.post(reverse("authorization:token-refresh"), {"refresh_token": stolen["refresh_token"]})
    assert refresh.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("path", ["/o/applications/", "/o/authorize/?response_type=code&client_id=x"])
def test_the_session_pages_of_o_send_a_visitor_to_a_login_page_that_exists(client, path):
    response = client.get(path)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/?next=")
    assert client.get(response["Location"]).status_code == HTTPStatus.OK


def test_the_admin_login_shares_the_token_endpoints_guess_budget(client, oauth_client):
    """Ten wrong passwords for a staff account, on the admin form or through POST
    /api/auth/token, spend one budget: the right password is then refused on both."""
    staff = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    with throttle_rates(token_username="10/min", token_address="1000/min"):
        guesses = [
            client.post("/admin/login/", {"username": "root", "password": f"guess {n}"}).status_code for n in range(5)
        ] + [APIClient().post(TOKEN, {"username": "ROOT", "password": f"guess {n}"}).status_code for n in range(5)]
        on_the_form = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
        at_the_endpoint = APIClient().post(TOKEN, {"username": "root", "password": PASSWORD})

    assert guesses == [200] * 5 + [401] * 5  # the form shows its error again; the API answers 401
    assert on_the_form.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 0 < int(on_the_form["Retry-After"]) <= 60
    assert "_auth_user_id" not in client.session
    assert at_the_endpoint.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert staff.last_login is None


def test_the_admin_login_still_logs_in(client):
    User.objects.create_superuser("root", "root@example.com", PASSWORD)

    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("{}", "application/json"), ("--x\r\nbroken", "multipart/form-data; boundary=x"), ("a=1", "text/plain")],
)
def test_a_post_to_the_admin_login_that_is_no_form_is_not_a_500(client, body, content_type):
    response = client.post("/admin/login/", data=body, content_type=content_type)

    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_the_admin_login_works_as_a_browser_uses_it_with_csrf_checked(oauth_client, multipart):
    """The CSRF middleware reads the form before the brakes do; both must still see it."""
    User.objects.create_superuser("root", "root@example.com", PASSWORD)

    def log_in(password: str) -> Any:
        browser = Client(enforce_csrf_checks=True)
        browser.get("/admin/login/")
        form = {"username": "root", "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
        if multipart:
            return browser.post("/admin/login/?next=/admin/", form)
        body = urlencode(form)
        return browser.post("/admin/login/?next=/admin/", body, content_type="application/x-www-form-urlencoded")

    with throttle_rates(token_username="3/min", token_address="1000/min"):
        answers = [log_in(PASSWORD), log_in("guess 1"), log_in("guess 2"), log_in(PASSWORD)]

    assert [a.status_code for a in answers] == [302, 200, 200, 429]
    assert answers[0]["Location"] == "/admin/"
