from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from authorization.admin import UserAdmin
from authorization.models import User

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


@pytest.mark.parametrize("path", ["/o/applications/", "/o/authorize/?response_type=code&client_id=x"])
def test_the_session_pages_of_o_send_a_visitor_to_a_login_page_that_exists(client, path):
    response = client.get(path)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/?next=")
    assert client.get(response["Location"]).status_code == HTTPStatus.OK
