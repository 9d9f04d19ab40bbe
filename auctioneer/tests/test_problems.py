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
