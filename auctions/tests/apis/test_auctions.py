from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from auctions.models import Auction, AuctionState, Bid, Item
from auctions.tests.factories import AuctionFactory, BidFactory, ItemFactory
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "auctions:auction-list"


def iso(delta: timedelta) -> str:
    return (timezone.now() + delta).isoformat()


def new_auction_body(**overrides):
    body = {
        "item": {"title": "Gramophone", "description": "1920s", "condition": "used", "category": None},
        "currency": "EUR",
        "starting_price": "10.00",
        "end_time": iso(timedelta(days=1)),
    }
    body.update(overrides)
    return body


def detail(auction_id: int) -> str:
    return reverse("auctions:auction-detail", kwargs={"auction_id": auction_id})


AUCTION_FIELDS = {
    "id",
    "item",
    "seller",
    "currency",
    "starting_price",
    "current_price",
    "minimum_bid",
    "bid_count",
    "leading_bidder",
    "reserve_met",
    "buy_now_price",
    "start_time",
    "end_time",
    "extension_seconds",
    "international_delivery",
    "status",
    "winning_bid",
    "created_at",
}


def test_create_with_a_new_item(client_for, user):
    r = client_for(user).post(
        reverse(LIST), new_auction_body(reserve_price="50", buy_now_price=80, extension_seconds=60), format="json"
    )
    assert r.status_code == HTTPStatus.CREATED, r.json()
    body = r.json()
    assert set(body) == AUCTION_FIELDS
    assert body["item"] == {
        "id": body["item"]["id"],
        "title": "Gramophone",
        "description": "1920s",
        "condition": "used",
        "category": None,
        "country": None,
    }
    assert body["seller"] == {"id": user.pk, "username": user.username}
    assert (body["starting_price"], body["current_price"], body["minimum_bid"]) == ("10.00", "10.00", "10.00")
    assert body["buy_now_price"] == "80.00"
    assert body["reserve_met"] is False
    assert body["status"] == "open"
    assert body["bid_count"] == 0 and body["leading_bidder"] is None and body["winning_bid"] is None
    assert body["start_time"].endswith("Z") and body["end_time"].endswith("Z")
    assert Item.objects.get(pk=body["item"]["id"]).owner == user


def test_create_on_an_own_item_by_id(client_for, user):
    item = ItemFactory.create(owner=user)
    r = client_for(user).post(reverse(LIST), new_auction_body(item=item.pk, currency="JPY", starting_price=1500))
    assert r.status_code == HTTPStatus.CREATED
    assert r.json()["item"]["id"] == item.pk
    assert r.json()["starting_price"] == "1500"


def test_a_currency_code_is_taken_in_any_case_as_a_country_code_is(client_for, user):
    created = client_for(user).post(reverse(LIST), new_auction_body(currency=" jpy ", starting_price=1500))
    changed = client_for(user).patch(detail(created.json()["id"]), {"currency": "eur"})

    assert created.status_code == HTTPStatus.CREATED, created.json()
    assert created.json()["currency"] == "JPY"
    assert changed.status_code == HTTPStatus.OK, changed.json()
    assert changed.json()["currency"] == "EUR"


def test_another_users_item_is_403(client_for, user):
    item = ItemFactory.create()
    r = client_for(user).post(reverse(LIST), new_auction_body(item=item.pk))
    assert r.status_code == HTTPStatus.FORBIDDEN
    assert not Auction.objects.exists()


def test_an_item_in_an_active_auction_is_409_but_a_cancelled_one_can_be_relisted(client_for, user):
    auction = AuctionFactory.create(item__owner=user)
    r = client_for(user).post(reverse(LIST), new_auction_body(item=auction.item_id))
    assert r.status_code == HTTPStatus.CONFLICT
    auction.state = AuctionState.CANCELLED
    auction.save()
    r = client_for(user).post(reverse(LIST), new_auction_body(item=auction.item_id))
    assert r.status_code == HTTPStatus.CREATED


def test_unknown_item_id_is_400(client_for, user):
    r = client_for(user).post(reverse(LIST), new_auction_body(item=999999))
    assert r.status_code == HTTPStatus.BAD_REQUEST
    assert "item" in r.json()["errors"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end_time": iso(timedelta(hours=-1))}, "end_time"),
        ({"end_time": iso(timedelta(days=400))}, "end_time"),
        ({"start_time": iso(timedelta(days=2)), "end_time": iso(timedelta(days=1))}, "end_time"),
        ({"buy_now_price": "5.00"}, "buy_now_price"),
        ({"reserve_price": "100", "buy_now_price": "50"}, "buy_now_price"),
        ({"extension_seconds": 3601}, "extension_seconds"),
        ({"extension_seconds": -1}, "extension_seconds"),
        ({"currency": "XXX"}, "currency"),
        ({"currency": "JPY", "starting_price": "10.50"}, "starting_price"),
        ({"starting_price": "1e3"}, "starting_price"),
        ({"starting_price": "NaN"}, "starting_price"),
        ({"starting_price": "-10"}, "starting_price"),
        ({"starting_price": "0"}, "starting_price"),
        ({"starting_price": True}, "starting_price"),
        ({"starting_price": "10000000000000"}, "starting_price"),
        ({"end_time": "tomorrow"}, "end_time"),
        ({"item": {"title": "x", "condition": "mint"}}, "item.condition"),
        ({"item": {"condition": "used"}}, "item.title"),
        ({"item": "seven"}, "item"),
    ],
)
def test_create_rules_are_400(client_for, user, overrides, field):
    r = client_for(user).post(reverse(LIST), new_auction_body(**overrides), format="json")
    assert r.status_code == HTTPStatus.BAD_REQUEST, r.json()
    assert r["Content-Type"] == "application/problem+json"
    assert field in r.json()["errors"], r.json()
    assert not Auction.objects.exists()
    assert not Item.objects.exists()


def test_create_ignores_fields_a_client_may_not_set(client_for, user):
    other = UserFactory.create()
    r = client_for(user).post(
        reverse(LIST),
        new_auction_body(seller=other.pk, status="fulfilled", current_price="999", id=77, bid_count=5),
        format="json",
    )
    assert r.status_code == HTTPStatus.CREATED
    body = r.json()
    assert body["seller"]["id"] == user.pk
    assert (body["status"], body["current_price"], body["bid_count"]) == ("open", "10.00", 0)


def test_create_needs_a_token(api_client):
    r = api_client.post(reverse(LIST), new_auction_body(), format="json")
    assert r.status_code == HTTPStatus.UNAUTHORIZED


def test_a_time_with_an_offset_is_stored_in_utc(client_for, user):
    end = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    r = client_for(user).post(
        reverse(LIST), new_auction_body(end_time=end.astimezone(timezone.get_fixed_timezone(120)).isoformat())
    )
    assert r.status_code == HTTPStatus.CREATED
    assert r.json()["end_time"] == end.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def test_a_time_in_rfc_3339_lower_case_is_taken_in_bodies_and_filters(client_for, user, api_client):
    end = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    lower = end.strftime("%Y-%m-%dt%H:%M:%Sz")  # RFC 3339 §5.6: `t` and `z` may be lower case
    client = client_for(user)

    created = client.post(reverse(LIST), new_auction_body(end_time=lower))
    assert created.status_code == HTTPStatus.CREATED, created.json()
    assert created.json()["end_time"] == end.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    later = (end + timedelta(hours=1)).strftime("%Y-%m-%dt%H:%M:%Sz")
    patched = client.patch(detail(created.json()["id"]), {"end_time": later}, format="json")
    assert patched.status_code == HTTPStatus.OK, patched.json()
    assert patched.json()["end_time"] == (end + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")

    assert _ids(api_client.get(reverse(LIST), {"ending_after": lower})) == [created.json()["id"]]
    assert _ids(api_client.get(reverse(LIST), {"ending_before": lower})) == []


def test_a_future_start_reads_scheduled(client_for, user):
    r = client_for(user).post(reverse(LIST), new_auction_body(start_time=iso(timedelta(hours=1))))
    assert r.json()["status"] == "scheduled"


def test_patch_before_the_first_bid(client_for):
    auction = AuctionFactory.create()
    r = client_for(auction.seller).patch(detail(auction.pk), {"starting_price": "15.00", "buy_now_price": "99"})
    assert r.status_code == HTTPStatus.OK, r.json()
    assert (r.json()["starting_price"], r.json()["current_price"], r.json()["buy_now_price"]) == (
        "15.00",
        "15.00",
        "99.00",
    )


def test_patch_keeps_a_started_auctions_start_and_starts_a_scheduled_one_now(client_for):
    # A client that reads an auction, changes one field and sends the whole body back must not
    # move its start: before, the past start_time it sent back became "now".
    auction = AuctionFactory.create()
    seller = client_for(auction.seller)
    read = seller.get(detail(auction.pk)).json()
    body = {key: read[key] for key in ("currency", "starting_price", "start_time", "end_time", "extension_seconds")}
    r = seller.patch(detail(auction.pk), {**body, "starting_price": "12.00"}, format="json")
    assert r.status_code == HTTPStatus.OK, r.json()
    assert (r.json()["start_time"], r.json()["starting_price"]) == (read["start_time"], "12.00")
    r = seller.patch(detail(auction.pk), {"start_time": None}, format="json")
    assert r.json()["start_time"] == read["start_time"]

    scheduled = AuctionFactory.create(start_time=timezone.now() + timedelta(hours=1), item__owner=auction.seller)
    r = seller.patch(detail(scheduled.pk), {"start_time": iso(-timedelta(days=1))}, format="json")
    assert r.json()["status"] == "open"
    assert timezone.now() - timedelta(minutes=1) < datetime.fromisoformat(r.json()["start_time"]) <= timezone.now()


def test_patch_validates_like_create(client_for):
    auction = AuctionFactory.create()
    r = client_for(auction.seller).patch(detail(auction.pk), {"buy_now_price": "5"})
    assert r.status_code == HTTPStatus.BAD_REQUEST
    assert "buy_now_price" in r.json()["errors"]


def test_patch_is_for_the_seller_only_and_before_bids(client_for):
    auction = AuctionFactory.create()
    assert client_for(UserFactory.create()).patch(detail(auction.pk), {"extension_seconds": 5}).status_code == 403
    BidFactory.create(auction=auction)
    Auction.objects.filter(pk=auction.pk).update(bid_count=1)
    assert client_for(auction.seller).patch(detail(auction.pk), {"extension_seconds": 5}).status_code == 409


def test_cancel(client_for, api_client):
    auction = AuctionFactory.create()
    url = reverse("auctions:auction-cancel", kwargs={"auction_id": auction.pk})
    assert client_for(UserFactory.create()).post(url).status_code == HTTPStatus.FORBIDDEN
    r = client_for(auction.seller).post(url)
    assert r.status_code == HTTPStatus.OK
    assert r.json()["status"] == "cancelled"
    assert api_client.get(detail(auction.pk)).json()["status"] == "cancelled"
    assert client_for(auction.seller).post(url).status_code == HTTPStatus.CONFLICT


def test_cancel_after_a_bid_is_409(client_for):
    auction = AuctionFactory.create()
    client_for(UserFactory.create()).post(
        reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), {"amount": "10"}
    )
    r = client_for(auction.seller).post(reverse("auctions:auction-cancel", kwargs={"auction_id": auction.pk}))
    assert r.status_code == HTTPStatus.CONFLICT
    assert Auction.objects.get(pk=auction.pk).state == AuctionState.ACTIVE


@pytest.mark.parametrize("method", ["cancel", "patch"])
def test_an_ended_auction_not_yet_settled_cannot_be_cancelled_or_edited(client_for, method):
    now = timezone.now()
    auction = AuctionFactory.create(start_time=now - timedelta(hours=1), end_time=now - timedelta(seconds=1))
    seller = client_for(auction.seller)
    if method == "cancel":
        r = seller.post(reverse("auctions:auction-cancel", kwargs={"auction_id": auction.pk}))
    else:
        r = seller.patch(detail(auction.pk), {"extension_seconds": 5})
    assert r.status_code == HTTPStatus.CONFLICT, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["detail"] == "The auction has ended; it can no longer change."
    assert Auction.objects.get(pk=auction.pk).state == AuctionState.ACTIVE  # left for the workers to settle


def test_unknown_auction_is_404_problem(api_client):
    r = api_client.get(detail(123456))
    assert r.status_code == HTTPStatus.NOT_FOUND
    assert r.json()["status"] == 404


# --- Buy-now ---------------------------------------------------------------------------------


def buy_now(auction) -> str:
    return reverse("auctions:auction-buy-now", kwargs={"auction_id": auction.pk})


def test_buy_now_wins_and_ends_the_auction(client_for, api_client):
    auction = AuctionFactory.create(buy_now_price=Decimal("80"))
    buyer = UserFactory.create()
    r = client_for(buyer).post(buy_now(auction))
    assert r.status_code == HTTPStatus.CREATED, r.json()
    assert (r.json()["amount"], r.json()["current_price"], r.json()["leading"]) == ("80.00", "80.00", True)
    shown = api_client.get(detail(auction.pk)).json()
    assert shown["status"] == "closed"
    assert shown["leading_bidder"]["id"] == buyer.pk
    assert shown["current_price"] == "80.00"
    later = client_for(UserFactory.create()).post(
        reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), {"amount": "100"}
    )
    assert later.status_code == HTTPStatus.CONFLICT
    assert client_for(UserFactory.create()).post(buy_now(auction)).status_code == HTTPStatus.CONFLICT


def test_buy_now_rules(client_for):
    no_price = AuctionFactory.create()
    assert client_for(UserFactory.create()).post(buy_now(no_price)).status_code == HTTPStatus.CONFLICT
    own = AuctionFactory.create(buy_now_price=Decimal("80"))
    assert client_for(own.seller).post(buy_now(own)).status_code == HTTPStatus.FORBIDDEN
    bid_on = AuctionFactory.create(buy_now_price=Decimal("80"))
    client_for(UserFactory.create()).post(
        reverse("auctions:auction-bids", kwargs={"auction_id": bid_on.pk}), {"amount": "10"}
    )
    refused = client_for(UserFactory.create()).post(buy_now(bid_on))
    assert refused.status_code == HTTPStatus.CONFLICT
    # No reserve: any bid ends buy-now, and the answer says so (not "a bid has met the reserve").
    assert refused.json()["detail"] == "Buy-now is no longer available: the auction has a bid."


def test_buy_now_allowed_while_the_reserve_is_not_met(client_for):
    auction = AuctionFactory.create(buy_now_price=Decimal("80"), reserve_price=Decimal("50"))
    bids = reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})
    client_for(UserFactory.create()).post(bids, {"amount": "10", "max_amount": "40"})
    assert client_for(UserFactory.create()).post(buy_now(auction)).status_code == HTTPStatus.CREATED
    winner_row = Bid.objects.filter(auction=auction).order_by("-id").first()
    assert winner_row is not None and winner_row.amount == Decimal("80")


def test_buy_now_refused_once_the_reserve_is_met(client_for):
    auction = AuctionFactory.create(buy_now_price=Decimal("80"), reserve_price=Decimal("50"))
    bids = reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})
    client_for(UserFactory.create()).post(bids, {"amount": "10", "max_amount": "60"})
    refused = client_for(UserFactory.create()).post(buy_now(auction))
    assert refused.status_code == HTTPStatus.CONFLICT
    assert refused.json()["detail"] == "Buy-now is no longer available: a bid has met the reserve."


# --- Explore ---------------------------------------------------------------------------------


def _ids(response) -> list[int]:
    assert response.status_code == HTTPStatus.OK, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_list_is_public_and_paginated(api_client):
    AuctionFactory.create_batch(3)
    r = api_client.get(reverse(LIST), {"page_size": 2})
    body = r.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"] and body["previous"] is None


def test_filters(api_client):
    now = timezone.now()
    cheap = AuctionFactory.create(starting_price=Decimal("5"), item__title="Blue vase")
    dear = AuctionFactory.create(starting_price=Decimal("500"), item__description="a red lamp")
    usd = AuctionFactory.create(currency_id="USD", item__country_id="US", item__condition_id="new")
    scheduled = AuctionFactory.create(start_time=now + timedelta(hours=1), end_time=now + timedelta(hours=3))
    ended = AuctionFactory.create(start_time=now - timedelta(hours=3), end_time=now - timedelta(hours=1))
    cancelled = AuctionFactory.create(state=AuctionState.CANCELLED)
    url = reverse(LIST)
    assert set(_ids(api_client.get(url, {"status": "scheduled"}))) == {scheduled.pk}
    assert set(_ids(api_client.get(url, {"status": "closed"}))) == {ended.pk}
    assert set(_ids(api_client.get(url, {"status": "cancelled"}))) == {cancelled.pk}
    assert set(_ids(api_client.get(url, {"status": "open"}))) == {cheap.pk, dear.pk, usd.pk, cancelled.pk} - {
        cancelled.pk
    }
    assert _ids(api_client.get(url, {"currency": "USD"})) == [usd.pk]
    assert _ids(api_client.get(url, {"currency": "usd"})) == [usd.pk]  # any case, as the country
    assert _ids(api_client.get(url, {"country": "US"})) == [usd.pk]
    assert _ids(api_client.get(url, {"country": " us "})) == [usd.pk]  # any case, as writes take it
    assert _ids(api_client.get(url, {"condition": "new"})) == [usd.pk]
    assert _ids(api_client.get(url, {"seller": dear.seller_id})) == [dear.pk]
    assert _ids(api_client.get(url, {"search": "vase"})) == [cheap.pk]
    assert _ids(api_client.get(url, {"search": "RED lamp"})) == [dear.pk]
    assert _ids(api_client.get(url, {"min_price": "100"})) == [dear.pk]
    assert cheap.pk in _ids(api_client.get(url, {"max_price": "6"}))
    assert dear.pk not in _ids(api_client.get(url, {"max_price": "6"}))
    assert _ids(api_client.get(url, {"ending_before": (now - timedelta(minutes=30)).isoformat()})) == [ended.pk]
    assert ended.pk not in _ids(api_client.get(url, {"ending_after": now.isoformat()}))


def test_ordering(api_client):
    a = AuctionFactory.create(starting_price=Decimal("30"))
    b = AuctionFactory.create(starting_price=Decimal("10"))
    c = AuctionFactory.create(starting_price=Decimal("20"))
    url = reverse(LIST)
    assert _ids(api_client.get(url)) == [c.pk, b.pk, a.pk]
    assert _ids(api_client.get(url, {"ordering": "current_price"})) == [b.pk, c.pk, a.pk]
    assert _ids(api_client.get(url, {"ordering": "-current_price"})) == [a.pk, c.pk, b.pk]
    assert _ids(api_client.get(url, {"ordering": "created_at"})) == [a.pk, b.pk, c.pk]


@pytest.mark.parametrize(
    ("route", "ordering"),
    [
        (LIST, "current_price"),
        (LIST, "-current_price"),
        (LIST, "bid_count"),
        (LIST, "-end_time"),
        ("auctions:item-list", "title"),
        ("auctions:item-list", "-title"),
    ],
)
def test_paging_a_sorted_list_shows_each_row_once_with_ties_in_id_order(api_client, route, ordering):
    # 45 rows with equal keys, 10 a page. Without the id as a last key, PostgreSQL answered
    # each LIMIT/OFFSET in its own order: `-current_price` showed 80 of 120 auctions.
    end = timezone.now() + timedelta(days=1)
    rows = AuctionFactory.create_batch(45, starting_price=Decimal("10"), end_time=end, item__title="Lamp")
    ids = sorted(row.pk if route == LIST else row.item_id for row in rows)

    pages = [api_client.get(reverse(route), {"ordering": ordering, "page_size": 10, "page": n}) for n in range(1, 6)]

    assert [row["id"] for page in pages for row in page.json()["results"]] == (
        ids[::-1] if ordering.startswith("-") else ids
    )


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"seller": "abc"},
        {"seller": "1.5"},
        {"seller": "9" * 40},
        {"min_price": "NaN"},
        {"min_price": "1e400"},
        {"min_price": "1e3"},  # money is written out, in a query as in a body
        {"min_price": "+5"},
        {"max_price": "-5"},
        {"max_price": "Infinity"},
        {"ending_before": "yesterday"},
        {"ending_before": "0001-01-01T00:00:00+14:00"},  # exists only before year 1 in UTC
        {"ending_after": "9999-12-31T23:59:59-14:00"},  # and after year 9999
        {"ordering": "reserve_price"},
        {"page_size": "-1"},
        {"page_size": "0"},
        {"page_size": "x"},
        {"page": "x"},
        {"page": "0"},
        {"page": "-1"},
    ],
)
def test_invalid_filters_are_400_problems(api_client, params):
    AuctionFactory.create()
    r = api_client.get(reverse(LIST), params)
    assert r.status_code == HTTPStatus.BAD_REQUEST, r.content
    assert r["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("page", ["2", "99999999999999999999999"])
def test_a_page_that_does_not_exist_is_a_404_problem(api_client, page):
    AuctionFactory.create()
    r = api_client.get(reverse(LIST), {"page": page})
    assert r.status_code == HTTPStatus.NOT_FOUND, r.content
    assert r["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "route",
    ["auctions:auction-list", "auctions:item-list", "auctions:me-auctions", "auctions:me-items", "auctions:me-bids"],
)
def test_an_empty_query_parameter_is_the_same_as_leaving_it_out(client_for, route):
    """The schema says so (`allowEmptyValue`): `?status=&page_size=` is what an HTML form with
    blank fields sends."""
    user = UserFactory.create()
    for _ in range(3):
        auction = AuctionFactory.create(item=ItemFactory.create(owner=user), seller=user)
        BidFactory.create(auction=auction, bidder=user)
    client = client_for(user)
    schema = client.get("/api/v1/swagger.json").json()
    url = reverse(route)
    path = url.removeprefix("/api").rstrip("/")
    query = [p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"]
    names = [p["name"] for p in query]
    assert {"page", "page_size"} <= set(names)
    assert [p["name"] for p in query if not p.get("allowEmptyValue")] == []
    plain = client.get(url)
    assert plain.status_code == HTTPStatus.OK and plain.json()["count"] == 3
    for name in names:
        r = client.get(url, {name: ""})
        assert r.status_code == HTTPStatus.OK, (name, r.content)
        assert r.json() == plain.json(), name
    assert client.get(url, dict.fromkeys(names, "")).json() == plain.json()


def test_a_list_page_is_a_fixed_number_of_queries(api_client, django_assert_max_num_queries):
    for _ in range(3):
        auction = AuctionFactory.create(reserve_price=Decimal("20"))
        bid = BidFactory.create(auction=auction)
        Auction.objects.filter(pk=auction.pk).update(leader=bid.bidder, state="fulfilled", winning_bid=bid)
    # The count, the page, and the winning bids of the page's settled auctions (none for a page
    # without one: selectors.auction_page_list says why they are not joined).
    with django_assert_max_num_queries(3):
        small = api_client.get(reverse(LIST), {"page_size": 2})
    AuctionFactory.create_batch(20)
    with django_assert_max_num_queries(3):
        large = api_client.get(reverse(LIST), {"page_size": 100})
    assert len(small.json()["results"]) == 2 and len(large.json()["results"]) == 23
    assert large.json()["results"][-1]["winning_bid"]["bidder"]["username"]
