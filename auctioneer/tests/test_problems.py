import base64
import bz2
import json
import zlib
from http import HTTPStatus

import pytest

from auctions.models import Item

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_a_json_problem(api_client):
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert {"type", "title", "status", "detail"} <= body.keys()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing",  # no route
        "/api/v1/items/abc",  # a route, but not an id
        "/api/v1/items/999999",  # no such row (the service)
        "/api/v1/auctions/999999",  # no such row (the read)
        "/api/v1/auctions/999999/bids",
    ],
)
def test_every_404_is_the_same_problem(api_client, path):
    body = api_client.get(path).json()

    assert (body["type"], body["title"], body["status"]) == ("urn:auctioneer:problem:not-found", "Not Found", 404)


def test_every_documented_error_is_the_one_problem_definition(api_client):
    schema = api_client.get("/api/v1/swagger.json").json()
    errors = {
        (path, method, code): response.get("schema")
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
        for code, response in operation["responses"].items()
        if code.startswith(("4", "5"))
    }

    assert any(path.startswith("/auth/") for path, _, _ in errors)  # both APIs are in the document
    assert {key: value for key, value in errors.items() if value != {"$ref": "#/definitions/Problem"}} == {}
    assert set(schema["definitions"]["Problem"]["required"]) == {"type", "title", "status", "detail"}


def test_method_not_allowed_is_a_json_problem(api_client, user, client_for):
    response = client_for(user).delete("/api/v1/metadata/countries")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("delete", "/api/v1/auctions", "GET, POST, HEAD, OPTIONS"),
        ("put", "/api/v1/items/1", "GET, PATCH, DELETE, HEAD, OPTIONS"),
        ("post", "/api/v1/me/bids", "GET, HEAD, OPTIONS"),
        ("get", "/api/auth/token", "POST, OPTIONS"),
    ],
)
@pytest.mark.parametrize("with_token", [False, True])
def test_a_method_no_token_could_allow_is_405_before_authentication(
    api_client, client_for, user, method, path, allow, with_token
):
    # DRF authenticates first: without a token these were 401s asking for one.
    client = client_for(user) if with_token else api_client
    response = getattr(client, method)(path, {}, format="json")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == allow
    assert response["Content-Type"] == "application/problem+json"
    assert (response.json()["type"], response.json()["status"]) == ("urn:auctioneer:problem:method-not-allowed", 405)


@pytest.mark.parametrize(
    ("method", "path", "status", "problem_type"),
    [
        ("get", "/o/token/", 405, "method-not-allowed"),  # Django's HttpResponseNotAllowed: no body
        ("get", "/o/revoke_token/", 405, "method-not-allowed"),
        ("get", "/o/introspect/", 403, "forbidden"),  # DOT: no token
        ("get", "/o/userinfo/", 404, "not-found"),  # DOT: OpenID Connect is off
    ],
)
def test_an_error_answered_with_no_body_is_a_problem_too(api_client, method, path, status, problem_type):
    response = getattr(api_client, method)(path)

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["type"], body["status"]) == (f"urn:auctioneer:problem:{problem_type}", status)
    assert body["detail"]
    if status == 405:
        assert "POST" in response["Allow"]  # the headers stay


def test_the_oauth_endpoints_keep_their_own_json_errors(api_client):
    response = api_client.post("/o/token/", "grant_type=password", content_type="application/x-www-form-urlencoded")

    # RFC 6749 §5.2, as OAuth clients parse it, not a problem.
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json() and "status" not in response.json()


def _operations_with_a_body(schema: dict) -> list[tuple[str, str, dict]]:
    base = schema["basePath"].rstrip("/")
    return [
        (base + path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method != "parameters" and any(p["in"] == "body" for p in operation.get("parameters", []))
    ]


def test_every_body_that_is_not_json_is_a_415_problem_and_the_schema_says_so(api_client, user, client_for):
    schema = api_client.get("/api/v1/swagger.json").json()
    operations = _operations_with_a_body(schema)
    assert {path for path, _, _ in operations} >= {"/api/auth/token", "/api/v1/items"}
    caller = client_for(user)

    for path, method, operation in operations:
        assert operation["responses"]["415"]["schema"]["$ref"] == "#/definitions/Problem", (path, method)
        if "{" in path:
            continue  # needs an object of its own; the paths without one show the parser
        response = getattr(caller, method)(path, data="username=ann", content_type="text/plain")
        assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE, (path, method, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 415


def _item_body() -> bytes:
    return json.dumps({"title": "Lens", "description": "", "condition": "used", "country": "DE"}).encode()


@pytest.mark.parametrize(
    ("charset", "encode"),
    [
        # Codecs that are not text: a body under the size limit would expand to any size.
        ("bz2_codec", bz2.compress),
        ("zlib_codec", zlib.compress),
        ("base64", base64.b64encode),
        # Text codecs that are not UTF-8; rot13 is str-to-str and used to end in a 500.
        ("rot13", lambda body: body),
        ("latin-1", lambda body: body),
        ("utf-16", lambda body: body.decode().encode("utf-16")),
    ],
)
@pytest.mark.parametrize("authenticated", [True, False])
def test_a_body_in_any_charset_but_utf8_is_a_415_problem_and_writes_nothing(
    api_client, user, client_for, charset, encode, authenticated
):
    caller = client_for(user) if authenticated else api_client
    for path in ("/api/v1/items", "/api/auth/register", "/api/auth/token"):
        response = caller.post(path, data=encode(_item_body()), content_type=f"application/json; charset={charset}")
        assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE, (path, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert "UTF-8" in response.json()["detail"]
    assert not Item.objects.exists()


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8", "us-ascii"])
def test_a_body_declared_utf8_or_ascii_is_taken(user, client_for, charset):
    response = client_for(user).post(
        "/api/v1/items", data=_item_body(), content_type=f"application/json; charset={charset}"
    )
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert Item.objects.get().title == "Lens"
