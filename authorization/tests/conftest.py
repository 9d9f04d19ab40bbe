from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.urls import reverse
from oauth2_provider.models import Application
from rest_framework.test import APIClient

from authorization.models import User

from .factories import PASSWORD, UserFactory

# The Authorization API's paths the tests call.
TOKEN = reverse("authorization:token")
REFRESH = reverse("authorization:token-refresh")
REVOKE = reverse("authorization:token-revoke")
ACCOUNT = reverse("authorization:account")


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    application: Application


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def oauth_client(db, settings) -> OAuthClient:
    """The password-grant application, registered as `make setup` does, and the settings
    that point the Authorization API at it in-process."""
    client_id, client_secret = "test-client-id", "test-client-secret"
    application = Application.objects.create(
        name="Auctioneer Authorization API",
        client_id=client_id,
        client_secret=client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
    )
    settings.OAUTH_CLIENT_ID = client_id
    settings.OAUTH_CLIENT_SECRET = client_secret
    settings.OAUTH_TOKEN_URL = ""
    settings.OAUTH_TOKEN_REVOKE_URL = ""
    return OAuthClient(client_id, client_secret, application)


@pytest.fixture
def login(api_client: APIClient, oauth_client: OAuthClient) -> Callable[[User], dict]:
    """POST /api/auth/token for `user` (password: UserFactory's); returns the token pair."""

    def do(user: User, password: str = PASSWORD) -> dict:
        response = api_client.post(reverse("authorization:token"), {"username": user.username, "password": password})
        assert response.status_code == 200, response.content
        return response.json()

    return do


@pytest.fixture
def bearer() -> Callable[[str], APIClient]:
    """An API client that sends `access_token` as its bearer token."""

    def make(access_token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
        return client

    return make


@pytest.fixture
def account_user(db) -> User:
    return UserFactory.create(username="alice", email="alice@example.com")
