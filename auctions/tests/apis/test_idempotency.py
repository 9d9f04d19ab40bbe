import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from auctions.models import Auction, Bid, IdempotencyRecord
from auctions.tests.factories import AuctionFactory
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def auction_body(title="Clock"):
    return {
        "item": {"title": title, "condition": "used"},
        "currency": "EUR",
        "starting_price": "10.00",
        "end_time": (timezone.now() + timedelta(days=1)).isoformat(),
    }


def test_same_key_same_body_replays_the_auction_and_creates_nothing(client_for, user):
    client = client_for(user)
    body = auction_body()
    first = client.post(reverse("auctions:auction-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = client.post(reverse("auctions:auction-list") + "/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == again.status_code == HTTPStatus.CREATED
    assert again.json() == first.json()
    assert Auction.objects.count() == 1


def test_a_new_auction_and_its_replay_name_it_in_location(api_client, client_for, user):
    client = client_for(user)
    body = auction_body()
    first = client.post(reverse("auctions:auction-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="loc")
    again = client.post(reverse("auctions:auction-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="loc")

    assert first["Location"] == again["Location"]
    shown = api_client.get(first["Location"])
    assert shown.status_code == HTTPStatus.OK
    assert shown.json()["id"] == first.json()["id"]


def test_same_key_other_body_is_422(client_for, user):
    client = client_for(user)
    client.post(reverse("auctions:auction-list"), auction_body(), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    r = client.post(reverse("auctions:auction-list"), auction_body("Other"), format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert r.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert r["Content-Type"] == "application/problem+json"
    assert Auction.objects.count() == 1


def test_keys_are_per_user(client_for):
    body = auction_body()
    for _ in range(2):
        r = client_for(UserFactory.create()).post(
            reverse("auctions:auction-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="same"
        )
        assert r.status_code == HTTPStatus.CREATED
    assert Auction.objects.count() == 2


def test_same_key_on_another_path_is_422(client_for, user):
    a, b = AuctionFactory.create(), AuctionFactory.create()
    client = client_for(user)
    first = client.post(
        reverse("auctions:auction-bids", kwargs={"auction_id": a.pk}), {"amount": "10"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert first.status_code == HTTPStatus.CREATED
    r = client.post(
        reverse("auctions:auction-bids", kwargs={"auction_id": b.pk}), {"amount": "10"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert r.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert Bid.objects.count() == 1


def test_errors_are_not_stored_so_a_fixed_request_can_reuse_the_key(client_for, user):
    auction = AuctionFactory.create()
    url = reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})
    client = client_for(user)
    assert client.post(url, {"amount": "1"}, HTTP_IDEMPOTENCY_KEY="k").status_code == HTTPStatus.CONFLICT
    assert not IdempotencyRecord.objects.exists()
    assert client.post(url, {"amount": "10"}, HTTP_IDEMPOTENCY_KEY="k").status_code == HTTPStatus.CREATED


def test_a_replay_still_answers_after_the_auction_moved_on(client_for, user):
    auction = AuctionFactory.create()
    url = reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})
    client = client_for(user)
    first = client.post(url, {"amount": "10"}, HTTP_IDEMPOTENCY_KEY="k")
    client_for(UserFactory.create()).post(url, {"amount": "30"})
    replay = client.post(url, {"amount": "10"}, HTTP_IDEMPOTENCY_KEY="k")
    assert replay.status_code == HTTPStatus.CREATED and replay.json() == first.json()
    assert Bid.objects.filter(bidder=user).count() == 1


def test_a_key_expires_after_the_ttl(client_for, user, settings):
    auction = AuctionFactory.create()
    url = reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})
    client = client_for(user)
    client.post(url, {"amount": "10"}, HTTP_IDEMPOTENCY_KEY="k")
    IdempotencyRecord.objects.update(created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(seconds=1))
    r = client.post(url, {"amount": "11", "max_amount": "12"}, HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == HTTPStatus.CREATED
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.parametrize("key", ["k" * 256, "", " ", "caf\u00e9", "tab\there"])
def test_a_key_outside_the_schema_is_400(client_for, user, key):
    """Over long, empty, blank, not ASCII, or a control character."""
    r = client_for(user).post(reverse("auctions:auction-list"), auction_body(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert r.status_code == HTTPStatus.BAD_REQUEST
    assert r.json()["errors"] == {"Idempotency-Key": ["Must be 1-255 printable ASCII characters."]}
    assert not Auction.objects.exists()


@pytest.mark.parametrize("key", ["k" * 255, "a b", "!", "550e8400-e29b-41d4-a716-446655440000"])
def test_every_key_the_schema_allows_is_taken(api_client, client_for, user, key):
    """The documented constraints (swagger.json) are what the service accepts, so a client
    generated from the schema cannot meet a 400 for its key."""
    documented = api_client.get("/api/v1/swagger.json").json()["paths"]["/v1/auctions"]["post"]["parameters"]
    (header,) = [p for p in documented if p["name"] == "Idempotency-Key"]
    assert (header["minLength"], header["maxLength"]) == (1, 255)
    assert re.fullmatch(header["pattern"], key) and len(key) <= header["maxLength"]
    r = client_for(user).post(reverse("auctions:auction-list"), auction_body(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert r.status_code == HTTPStatus.CREATED, r.json()
    for refused in ["", " ", " a", "a ", "caf\u00e9", "tab\there"]:
        assert not re.fullmatch(header["pattern"], refused)


def test_a_buy_now_retried_with_its_key_replays_the_win(client_for, user):
    """The first answer lost, the retry would otherwise meet the ended auction's 409."""
    auction = AuctionFactory.create(buy_now_price="80")
    client = client_for(user)
    url = reverse("auctions:auction-buy-now", kwargs={"auction_id": auction.pk})
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="buy-1")
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="buy-1")
    assert first.status_code == again.status_code == HTTPStatus.CREATED
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (first.json()["amount"], first.json()["leading"]) == ("80.00", True)
    assert Bid.objects.filter(auction=auction).count() == 1
    without_key = client.post(url)
    assert without_key.status_code == HTTPStatus.CONFLICT


def test_every_operation_that_takes_a_key_documents_the_replay_header(api_client, client_for, user):
    paths = api_client.get("/api/v1/swagger.json").json()["paths"]
    taking = {
        (path, method): operation
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method != "parameters" and any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    client, body = client_for(user), auction_body()
    first = client.post(reverse("auctions:auction-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="doc")
    again = client.post(reverse("auctions:auction-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="doc")

    assert set(taking) == {
        ("/v1/auctions", "post"),
        ("/v1/auctions/{auction_id}/bids", "post"),
        ("/v1/auctions/{auction_id}/buy-now", "post"),
    }
    for operation in taking.values():
        assert operation["responses"]["201"]["headers"]["Idempotent-Replayed"]["enum"] == ["true"]
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
