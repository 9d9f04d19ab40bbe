"""Abuse: every write refused to the wrong caller with nothing changed, no mass assignment,
and hostile bodies and query strings answered with problem JSON (never a 500, never stored
as anything but inert text)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from auctions.models import Auction, Bid, IdempotencyRecord, Item
from auctions.tests.factories import AuctionFactory, ItemFactory
from authorization.models import User
from authorization.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _problem(response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code and {"type", "title", "detail"} <= body.keys()
    return body


def _snapshot() -> dict[str, Any]:
    """Everything a refused write could have touched."""
    return {
        "users": [model_to_dict(u, exclude=["last_login"]) for u in User.objects.order_by("pk")],
        "items": [model_to_dict(i) for i in Item.objects.order_by("pk")],
        "auctions": [model_to_dict(a) for a in Auction.objects.order_by("pk")],
        "bids": [model_to_dict(b) for b in Bid.objects.order_by("pk")],
        "idempotency": IdempotencyRecord.objects.count(),
        "tokens": AccessToken.objects.count(),
    }


@pytest.fixture
def world(db):
    seller = UserFactory.create(username="seller")
    bidder = UserFactory.create(username="bidder")
    item = ItemFactory.create(owner=seller)
    auction = AuctionFactory.create(
        item=ItemFactory.create(owner=seller), buy_now_price=Decimal("100.00"), starting_price=Decimal("10.00")
    )
    return {"seller": seller, "bidder": bidder, "item": item, "auction": auction}


def _writes(world: dict) -> list[tuple[str, str, Callable[[], str], dict, str]]:
    """(name, method, url, valid body, owner) for every write operation of the API."""
    item, auction = world["item"], world["auction"]
    end = (timezone.now() + timedelta(days=1)).isoformat()
    return [
        ("create item", "post", lambda: reverse("auctions:item-list"), {"title": "x", "condition": "used"}, "seller"),
        ("edit item", "patch", lambda: reverse("auctions:item-detail", args=[item.pk]), {"title": "y"}, "seller"),
        ("delete item", "delete", lambda: reverse("auctions:item-detail", args=[item.pk]), {}, "seller"),
        (
            "create auction",
            "post",
            lambda: reverse("auctions:auction-list"),
            {"item": item.pk, "currency": "EUR", "starting_price": "5.00", "end_time": end},
            "seller",
        ),
        (
            "edit auction",
            "patch",
            lambda: reverse("auctions:auction-detail", args=[auction.pk]),
            {"starting_price": "12.00"},
            "seller",
        ),
        ("cancel auction", "post", lambda: reverse("auctions:auction-cancel", args=[auction.pk]), {}, "seller"),
        ("bid", "post", lambda: reverse("auctions:auction-bids", args=[auction.pk]), {"amount": "10.00"}, "bidder"),
        ("buy now", "post", lambda: reverse("auctions:auction-buy-now", args=[auction.pk]), {}, "bidder"),
        ("revoke token", "post", lambda: reverse("authorization:token-revoke"), {}, "self"),
        ("edit account", "patch", lambda: reverse("authorization:account"), {"city": "Elsewhere"}, "self"),
        (
            "change password",
            "post",
            lambda: reverse("authorization:account-password"),
            {"old_password": PASSWORD, "new_password": "another-long-passphrase-42"},
            "self",
        ),
        ("delete account", "delete", lambda: reverse("authorization:account"), {"password": PASSWORD}, "self"),
    ]


WRITE_NAMES = [
    "create item",
    "edit item",
    "delete item",
    "create auction",
    "edit auction",
    "cancel auction",
    "bid",
    "buy now",
    "revoke token",
    "edit account",
    "change password",
    "delete account",
]
CALLERS = ["no token", "garbage token", "revoked token", "expired token", "deactivated user", "other user"]


def _client(kind: str, world: dict, owner: str, make_token, *, method_free_create: bool = False) -> APIClient | None:
    client = APIClient()
    actor = world["bidder"] if owner in ("seller", "self") else world["seller"]
    if owner == "self":
        actor = world["seller"]
    match kind:
        case "no token":
            return client
        case "garbage token":
            token = "not-a-token-" + "x" * 20
        case "revoked token":
            token = make_token(actor)
            AccessToken.objects.order_by("-pk").first().revoke()
        case "expired token":
            token = make_token(actor, expires_in=-60)
        case "deactivated user":
            token = make_token(actor)
            User.objects.filter(pk=actor.pk).update(is_active=False)
        case "other user":
            if owner == "self" or method_free_create:
                return None  # acts on the caller's own account, or on nothing of anyone's yet
            # For owner-only writes: someone else. For bids and buy-now: the seller (403).
            token = make_token(world["bidder"] if owner == "seller" else world["seller"])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# "Another user" means nothing for writes that act on the caller's own account, or that anyone
# may make (creating an item): those pairs are not cases.
NO_OTHER_USER = {"create item", "revoke token", "edit account", "change password", "delete account"}
MATRIX = [(w, c) for w in WRITE_NAMES for c in CALLERS if not (c == "other user" and w in NO_OTHER_USER)]


@pytest.mark.parametrize(("write", "caller"), MATRIX)
def test_every_write_is_refused_to_the_wrong_caller_and_changes_nothing(
    write, caller, world, make_token, reliability_record
):
    _name, method, url, body, owner = next(w for w in _writes(world) if w[0] == write)
    client = _client(caller, world, owner, make_token, method_free_create=write == "create item")
    assert client is not None
    before = _snapshot()
    response = getattr(client, method)(url(), body, format="json")
    expected = (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND) if caller == "other user" else (HTTPStatus.UNAUTHORIZED,)
    _problem(response, *expected)
    if caller != "other user":
        assert response["WWW-Authenticate"].startswith("Bearer")
    after = _snapshot()
    assert after == before
    reliability_record("abuse", "authorization matrix: write x wrong caller refused, nothing changed", 1)


def test_the_matrix_covers_every_write_operation_in_the_schema():
    from auctioneer.schema import SchemaGenerator
    from auctioneer.urls import api_info

    schema = SchemaGenerator(info=api_info).get_schema(request=None, public=True)
    writes = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("post", "put", "patch", "delete") and item[method].get("security") != []
    }
    covered = {
        ("post", "/v1/items"),
        ("patch", "/v1/items/{item_id}"),
        ("delete", "/v1/items/{item_id}"),
        ("post", "/v1/auctions"),
        ("patch", "/v1/auctions/{auction_id}"),
        ("post", "/v1/auctions/{auction_id}/cancel"),
        ("post", "/v1/auctions/{auction_id}/bids"),
        ("post", "/v1/auctions/{auction_id}/buy-now"),
        ("post", "/auth/token/revoke"),
        ("patch", "/auth/account"),
        ("post", "/auth/account/password"),
        ("delete", "/auth/account"),
    }
    assert writes == covered
    assert len(covered) == len(WRITE_NAMES)


# --- refused tokens on public reads ----------------------------------------------------------

READS = {
    "items": lambda world: reverse("auctions:item-list"),
    "an item": lambda world: reverse("auctions:item-detail", args=[world["item"].pk]),
    "auctions": lambda world: reverse("auctions:auction-list"),
    "an auction": lambda world: reverse("auctions:auction-detail", args=[world["auction"].pk]),
    "a bid history": lambda world: reverse("auctions:auction-bids", args=[world["auction"].pk]),
}
REFUSED_CALLERS = ["garbage token", "revoked token", "expired token", "deactivated user", "bare Bearer"]


@pytest.mark.parametrize("caller", REFUSED_CALLERS)
@pytest.mark.parametrize("read", READS)
def test_a_public_read_with_a_refused_token_is_a_401_not_the_anonymous_view(
    read, caller, world, make_token, reliability_record
):
    client = APIClient() if caller == "bare Bearer" else _client(caller, world, "seller", make_token)
    assert client is not None
    if caller == "bare Bearer":
        client.credentials(HTTP_AUTHORIZATION="Bearer")

    response = client.get(READS[read](world))

    body = _problem(response, HTTPStatus.UNAUTHORIZED)
    assert body["detail"] == "The access token is invalid, expired or revoked."
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert APIClient().get(READS[read](world)).status_code == HTTPStatus.OK  # no token: the public view
    reliability_record("abuse", "public reads: a refused token is a 401, no token reads anonymously", 1)


def test_reads_that_authenticate_nobody_ignore_any_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    for name in ("auctions:currency-list", "auctions:country-list", "auctions:bid-increment-list", "auctions:docs"):
        assert api_client.get(reverse(name)).status_code == HTTPStatus.OK, name
    assert api_client.get(reverse("auctions:schema", kwargs={"format": "json"})).status_code == HTTPStatus.OK


def test_the_schema_documents_the_401_of_every_read_that_takes_an_optional_token():
    from auctioneer.schema import SchemaGenerator
    from auctioneer.urls import api_info

    schema = SchemaGenerator(info=api_info).get_schema(request=None, public=True)
    optional = {
        (method, path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method == "get" and operation.get("security") == [{}, {"Bearer": []}]
    }
    assert optional == {
        ("get", "/v1/items"),
        ("get", "/v1/items/{item_id}"),
        ("get", "/v1/auctions"),
        ("get", "/v1/auctions/{auction_id}"),
        ("get", "/v1/auctions/{auction_id}/bids"),
    }
    for method, path in optional:
        assert schema["paths"][path][method]["responses"]["401"]["schema"]["$ref"] == "#/definitions/Problem"


# --- mass assignment -----------------------------------------------------------------------

FORBIDDEN = {
    "id": 999999,
    "owner": 1,
    "seller": 1,
    "bidder": 1,
    "status": "fulfilled",
    "state": "fulfilled",
    "current_price": "99999.00",
    "bid_count": 42,
    "leader": 1,
    "leading_bidder": 1,
    "winning_bid": 1,
    "is_automatic": True,
    "is_staff": True,
    "is_superuser": True,
    "is_active": False,
    "username": "hijacked",
    "date_joined": "2000-01-01T00:00:00Z",
    "created_at": "2000-01-01T00:00:00Z",
    "placed_at": "2000-01-01T00:00:00Z",
}


@pytest.mark.parametrize("write", [n for n in WRITE_NAMES if n not in ("delete item", "delete account")])
def test_no_write_stores_a_field_the_client_may_not_set(write, world, client_for, reliability_record):
    _name, method, url, body, owner = next(w for w in _writes(world) if w[0] == write)
    caller = world["bidder"] if owner == "bidder" else world["seller"]
    mallory = UserFactory.create(username="mallory")
    hostile = {**body, **{k: (mallory.pk if v == 1 else v) for k, v in FORBIDDEN.items()}}
    response = getattr(client_for(caller), method)(url(), hostile, format="json")
    assert response.status_code < 500
    if response.status_code >= 400:
        _problem(response, response.status_code)
    users = {u.username: u for u in User.objects.all()}
    assert "hijacked" not in users
    assert not any(u.is_staff or u.is_superuser for u in users.values())
    assert users[caller.username].is_active
    assert not Item.objects.filter(owner=mallory).exists()
    assert not Auction.objects.filter(seller=mallory).exists()
    assert not Auction.objects.filter(pk=999999).exists() and not Item.objects.filter(pk=999999).exists()
    assert not Auction.objects.filter(current_price=Decimal("99999.00")).exists()
    assert not Auction.objects.filter(bid_count=42).exists()
    assert not Bid.objects.filter(bidder=mallory).exists()
    assert not Bid.objects.filter(placed_at__year=2000).exists()
    assert not Item.objects.filter(created_at__year=2000).exists()
    assert not Auction.objects.filter(created_at__year=2000).exists()
    assert Auction.objects.filter(state="fulfilled", winning_bid__isnull=True).count() == 0
    reliability_record("abuse", "mass assignment: forbidden fields on every write, none stored", len(FORBIDDEN))


# --- hostile bodies and query strings ----------------------------------------------------------


def test_a_body_over_the_size_limit_is_refused(world, client_for, settings, reliability_record):
    huge = {"title": "x", "condition": "used", "description": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    before = Item.objects.count()
    response = client_for(world["seller"]).post(reverse("auctions:item-list"), huge, format="json")
    _problem(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    assert Item.objects.count() == before
    reliability_record("abuse", "hostile bodies (oversized, deeply nested, invalid UTF-8, not JSON) refused", 1)


@pytest.mark.parametrize("path", ["/api/auth/token/refresh", "/api/auth/register", "/o/token/", "/api/v1/items"])
def test_an_oversized_body_is_refused_before_anything_reads_it(path, client, settings):
    """No token needed to be refused: the size is checked before authentication and parsing."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"refresh_token": "' + b"x" * 2000 + b'"}'
    _problem(client.post(path, body, content_type="application/json"), HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    fits = client.post(path, b'{"refresh_token": "' + b"x" * 900 + b'"}', content_type="application/json")
    assert fits.status_code != HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_a_chunked_body_is_411_not_read_as_empty(world, client_for):
    response = client_for(world["seller"]).post(
        reverse("auctions:item-list"),
        b'{"title": "x", "description": "y", "condition": "used"}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    _problem(response, HTTPStatus.LENGTH_REQUIRED)


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b'{"title": ' * 5_000 + b"1" + b"}" * 5_000, "application/json"),
        (b'{"title": "\xff\xfe", "condition": "used"}', "application/json"),
        (b'{"title": "x", "condition": "used"', "application/json"),
        (b"title=x&condition=used", "application/x-www-form-urlencoded"),
        (b'{"title": "x", "condition": "used"}', "text/plain"),
        (b"", "application/json"),
        (b'{"amount": NaN}', "application/json"),
    ],
    ids=["nested-array", "nested-object", "invalid-utf8", "truncated", "form", "text-plain", "empty", "nan"],
)
@pytest.mark.parametrize("target", ["item", "bid"])
def test_hostile_bodies_get_a_problem_and_store_nothing(
    payload, content_type, target, world, client_for, reliability_record
):
    caller = world["seller"] if target == "item" else world["bidder"]
    url = (
        reverse("auctions:item-list")
        if target == "item"
        else reverse("auctions:auction-bids", args=[world["auction"].pk])
    )
    client = client_for(caller)
    before = _snapshot()
    response = client.generic("POST", url, payload, content_type=content_type)
    _problem(response, HTTPStatus.BAD_REQUEST, HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    assert _snapshot() == before
    reliability_record("abuse", "hostile bodies (oversized, deeply nested, invalid UTF-8, not JSON) refused", 1)


@pytest.mark.parametrize("name", ["auctions:auction-list", "auctions:item-list", "auctions:country-list"])
def test_page_size_is_capped_and_nonsense_is_a_problem(name, world, api_client, reliability_record):
    ItemFactory.create_batch(3, owner=world["seller"])
    url = reverse(name)
    huge = api_client.get(url, {"page_size": "9" * 5000})
    assert huge.status_code == HTTPStatus.OK
    assert len(huge.json()["results"]) <= 100
    for bad in ("0", "-1", "abc", "1e3", "٣"):
        _problem(api_client.get(url, {"page_size": bad}), HTTPStatus.BAD_REQUEST)
    for bad_page in ("0", "-1", "abc", "1e3", "٣"):
        _problem(api_client.get(url, {"page": bad_page}), HTTPStatus.BAD_REQUEST)
    _problem(api_client.get(url, {"page": "99999999999999999999"}), HTTPStatus.NOT_FOUND)  # past the last
    unknown = api_client.get(url, {"no_such_param": "1", "debug": "true", "__proto__": "x"})
    assert unknown.status_code == HTTPStatus.OK  # unknown parameters are ignored
    reliability_record("abuse", "query strings: huge/invalid page_size and page, unknown parameters", 10)


FRAGMENTS = [
    "'; DROP TABLE auctions_item; --",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(5)",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} %(x)s",
    "../../../../etc/passwd",
    "\u202egnp.exe",
]


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_sql_and_script_fragments_are_stored_and_returned_inertly(
    fragment, world, client_for, api_client, reliability_record
):
    client = client_for(world["seller"])
    created = client.post(
        reverse("auctions:item-list"),
        {"title": fragment[:200], "description": fragment, "condition": "used"},
        format="json",
    )
    assert created.status_code == HTTPStatus.CREATED, created.content
    assert created["Content-Type"].startswith("application/json")
    item_id = created.json()["id"]
    read = api_client.get(reverse("auctions:item-detail", args=[item_id]))
    assert (read.json()["title"], read.json()["description"]) == (fragment[:200], fragment)
    assert json.loads(read.content)["description"] == fragment  # JSON-escaped, never HTML
    found = api_client.get(reverse("auctions:item-list"), {"search": fragment})
    assert found.status_code == HTTPStatus.OK
    for key in ("search", "currency", "condition", "category", "country", "ordering"):
        response = api_client.get(reverse("auctions:auction-list"), {key: fragment})
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST), (key, response.status_code)
        if response.status_code == HTTPStatus.BAD_REQUEST:
            _problem(response, HTTPStatus.BAD_REQUEST)
    assert Item.objects.filter(pk=item_id).exists() and Auction.objects.exists()  # tables intact
    reliability_record("abuse", "SQL/script fragments stored and returned inertly (body + 6 query params)", 1)
