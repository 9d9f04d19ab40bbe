from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from auctions.tests.factories import AuctionFactory
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"bids": "2/min", "auctions": "1/min", "writes": "1/min"})
    cache.clear()
    yield
    cache.clear()


def test_bids_are_throttled_per_user_with_retry_after(client_for, api_client, low_rates):
    auction = AuctionFactory.create()
    url = reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})
    client = client_for(UserFactory.create())
    assert client.post(url, {"amount": "10"}).status_code == HTTPStatus.CREATED
    assert client.post(url, {"amount": "11"}).status_code == HTTPStatus.CREATED
    r = client.post(url, {"amount": "12"})
    assert r.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert r["Content-Type"] == "application/problem+json"
    assert int(r["Retry-After"]) > 0
    # another user has a budget of their own, and reads are not throttled
    assert client_for(UserFactory.create()).post(url, {"amount": "12"}).status_code == HTTPStatus.CREATED
    for _ in range(3):
        assert client.get(url).status_code == HTTPStatus.OK


def test_item_writes_are_throttled(client_for, user, low_rates):
    client = client_for(user)
    body = {"title": "x", "condition": "used"}
    assert client.post(reverse("auctions:item-list"), body).status_code == HTTPStatus.CREATED
    assert client.post(reverse("auctions:item-list"), body).status_code == HTTPStatus.TOO_MANY_REQUESTS
