from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_a_json_problem(api_client):
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert {"type", "title", "status", "detail"} <= body.keys()


def test_method_not_allowed_is_a_json_problem(api_client, user, client_for):
    response = client_for(user).delete("/api/v1/metadata/countries")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405


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
