from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

WRITES = {
    ("/items", "post"): {400, 401, 429},
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


def test_reads_are_public_and_me_needs_a_token(schema):
    for path, method in READS:
        assert schema["paths"][path][method]["security"] == [], path
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


def test_lists_are_documented_as_pages(schema):
    for path in ["/items", "/auctions", "/auctions/{auction_id}/bids", "/me/items", "/me/auctions", "/me/bids"]:
        ok = schema["paths"][path]["get"]["responses"]["200"]["schema"]
        assert set(ok["properties"]) == {"count", "next", "previous", "results"}, path
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"page", "page_size"} <= names, path


def test_patch_bodies_are_all_optional(schema):
    for name in ("ItemPatch", "AuctionPatch"):
        assert not schema["definitions"][name].get("required"), name
