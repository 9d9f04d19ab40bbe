"""What a client sees of the explore lists: a small `count` is exact at once; a large one comes
from the shared cache for a few seconds; each auction on a page reads as its detail does."""

import time
from collections.abc import Iterator
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from auctions.tests.factories import AuctionFactory, ItemFactory, auctions_of_every_kind
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AUCTIONS = reverse("auctions:auction-list")


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """The counts and pages these tests keep must not reach another test's list."""
    caches["lists"].clear()
    yield
    caches["lists"].clear()


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
    settings.LIST_PAGE_CACHE_SECONDS = 0
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
    monkeypatch.setattr(caches["lists"], "get", down)
    monkeypatch.setattr(caches["lists"], "set", down)
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
    assert "may be up to 2 s old" in operations["auctions_list"]["description"]


def _bid_minimum(client, auction_id: int) -> None:
    url = reverse("auctions:auction-bids", kwargs={"auction_id": auction_id})
    minimum = client.get(reverse("auctions:auction-detail", kwargs={"auction_id": auction_id})).json()["minimum_bid"]
    response = client.post(url, {"amount": minimum}, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content


def _bid_counts(api_client, url: str = AUCTIONS, **params) -> dict[int, int]:
    response = api_client.get(url, params)
    assert response.status_code == HTTPStatus.OK, response.content
    return {row["id"]: row["bid_count"] for row in response.json()["results"]}


def test_a_page_of_a_large_list_is_kept_for_its_second_and_built_again_after(api_client, client_for, settings):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 2
    settings.LIST_PAGE_CACHE_SECONDS = 1
    first, _second = AuctionFactory.create_batch(2)
    before = _bid_counts(api_client, status="open")
    assert before[first.pk] == 0

    _bid_minimum(client_for(UserFactory.create()), first.pk)

    # The same page within the second is the kept answer, whole; the detail is current.
    assert _bid_counts(api_client, status="open") == before
    detail = api_client.get(reverse("auctions:auction-detail", kwargs={"auction_id": first.pk})).json()
    assert detail["bid_count"] == 1
    # Any other URL is another page, built now.
    assert _bid_counts(api_client, status="open", page_size=10)[first.pk] == 1

    time.sleep(1.1)
    assert _bid_counts(api_client, status="open")[first.pk] == 1


def test_a_stale_page_is_answered_while_another_request_rebuilds_it_and_never_after_twice_its_seconds(
    api_client, client_for, settings, monkeypatch
):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 2
    settings.LIST_PAGE_CACHE_SECONDS = 1
    first, _second = AuctionFactory.create_batch(2)
    assert _bid_counts(api_client, status="open")[first.pk] == 0
    _bid_minimum(client_for(UserFactory.create()), first.pk)
    time.sleep(1.1)

    monkeypatch.setattr(caches["lists"], "add", lambda *args, **kwargs: False)  # another request claimed the rebuild
    assert _bid_counts(api_client, status="open")[first.pk] == 0
    time.sleep(1.0)  # and never finished it: after twice the seconds the kept page is gone
    assert _bid_counts(api_client, status="open")[first.pk] == 1


def test_a_kept_page_costs_at_most_the_cache_read(api_client, settings, django_assert_max_num_queries):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 2
    AuctionFactory.create_batch(3)
    built = api_client.get(AUCTIONS, {"status": "open"})
    with django_assert_max_num_queries(1):  # the database cache's read; none with Redis
        kept = api_client.get(AUCTIONS, {"status": "open"})
    assert kept.status_code == HTTPStatus.OK
    assert kept.content == built.content
    assert kept["Content-Type"] == built["Content-Type"] == "application/json"
    assert dict(kept.headers) == dict(built.headers)
    indented = api_client.get(AUCTIONS, {"status": "open"}, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content != built.content and indented.json() == built.json()


def test_a_page_of_a_small_list_is_always_current(api_client, client_for, settings):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 3
    first, _second = AuctionFactory.create_batch(2)
    assert _bid_counts(api_client, status="open")[first.pk] == 0
    _bid_minimum(client_for(UserFactory.create()), first.pk)
    assert _bid_counts(api_client, status="open")[first.pk] == 1


def test_with_zero_page_seconds_every_page_is_built(api_client, client_for, settings):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 1
    settings.LIST_PAGE_CACHE_SECONDS = 0
    first, _second = AuctionFactory.create_batch(2)
    assert _bid_counts(api_client)[first.pk] == 0
    _bid_minimum(client_for(UserFactory.create()), first.pk)
    assert _bid_counts(api_client)[first.pk] == 1


def test_without_the_cache_every_page_is_built(api_client, client_for, settings, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    def bid_counts_while_the_cache_is_down() -> dict[int, int]:
        with monkeypatch.context() as patch:
            patch.setattr(caches["lists"], "get", down)
            patch.setattr(caches["lists"], "set", down)
            return _bid_counts(api_client)

    settings.LIST_COUNT_CACHE_MIN_COUNT = 1
    first, _second = AuctionFactory.create_batch(2)
    assert bid_counts_while_the_cache_is_down()[first.pk] == 0
    _bid_minimum(client_for(UserFactory.create()), first.pk)  # its throttle has a cache of its own
    assert bid_counts_while_the_cache_is_down()[first.pk] == 1


def test_the_item_list_keeps_its_large_pages_too(api_client, client_for, settings):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 2
    owner = UserFactory.create()
    item, _other = ItemFactory.create_batch(2, owner=owner)
    items = reverse("auctions:item-list")
    titles = {row["id"]: row["title"] for row in api_client.get(items).json()["results"]}
    response = client_for(owner).patch(
        reverse("auctions:item-detail", kwargs={"item_id": item.pk}), {"title": "Renamed"}, format="json"
    )
    assert response.status_code == HTTPStatus.OK, response.content
    assert {row["id"]: row["title"] for row in api_client.get(items).json()["results"]} == titles
    renamed = {row["id"]: row["title"] for row in api_client.get(items, {"page_size": 5}).json()["results"]}
    assert renamed[item.pk] == "Renamed"
