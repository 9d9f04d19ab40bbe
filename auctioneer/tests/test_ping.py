from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_ping_answers_with_the_tokens_user(user, client_for):
    response = client_for(user).get(reverse("auctions:ping"))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["user_id"] == user.pk
    assert body["username"] == user.username
    assert body["time"].endswith("Z")


def test_ping_without_a_token_is_a_401_problem(api_client):
    response = api_client.get(reverse("auctions:ping"))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == HTTPStatus.UNAUTHORIZED
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_ping_with_an_unknown_token_is_a_401_problem(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get(reverse("auctions:ping"))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["status"] == HTTPStatus.UNAUTHORIZED
    assert response.json()["detail"] == "The access token is invalid, expired or revoked."
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
