import time
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


def spend_bid_budget(client_for):
    """A new user's client and an auction's bids URL, after the two bids a minute allows."""
    auction = AuctionFactory.create()
    url = reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})
    client = client_for(UserFactory.create())
    assert client.post(url, {"amount": "10"}).status_code == HTTPStatus.CREATED
    assert client.post(url, {"amount": "11"}).status_code == HTTPStatus.CREATED
    return client, url


def test_bids_are_throttled_per_user_with_retry_after(client_for, api_client, low_rates):
    client, url = spend_bid_budget(client_for)
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


def test_the_database_cache_keeps_the_throttle_histories_of_thousands_of_clients(client_for, low_rates, database_cache):
    # Django's database cache deletes a third of its entries on each write past MAX_ENTRIES
    # (300 unless set): a client whose history is deleted gets a fresh budget.
    client, url = spend_bid_budget(client_for)
    others = {f"throttle_bids_{10_000_000 + n}": [time.time()] for n in range(2_000)}
    cache.set_many(others, 60)  # 2,000 other clients bid within the same minute

    assert client.post(url, {"amount": "12"}).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert len(cache.get_many(list(others))) == len(others)
