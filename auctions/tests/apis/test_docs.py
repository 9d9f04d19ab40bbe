import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from auctions.tests.factories import AuctionFactory

pytestmark = pytest.mark.django_db

WRITES = {
    ("/items", "post"): {400, 401, 403, 429},
    ("/items/{item_id}", "patch"): {400, 401, 403, 404, 409, 429},
    ("/items/{item_id}", "delete"): {401, 403, 404, 409, 429},
    ("/auctions", "post"): {400, 401, 403, 409, 422, 429},
    ("/auctions/{auction_id}", "patch"): {400, 401, 403, 404, 409, 429},
    ("/auctions/{auction_id}/cancel", "post"): {401, 403, 404, 409, 429},
    ("/auctions/{auction_id}/buy-now", "post"): {401, 403, 404, 409, 429},
    ("/auctions/{auction_id}/bids", "post"): {400, 401, 403, 404, 409, 422, 429},
}
READS = [
    ("/items", "get"),
    ("/items/{item_id}", "get"),
    ("/auctions", "get"),
    ("/auctions/{auction_id}", "get"),
    ("/auctions/{auction_id}/bids", "get"),
]
ME = ["/me/items", "/me/auctions", "/me/bids"]


@pytest.fixture
def schema(api_client):
    response = api_client.get(reverse("auctions:schema", kwargs={"format": "json"}))
    assert response.status_code == HTTPStatus.OK
    schema = response.json()
    # key the operations by their path under /api/v1, whatever basePath the generator picked
    prefix = schema["basePath"].rstrip("/")
    schema["paths"] = {
        (prefix + path).removeprefix("/api/v1"): item
        for path, item in schema["paths"].items()
        if (prefix + path).startswith("/api/v1/")
    }
    return schema


def test_every_write_has_bearer_security_a_body_and_its_errors(schema):
    for (path, method), codes in WRITES.items():
        operation = schema["paths"][path][method]
        assert operation["security"] == [{"Bearer": []}], (path, method)
        responses = {int(code) for code in operation["responses"]}
        assert codes <= responses, (path, method, responses)
        for code in codes:
            assert operation["responses"][str(code)]["schema"]["$ref"] == "#/definitions/Problem"
        assert responses & {200, 201, 204}


def test_every_write_documents_the_403_a_read_only_token_gets(schema, api_client, make_token, user):
    # The scope is checked before the path's object or the body is looked at.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, scope='read')}")
    for path, method in WRITES:
        r = getattr(api_client, method)("/api/v1" + re.sub(r"\{\w+\}", "1", path), {}, format="json")
        assert r.status_code == HTTPStatus.FORBIDDEN, (path, method, r.status_code)
        documented = schema["paths"][path][method]["responses"]["403"]["description"]
        assert "`write` scope" in documented, (path, method, documented)


def test_reads_are_public_with_an_optional_token_and_me_needs_one(schema):
    for path, method in READS:
        assert schema["paths"][path][method]["security"] == [{}, {"Bearer": []}], path
        assert "401" in schema["paths"][path][method]["responses"], path  # a token sent must be valid
    for path in ("/metadata/currencies", "/metadata/countries"):
        assert schema["paths"][path]["get"]["security"] == [], path
        assert "401" not in schema["paths"][path]["get"]["responses"], path
    for path in ME:
        assert schema["paths"][path]["get"]["security"] == [{"Bearer": []}]
        assert "401" in schema["paths"][path]["get"]["responses"]


def test_bodies_and_idempotency_are_described(schema):
    bid = schema["paths"]["/auctions/{auction_id}/bids"]["post"]
    body = next(p for p in bid["parameters"] if p["in"] == "body")
    assert body["schema"]["$ref"] == "#/definitions/BidInput"
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in bid["parameters"])
    assert set(schema["definitions"]["Auction"]["properties"]) >= {"reserve_met", "minimum_bid", "winning_bid"}
    assert "reserve_price" not in schema["definitions"]["Auction"]["properties"]
    assert "status" in {p["name"] for p in schema["paths"]["/auctions"]["get"]["parameters"]}
    assert "Bearer" in schema["securityDefinitions"]


@pytest.mark.parametrize("name", ["auctions:docs", "auctions:redoc"])
def test_docs_pages_render_with_debug_off(api_client, name, settings):
    settings.DEBUG = False
    response = api_client.get(reverse(name))
    assert response.status_code == HTTPStatus.OK
    assert b"swagger.json" in response.content or b"spec-url" in response.content or b"<html" in response.content


@pytest.mark.parametrize("path", ["/api/v1/swagger.json/", "/api/v1/swagger.yaml/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_answer_with_a_trailing_slash_too(api_client, path):
    assert api_client.get(path).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("method", "path", "accept", "code"),
    [
        ("post", "/api/v1/docs", None, HTTPStatus.METHOD_NOT_ALLOWED),
        ("delete", "/api/v1/redoc", None, HTTPStatus.METHOD_NOT_ALLOWED),
        ("post", "/api/v1/swagger.yaml", None, HTTPStatus.METHOD_NOT_ALLOWED),
        ("get", "/api/v1/docs?format=bogus", None, HTTPStatus.NOT_FOUND),
        ("get", "/api/v1/redoc", "application/problem+json", HTTPStatus.NOT_ACCEPTABLE),
    ],
)
def test_docs_errors_are_json_problems(api_client, method, path, accept, code):
    """The docs render HTML and YAML, but their errors are problem details like everyone else's."""
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = getattr(api_client, method)(path, **headers)
    assert response.status_code == code
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == code


def test_lists_are_documented_as_pages(schema):
    for path in ["/items", "/auctions", "/auctions/{auction_id}/bids", "/me/items", "/me/auctions", "/me/bids"]:
        ok = schema["paths"][path]["get"]["responses"]["200"]["schema"]
        assert set(ok["properties"]) == {"count", "next", "previous", "results"}, path
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"page", "page_size"} <= names, path


def test_the_page_parameter_admits_what_the_lists_take(schema, api_client):
    page = next(p for p in schema["paths"]["/auctions"]["get"]["parameters"] if p["name"] == "page")
    documented = re.compile(page["pattern"])

    for value in ("1", "last", ""):
        assert documented.fullmatch(value), value
        assert api_client.get("/api/v1/auctions", {"page": value}).status_code == HTTPStatus.OK, value
    for value in ("0", "-1", "first"):
        assert not documented.fullmatch(value), value
        assert api_client.get("/api/v1/auctions", {"page": value}).status_code == HTTPStatus.BAD_REQUEST, value


def test_a_problem_documents_the_fields_a_bid_conflict_adds(schema):
    assert {"minimum_bid", "auction_status"} <= set(schema["definitions"]["Problem"]["properties"])


def test_patch_bodies_are_all_optional(schema):
    for name in ("ItemPatch", "AuctionPatch"):
        assert not schema["definitions"][name].get("required"), name


def test_item_of_a_new_auction_is_an_id_or_an_object(schema, client_for, user):
    """Swagger 2.0 has no oneOf: `item` leaves its type open rather than claim only one of them."""
    item = schema["definitions"]["AuctionInput"]["properties"]["item"]
    assert "type" not in item
    assert item["x-types"] == ["integer", "object"]
    body = {"currency": "EUR", "starting_price": "10", "end_time": (timezone.now() + timedelta(days=7)).isoformat()}
    new_item = {"title": "Lamp", "description": "Brass.", "condition": "used", "category": "collectibles"}
    client = client_for(user)
    made = client.post(reverse("auctions:auction-list"), {**body, "item": new_item}, format="json")
    assert made.status_code == HTTPStatus.CREATED, made.content
    relisted = client.post(reverse("auctions:auction-list"), {**body, "item": made.json()["item"]["id"]}, format="json")
    assert relisted.status_code == HTTPStatus.CONFLICT  # the id form: that item is in an active auction


def test_every_answer_holds_exactly_what_its_definition_requires(schema, api_client, client_for, user):
    """A generated client may rely on `required`: every row of these answers carries each
    required field (nullable ones as null) and nothing the definition does not name."""
    auction = AuctionFactory.create()
    bidder = client_for(user)
    assert bidder.post(f"/api/v1/auctions/{auction.pk}/bids", {"amount": "10.00"}, format="json").status_code == 201
    answers = {
        "Auction": [api_client.get(f"/api/v1/auctions/{auction.pk}").json()],
        "AuctionBid": api_client.get(f"/api/v1/auctions/{auction.pk}/bids").json()["results"]
        + bidder.get(f"/api/v1/auctions/{auction.pk}/bids").json()["results"],
        "MyBid": bidder.get("/api/v1/me/bids").json()["results"],
        "Account": [bidder.get("/api/auth/account").json()],
        "ItemCondition": api_client.get("/api/v1/metadata/item-conditions").json()["results"],
        "AuctionStatus": api_client.get("/api/v1/metadata/auction-statuses").json()["results"],
    }

    for name, rows in answers.items():
        definition = schema["definitions"][name]
        assert rows, name
        for row in rows:
            assert set(definition["required"]) <= set(row) <= set(definition["properties"]), name
    assert set(schema["definitions"]["AuctionBid"]["properties"]) - set(
        schema["definitions"]["AuctionBid"]["required"]
    ) == {
        "max_amount"  # only on the caller's own bids
    }
