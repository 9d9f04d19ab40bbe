"""The token lifecycle, in-process: the requests a client sends, in order."""

from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_register_token_write_refresh_revoke(api_client, oauth_client, bearer):
    credentials = {"username": "fay", "password": "an unusual passphrase 7"}
    registered = api_client.post(reverse("authorization:register"), {**credentials, "email": "fay@example.com"})
    assert registered.status_code == HTTPStatus.CREATED
    assert {"access_token", "refresh_token", "user"} <= registered.json().keys()

    pair = api_client.post(reverse("authorization:token"), credentials).json()
    item = {"title": "A lamp", "description": "Brass.", "condition": "used"}
    created = bearer(pair["access_token"]).post(reverse("auctions:item-list"), item, format="json")
    assert created.status_code == HTTPStatus.CREATED, created.content

    refreshed = api_client.post(reverse("authorization:token-refresh"), {"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == HTTPStatus.OK
    new = refreshed.json()
    assert bearer(new["access_token"]).post(reverse("auctions:item-list"), item).status_code == HTTPStatus.CREATED

    revoked = bearer(new["access_token"]).post(reverse("authorization:token-revoke"))
    assert revoked.status_code == HTTPStatus.NO_CONTENT
    refused = bearer(new["access_token"]).post(reverse("auctions:item-list"), item)
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused["Content-Type"] == "application/problem+json"
    old = api_client.post(reverse("authorization:token-refresh"), {"refresh_token": pair["refresh_token"]})
    assert old.status_code == HTTPStatus.UNAUTHORIZED
