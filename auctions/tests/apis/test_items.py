from http import HTTPStatus

import pytest
from django.urls import reverse

from auctions.models import AuctionState, Item
from auctions.tests.factories import AuctionFactory, ItemFactory
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def detail(item) -> str:
    return reverse("auctions:item-detail", kwargs={"item_id": item.pk})


def test_create_an_item(api_client, client_for, user):
    r = client_for(user).post(
        reverse("auctions:item-list"),
        {"title": "Lamp", "condition": "like-new", "category": "collectibles", "country": "FR", "owner": 999},
    )
    assert r.status_code == HTTPStatus.CREATED, r.json()
    body = r.json()
    assert api_client.get(r["Location"]).json() == body
    assert body["owner"] == {"id": user.pk, "username": user.username}
    assert (body["title"], body["description"], body["condition"], body["category"], body["country"]) == (
        "Lamp",
        "",
        "like-new",
        "collectibles",
        "FR",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"condition": "used"}, "title"),
        ({"title": "x"}, "condition"),
        ({"title": "x", "condition": "mint"}, "condition"),
        ({"title": "x", "condition": "used", "country": "ZZ"}, "country"),
        ({"title": "x", "condition": "used", "country": "\u00df"}, "country"),  # Python upper-cases it to SS
        ({"title": "x", "condition": "used", "category": "nope"}, "category"),
        ({"title": "x" * 201, "condition": "used"}, "title"),
    ],
)
def test_create_validation(client_for, user, body, field):
    r = client_for(user).post(reverse("auctions:item-list"), body)
    assert r.status_code == HTTPStatus.BAD_REQUEST
    assert field in r.json()["errors"]
    assert not Item.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("condition", "mint"), ("category", "nope"), ("country", "ZZ")])
def test_an_unknown_code_names_the_metadata_list_that_has_the_known_ones(api_client, client_for, user, field, value):
    r = client_for(user).post(reverse("auctions:item-list"), {"title": "x", "condition": "used", field: value})

    assert r.status_code == HTTPStatus.BAD_REQUEST
    [message] = r.json()["errors"][field]
    listed_at = message.split("see GET ")[1].rstrip(".")
    assert api_client.get(listed_at).status_code == HTTPStatus.OK


def test_a_country_code_is_taken_in_any_case_as_the_accounts_is(client_for, user):
    r = client_for(user).post(reverse("auctions:item-list"), {"title": "x", "condition": "used", "country": "fr"})

    assert r.status_code == HTTPStatus.CREATED, r.json()
    assert r.json()["country"] == "FR"


def test_reads_are_public_writes_need_a_token(api_client):
    item = ItemFactory.create()
    assert api_client.get(reverse("auctions:item-list")).json()["count"] == 1
    assert api_client.get(detail(item)).json()["id"] == item.pk
    assert api_client.post(reverse("auctions:item-list"), {"title": "x"}).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.patch(detail(item), {"title": "x"}).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.delete(detail(item)).status_code == HTTPStatus.UNAUTHORIZED


def test_owner_only(client_for):
    item = ItemFactory.create()
    other = client_for(UserFactory.create())
    assert other.patch(detail(item), {"title": "mine now"}).status_code == HTTPStatus.FORBIDDEN
    assert other.delete(detail(item)).status_code == HTTPStatus.FORBIDDEN
    item.refresh_from_db()
    assert item.title != "mine now"


def test_owner_updates_and_deletes(client_for):
    item = ItemFactory.create()
    owner = client_for(item.owner)
    r = owner.patch(detail(item), {"title": "Renamed", "category": None})
    assert r.status_code == HTTPStatus.OK
    assert (r.json()["title"], r.json()["category"], r.json()["condition"]) == ("Renamed", None, "used")
    assert owner.delete(detail(item)).status_code == HTTPStatus.NO_CONTENT
    assert owner.get(detail(item)).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("state", [AuctionState.ACTIVE, AuctionState.FULFILLED, AuctionState.UNSOLD])
def test_an_item_in_an_auction_is_frozen(client_for, state):
    auction = AuctionFactory.create(state=state)
    owner = client_for(auction.seller)
    assert owner.patch(detail(auction.item), {"title": "x"}).status_code == HTTPStatus.CONFLICT
    assert owner.delete(detail(auction.item)).status_code == HTTPStatus.CONFLICT


def test_an_item_whose_auction_was_cancelled_can_change(client_for):
    auction = AuctionFactory.create(state=AuctionState.CANCELLED)
    assert client_for(auction.seller).patch(detail(auction.item), {"title": "x"}).status_code == HTTPStatus.OK


def test_deleting_an_item_deletes_its_cancelled_auctions_with_it(api_client, client_for):
    auction = AuctionFactory.create(state=AuctionState.CANCELLED)

    assert client_for(auction.seller).delete(detail(auction.item)).status_code == HTTPStatus.NO_CONTENT

    auction_url = reverse("auctions:auction-detail", kwargs={"auction_id": auction.pk})
    assert api_client.get(auction_url).status_code == HTTPStatus.NOT_FOUND


def test_item_filters(api_client):
    lamp = ItemFactory.create(title="Brass lamp", condition_id="new", country_id="FR")
    vase = ItemFactory.create(title="Vase", description="blue glass", category_id="art")
    url = reverse("auctions:item-list")

    def ids(params):
        r = api_client.get(url, params)
        assert r.status_code == HTTPStatus.OK, r.json()
        return [row["id"] for row in r.json()["results"]]

    assert ids({"search": "lamp"}) == [lamp.pk]
    assert ids({"search": "BLUE"}) == [vase.pk]
    assert ids({"condition": "new"}) == [lamp.pk]
    assert ids({"country": "FR"}) == [lamp.pk]
    assert ids({"country": "fr"}) == [lamp.pk]  # any case, as writes take it
    assert ids({"category": "art"}) == [vase.pk]
    assert ids({"owner": vase.owner_id}) == [vase.pk]
    assert ids({"ordering": "created_at"}) == [lamp.pk, vase.pk]
    assert ids({}) == [vase.pk, lamp.pk]
    assert api_client.get(url, {"owner": "me"}).status_code == HTTPStatus.BAD_REQUEST
    assert api_client.get(url, {"ordering": "owner__password"}).status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("route", ["auctions:item-list", "auctions:me-items"])
def test_ordering_by_title_ignores_case(client_for, user, route):
    # By code point, every capital comes before every small letter: "Zebra" before "apple".
    titles = ["banana", "Zebra", "apple", "Cherry", "Apple"]
    items = {title: ItemFactory.create(owner=user, title=title) for title in titles}
    expected = [items[title].pk for title in ["apple", "Apple", "banana", "Cherry", "Zebra"]]  # ties by id

    def ids(ordering):
        r = client_for(user).get(reverse(route), {"ordering": ordering})
        assert r.status_code == HTTPStatus.OK, r.json()
        return [row["id"] for row in r.json()["results"]]

    assert ids("title") == expected
    assert ids("-title") == expected[::-1]
    assert ids("-title,created_at") == [items[t].pk for t in ["Zebra", "Cherry", "banana", "apple", "Apple"]]
