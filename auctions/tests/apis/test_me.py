from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from auctions.models import Auction, AuctionState, Bid
from auctions.tests.factories import AuctionFactory, ItemFactory
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["auctions:me-items", "auctions:me-auctions", "auctions:me-bids"])
def test_me_needs_a_token(api_client, name):
    r = api_client.get(reverse(name))
    assert r.status_code == HTTPStatus.UNAUTHORIZED
    assert r["Content-Type"] == "application/problem+json"


def test_me_items_and_auctions_are_the_callers_own(client_for, user):
    mine = ItemFactory.create(owner=user)
    ItemFactory.create()
    my_auction = AuctionFactory.create(item=mine)
    cancelled = AuctionFactory.create(item__owner=user, state=AuctionState.CANCELLED)
    AuctionFactory.create()
    client = client_for(user)
    items = client.get(reverse("auctions:me-items")).json()["results"]
    assert {row["id"] for row in items} == {mine.pk, cancelled.item_id}
    auctions = client.get(reverse("auctions:me-auctions")).json()["results"]
    assert {row["id"] for row in auctions} == {my_auction.pk, cancelled.pk}
    only_open = client.get(reverse("auctions:me-auctions"), {"status": "open"}).json()["results"]
    assert [row["id"] for row in only_open] == [my_auction.pk]


def test_my_lists_take_the_explore_filters_but_the_one_that_names_me(api_client, client_for, user):
    """On `me/…` an `owner` or `seller` filter could only match all or nothing: it is not offered,
    and one sent anyway is ignored like any unknown parameter."""
    mine = AuctionFactory.create(item__owner=user)
    documented = api_client.get("/api/v1/swagger.json").json()["paths"]
    client = client_for(user)

    def names(path):
        return {p["name"] for p in documented[path]["get"]["parameters"]}

    assert names("/v1/items") - names("/v1/me/items") == {"owner"}
    assert names("/v1/auctions") - names("/v1/me/auctions") == {"seller"}
    assert names("/v1/me/auctions") <= names("/v1/auctions")
    other = UserFactory.create().pk
    assert client.get(reverse("auctions:me-auctions"), {"seller": other}).json()["count"] == 1
    assert client.get(reverse("auctions:me-items"), {"owner": other}).json()["results"][0]["id"] == mine.item_id


def test_me_auctions_refuses_a_time_outside_utc_with_a_400(client_for, user):
    AuctionFactory.create(item__owner=user)
    r = client_for(user).get(reverse("auctions:me-auctions"), {"ending_after": "0001-01-01T00:00:00+14:00"})
    assert r.status_code == HTTPStatus.BAD_REQUEST, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["errors"] == {"ending_after": ["Datetime value out of range."]}


def _bid(client, auction, amount, **extra):
    r = client.post(
        reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), {"amount": amount, **extra}, format="json"
    )
    assert r.status_code == HTTPStatus.CREATED, r.json()
    return r.json()


def _settle(auction: Auction, *, won: bool) -> None:
    """What the workers do at the end: the leader's last bid wins, or unsold."""
    auction.refresh_from_db()
    if won:
        auction.state = AuctionState.FULFILLED
        auction.winning_bid = Bid.objects.filter(auction=auction, bidder_id=auction.leader_id).order_by("-id").first()
    else:
        auction.state = AuctionState.UNSOLD
    auction.save()


def test_me_bids_states(client_for):
    me, rival = UserFactory.create(), UserFactory.create()
    mine, theirs = client_for(me), client_for(rival)
    leading = AuctionFactory.create()
    outbid = AuctionFactory.create()
    won = AuctionFactory.create()
    lost = AuctionFactory.create()
    unsold = AuctionFactory.create(reserve_price=Decimal("500"))

    _bid(mine, leading, "10.00")
    _bid(mine, outbid, "10.00")
    _bid(theirs, outbid, "11.00")
    _bid(mine, won, "10.00")
    _settle(won, won=True)
    _bid(mine, lost, "10.00")
    _bid(theirs, lost, "20.00")
    _settle(lost, won=True)
    _bid(mine, unsold, "10.00")
    _settle(unsold, won=False)

    def auctions_in(state):
        r = mine.get(reverse("auctions:me-bids"), {"state": state})
        assert r.status_code == HTTPStatus.OK
        rows = r.json()["results"]
        assert all(row["state"] == state for row in rows)
        return {row["auction"]["id"] for row in rows}

    assert auctions_in("leading") == {leading.pk}
    assert auctions_in("outbid") == {outbid.pk}
    assert auctions_in("won") == {won.pk}
    assert auctions_in("lost") == {lost.pk, unsold.pk}

    everything = mine.get(reverse("auctions:me-bids")).json()
    assert everything["count"] == 5
    row = everything["results"][0]
    assert set(row) == {"id", "auction", "amount", "max_amount", "is_automatic", "placed_at", "state"}
    assert set(row["auction"]) == {"id", "title", "currency", "current_price", "status", "end_time"}
    assert row["auction"]["id"] == unsold.pk and row["state"] == "lost" and row["auction"]["status"] == "unsold"
    assert mine.get(reverse("auctions:me-bids"), {"state": "winning"}).status_code == HTTPStatus.BAD_REQUEST


def test_bid_lists_are_a_fixed_number_of_queries(client_for, django_assert_max_num_queries):
    me = UserFactory.create()
    mine = client_for(me)
    auctions = AuctionFactory.create_batch(6)
    for auction in auctions:
        _bid(mine, auction, "10.00", max_amount="20.00")
        _bid(client_for(UserFactory.create()), auction, "15.00")
    _settle(auctions[0], won=True)
    # token, count, page (+ the auction for the bid history)
    with django_assert_max_num_queries(4):
        rows = mine.get(reverse("auctions:me-bids"), {"page_size": 100}).json()["results"]
    assert len(rows) == 12
    with django_assert_max_num_queries(4):
        history = mine.get(reverse("auctions:auction-bids", kwargs={"auction_id": auctions[0].pk})).json()
    assert history["count"] == 3
