import json
from http import HTTPStatus
from pathlib import Path

import pytest
from django.urls import reverse

DATA = Path(__file__).resolve().parents[2] / "data"

pytestmark = pytest.mark.django_db


def _all(api_client, url):
    response = api_client.get(url, {"page_size": 100})
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    rows = list(body["results"])
    while body["next"]:
        body = api_client.get(body["next"]).json()
        rows += body["results"]
    return response, rows


def test_countries_lists_every_iso_3166_country_without_a_token(api_client):
    response, rows = _all(api_client, reverse("auctions:country-list"))
    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] == len(rows) == 249
    assert {"code": "DE", "name": "Germany"} in rows
    assert len({row["code"] for row in rows}) == 249


def test_currencies_carry_minor_units(api_client):
    _, rows = _all(api_client, reverse("auctions:currency-list"))
    by_code = {row["code"]: row for row in rows}
    assert len(rows) >= 30
    assert by_code["EUR"] == {"code": "EUR", "name": "Euro", "minor_units": 2}
    assert by_code["JPY"]["minor_units"] == 0
    assert by_code["KWD"]["minor_units"] == 3


def test_item_conditions_are_the_spec_list(api_client):
    _, rows = _all(api_client, reverse("auctions:item-condition-list"))
    assert [row["code"] for row in rows] == ["new", "like-new", "used", "refurbished", "for-parts"]


def test_categories_and_statuses_come_from_the_data_files(api_client):
    _, categories = _all(api_client, reverse("auctions:category-list"))
    assert {c["slug"] for c in categories} == {c["slug"] for c in json.loads((DATA / "categories.json").read_text())}
    _, statuses = _all(api_client, reverse("auctions:auction-status-list"))
    assert [s["code"] for s in statuses] == ["scheduled", "open", "closed", "fulfilled", "unsold", "cancelled"]


def test_bid_increments_are_the_settings_table(api_client):
    response = api_client.get(reverse("auctions:bid-increment-list"))
    rows = response.json()["results"]
    assert rows[0] == {"below": "1.00", "increment": "0.05"}
    assert rows[-1] == {"below": None, "increment": "100.00"}
    assert len(rows) == 10


def test_paths_answer_with_and_without_trailing_slash(api_client):
    assert api_client.get("/api/v1/metadata/countries").status_code == HTTPStatus.OK
    assert api_client.get("/api/v1/metadata/countries/").status_code == HTTPStatus.OK


def test_page_size_is_capped_at_100(api_client):
    body = api_client.get("/api/v1/metadata/countries", {"page_size": 100000}).json()
    assert len(body["results"]) == 100
