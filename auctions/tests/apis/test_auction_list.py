"""What a client sees of the explore lists: a small `count` is exact at once; a large one comes
from the shared cache for a few seconds; each auction on a page reads as its detail does."""

import time
from collections.abc import Iterator
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from auctions.tests.factories import AuctionFactory, ItemFactory, auctions_of_every_kind
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AUCTIONS = reverse("auctions:auction-list")


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """The counts these tests keep must not reach another test's list."""
    cache.clear()
    yield
    cache.clear()


def _count(api_client, url: str = AUCTIONS, **params) -> int:
    response = api_client.get(url, params)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["count"]


def test_a_small_count_is_exact_right_after_a_new_auction(api_client, client_for, settings):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 5
    AuctionFactory.create_batch(3)
    assert _count(api_client, status="open") == 3

    seller = client_for(UserFactory.create())
    created = seller.post(
        AUCTIONS,
        {
            "item": {"title": "Gramophone", "condition": "used"},
            "currency": "EUR",
            "starting_price": "10.00",
            "end_time": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == HTTPStatus.CREATED, created.content

    assert _count(api_client, status="open") == 4


def test_a_large_count_is_served_from_the_cache_within_its_seconds_and_counted_again_after(api_client, settings):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 3
    settings.LIST_COUNT_CACHE_SECONDS = 1
    AuctionFactory.create_batch(3)
    assert _count(api_client, status="open") == 3

    AuctionFactory.create_batch(2)
    page = api_client.get(AUCTIONS, {"status": "open", "page_size": 100}).json()
    assert page["count"] == 3  # the kept count; the pages end where it ends
    assert len(page["results"]) == 3
    # Pages, page sizes, orderings and unknown parameters of the same filter share the count.
    assert _count(api_client, status="open", ordering="-end_time", page_size=2, page=2, colour="red") == 3
    # Another filter, or the same filter with another value, is counted on its own.
    assert _count(api_client, status="open", currency="EUR") == 5
    assert _count(api_client, status="scheduled") == 0

    time.sleep(1.1)
    assert _count(api_client, status="open") == 5


def test_with_zero_seconds_every_count_is_exact(api_client, settings):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 1
    settings.LIST_COUNT_CACHE_SECONDS = 0
    AuctionFactory.create_batch(2)
    assert _count(api_client) == 2
    AuctionFactory.create()
    assert _count(api_client) == 3


def test_without_the_cache_every_count_is_exact(api_client, settings, monkeypatch):
    """The kept count only saves time: a cache that is down (Redis restarting) costs a count,
    not the list."""

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    settings.LIST_COUNT_CACHE_MIN_COUNT = 1
    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    AuctionFactory.create_batch(2)
    assert _count(api_client, status="open") == 2
    AuctionFactory.create()
    assert _count(api_client, status="open") == 3


def test_the_item_list_keeps_its_large_counts_too(api_client, settings):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 2
    items = reverse("auctions:item-list")
    ItemFactory.create_batch(2)
    assert _count(api_client, items) == 2
    ItemFactory.create()
    assert _count(api_client, items) == 2
    assert _count(api_client, items, condition="used") == 3


def test_a_caller_own_auctions_are_always_counted(client_for, settings):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 1
    seller = UserFactory.create()
    client = client_for(seller)
    mine = reverse("auctions:me-auctions")
    AuctionFactory.create(seller=seller, item=ItemFactory.create(owner=seller))
    assert _count(client, mine) == 1
    AuctionFactory.create(seller=seller, item=ItemFactory.create(owner=seller))
    assert _count(client, mine) == 2


def test_each_auction_on_a_list_page_reads_as_its_detail(api_client):
    """The list reads fewer columns and fetches winning bids apart from the page: every kind
    of auction still shows the same fields and values as `GET auctions/{id}`."""
    kinds = auctions_of_every_kind()
    ids = [auction.pk for auction in kinds.values()]

    page = api_client.get(AUCTIONS, {"page_size": 100}).json()

    assert page["count"] == len(ids)
    listed = {row["id"]: row for row in page["results"]}
    for auction_id in ids:
        detail = api_client.get(reverse("auctions:auction-detail", kwargs={"auction_id": auction_id}))
        assert listed[auction_id] == detail.json()
    assert [listed[kinds[k].pk]["winning_bid"]["amount"] for k in ("won", "won_higher")] == ["10.00", "31.50"]


def test_the_schema_says_which_counts_may_be_kept(api_client):
    schema = api_client.get(reverse("auctions:schema", kwargs={"format": "json"})).json()
    operations = {
        op["operationId"]: op for path in schema["paths"].values() for op in path.values() if "operationId" in op
    }
    for kept in ("auctions_list", "items_list"):
        assert "`count` is exact below 1,000" in operations[kept]["description"]
        assert "5 s old" in operations[kept]["responses"]["200"]["schema"]["properties"]["count"]["description"]
    assert "description" not in operations["me_auctions_list"]["responses"]["200"]["schema"]["properties"]["count"]
