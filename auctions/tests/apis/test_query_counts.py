"""The hot paths of `make bench` take a small, fixed number of queries: the count does not
grow with the page size, the number of bids, or the number of filters. Timings are
measured by `make bench`; the tests pin the query counts, which do not depend on the machine."""

from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from auctions.models import Auction, AuctionState
from auctions.tests.factories import AuctionFactory, BidFactory
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Token lookup (1); the auction row, read (1) and then locked (1); the bid rows (1); the
# auction's new state (1); the transaction's two statements (BEGIN/COMMIT, or a savepoint in a
# test).
BID_QUERIES = 7
# Where the throttles keep their histories in Django's database cache (a deployment without
# REDIS_URL, as `make bench` runs): the history's read, then its write, which counts the table
# for the cull and then reads and inserts or updates the row in a transaction of its own.
DATABASE_CACHE_THROTTLE_QUERIES = 6
BROWSE = {"status": "open", "ordering": "end_time", "page_size": 50}


def _bid(client, auction, amount: str, **extra: str):
    return client.post(
        reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), {"amount": amount, **extra}, format="json"
    )


def _queries_of(call) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return len(captured.captured_queries), result


def _bid_fifty_times(auction, alice, bob) -> tuple[int, int]:
    """The queries of the first bid and of the fiftieth, which also stores an automatic bid
    for the leader it does not outbid."""
    first_queries, first = _queries_of(lambda: _bid(alice, auction, "10.00"))
    assert first.status_code == HTTPStatus.CREATED, first.content
    price = Decimal(first.json()["minimum_bid"])
    for i in range(48):
        ceiling = {"max_amount": "5000.00"} if i == 47 else {}  # alice's last bid sets a high ceiling
        response = _bid(bob if i % 2 == 0 else alice, auction, str(price), **ceiling)
        assert response.status_code == HTTPStatus.CREATED, response.content
        price = Decimal(response.json()["minimum_bid"])
    fiftieth_queries, fiftieth = _queries_of(lambda: _bid(bob, auction, str(price)))
    assert fiftieth.status_code == HTTPStatus.CREATED
    assert fiftieth.json()["leading"] is False
    assert Auction.objects.get(pk=auction.pk).bid_count == 51  # 50 placed, one automatic
    return first_queries, fiftieth_queries


def test_a_bid_takes_the_same_few_queries_on_the_first_and_the_fiftieth_bid(client_for):
    auction = AuctionFactory.create()
    first, fiftieth = _bid_fifty_times(auction, client_for(UserFactory.create()), client_for(UserFactory.create()))
    assert first <= BID_QUERIES
    assert fiftieth == first


def test_with_the_database_cache_a_bid_adds_only_the_throttle_history(client_for, database_cache):
    """What `make bench` and a deployment without REDIS_URL run: the bids throttle keeps each
    bidder's history in the database, a fixed few statements per bid, however many bids."""
    auction = AuctionFactory.create()
    first, fiftieth = _bid_fifty_times(auction, client_for(UserFactory.create()), client_for(UserFactory.create()))
    assert first <= BID_QUERIES + DATABASE_CACHE_THROTTLE_QUERIES
    assert fiftieth == first
    carol = client_for(UserFactory.create())
    refused, too_low = _queries_of(lambda: _bid(carol, auction, "10.00"))
    assert too_low.status_code == HTTPStatus.CONFLICT
    assert refused <= 2 + DATABASE_CACHE_THROTTLE_QUERIES  # the token and the plain read


def test_a_refused_bid_costs_no_more_than_an_accepted_one(client_for, django_assert_max_num_queries):
    auction = AuctionFactory.create()
    bidder = client_for(UserFactory.create())
    assert _bid(bidder, auction, "10.00").status_code == HTTPStatus.CREATED
    with django_assert_max_num_queries(BID_QUERIES):
        too_low = _bid(client_for(UserFactory.create()), auction, "10.00")
    assert too_low.status_code == HTTPStatus.CONFLICT
    assert too_low.json()["minimum_bid"] == "10.50"


def test_a_bid_below_the_minimum_is_refused_without_taking_the_lock(client_for):
    """An outbid bid does not queue for the auction's row lock (PostgreSQL) or the database's
    single writer (SQLite): it is answered from a plain read."""
    auction = AuctionFactory.create()
    assert _bid(client_for(UserFactory.create()), auction, "10.00").status_code == HTTPStatus.CREATED
    bidder = client_for(UserFactory.create())
    queries, too_low = _queries_of(lambda: _bid(bidder, auction, "10.00"))
    assert too_low.status_code == HTTPStatus.CONFLICT
    with CaptureQueriesContext(connection) as captured:
        _bid(bidder, auction, "10.25")
    statements = " ".join(q["sql"].upper() for q in captured.captured_queries)
    for write in ("FOR UPDATE", "BEGIN", "SAVEPOINT", "INSERT", "UPDATE "):
        assert write not in statements
    # Reaching the minimum takes the lock: more statements than the refusal.
    accepted, response = _queries_of(lambda: _bid(bidder, auction, "10.50"))
    assert response.status_code == HTTPStatus.CREATED
    assert accepted > queries


def test_the_browse_page_is_two_queries_whatever_the_page_size_bids_and_filters(
    api_client, django_assert_max_num_queries
):
    for n, auction in enumerate(AuctionFactory.create_batch(110)):
        BidFactory.create_batch(1 + n % 3, auction=auction)  # one to three bids each
    filters: list[dict[str, str]] = [
        {},
        {"currency": "EUR"},
        {"category": "collectibles", "condition": "used", "min_price": "1"},
    ]
    for extra in filters:
        for page_size in (5, 50, 100):
            with django_assert_max_num_queries(2):  # the count and the page, everything joined
                response = api_client.get(reverse("auctions:auction-list"), {**BROWSE, **extra, "page_size": page_size})
            assert response.status_code == HTTPStatus.OK
            assert response.json()["count"] == 110
            assert len(response.json()["results"]) == page_size


def test_a_kept_count_leaves_the_browse_page_one_query(api_client, settings, django_assert_max_num_queries):
    settings.LIST_COUNT_CACHE_MIN_COUNT = 10
    caches["lists"].clear()
    AuctionFactory.create_batch(12)
    for page in (1, 2, 3):
        params = {**BROWSE, "page_size": 5, "page": page}
        expected = 2 if page == 1 else 1  # the first page counts; the others read the kept count
        with django_assert_max_num_queries(expected):  # (the test cache is in memory, not a query)
            response = api_client.get(reverse("auctions:auction-list"), params)
        assert response.json()["count"] == 12
    caches["lists"].clear()


def test_settled_auctions_add_one_query_for_their_winning_bids(api_client, django_assert_max_num_queries):
    for auction in AuctionFactory.create_batch(30):
        bid = BidFactory.create(auction=auction)
        Auction.objects.filter(pk=auction.pk).update(
            state=AuctionState.FULFILLED, winning_bid=bid, leader=bid.bidder, bid_count=1
        )
    for page_size in (2, 30):
        with django_assert_max_num_queries(3):  # the count, the page, the winning bids with their bidders
            response = api_client.get(reverse("auctions:auction-list"), {"status": "fulfilled", "page_size": page_size})
        assert all(row["winning_bid"]["bidder"]["username"] for row in response.json()["results"])


def test_an_auction_with_many_bids_reads_in_one_query(api_client, django_assert_max_num_queries):
    auction = AuctionFactory.create()
    BidFactory.create_batch(200, auction=auction)
    with django_assert_max_num_queries(1):
        response = api_client.get(reverse("auctions:auction-detail", kwargs={"auction_id": auction.pk}))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["id"] == auction.pk


def test_the_bid_history_page_is_fixed_whatever_its_size(api_client, django_assert_max_num_queries):
    auction = AuctionFactory.create()
    BidFactory.create_batch(150, auction=auction)
    url = reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})
    small, _ = _queries_of(lambda: api_client.get(url, {"page_size": 2}))
    with django_assert_max_num_queries(small):
        response = api_client.get(url, {"page_size": 100})
    assert len(response.json()["results"]) == 100
    assert small <= 3  # the auction, the count, the page


def test_ping_is_one_query(client_for, django_assert_max_num_queries):
    client = client_for(UserFactory.create())
    with django_assert_max_num_queries(1):  # the token with its user: the noop baseline of make bench
        response = client.get(reverse("auctions:ping"))
    assert response.status_code == HTTPStatus.OK
