import secrets
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, set_token_value
from rest_framework.test import APIClient

from auctioneer.settings import base
from auctioneer.testing import LiveServer, live_server
from authorization.models import User
from authorization.tests.factories import UserFactory

# docs/reliability.md: the reliability suite's recorder (auctioneer/tests/reliability/plugin.py).
pytest_plugins = ["auctioneer.tests.reliability.plugin"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def oauth_application(db) -> Application:
    return Application.objects.create(
        name="test",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
    )


@pytest.fixture
def make_token(oauth_application: Application) -> Callable[..., str]:
    """An access token for `user`, as the token endpoint would issue it."""

    def make(user: User, scope: str = "read write", expires_in: int = 3600) -> str:
        raw = f"test-{user.pk}-{secrets.token_urlsafe(16)}"
        token = AccessToken(
            user=user,
            application=oauth_application,
            expires=timezone.now() + timedelta(seconds=expires_in),
            scope=scope,
        )
        set_token_value(token, raw)  # stored as its checksum only (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE)
        token.save()
        return raw

    return make


@pytest.fixture
def client_for(make_token: Callable[..., str]) -> Callable[[User], APIClient]:
    """An API client that sends a bearer token for `user`."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user)}")
        return client

    return make


@pytest.fixture
def user(db) -> User:
    return UserFactory.create()


@pytest.fixture
def live() -> Iterator[LiveServer]:
    """gunicorn from the working tree on a throwaway database (see auctioneer.testing)."""
    with live_server() as server:
        yield server


@pytest.fixture
def database_cache(settings) -> None:
    """The caches a deployment without REDIS_URL runs on (the tests otherwise use memory)."""
    settings.CACHES = {"default": base.DATABASE_CACHE, "lists": base.LIST_CACHE}
    call_command("createcachetable", verbosity=0)
