"""The hand-written to_representation of AuctionOutputSerializer (a list page's hot loop) and
BidPlacementSerializer (every bid's answer) say exactly what DRF's walk over the declared
fields says, for every kind of auction and bid."""

import json
import re
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from auctions import selectors, services
from auctions.apis import AuctionOutputSerializer, BidPlacementSerializer
from auctions.models import Currency
from auctions.tests.factories import AuctionFactory, auctions_of_every_kind
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _auctions() -> list[int]:
    return [auction.pk for auction in auctions_of_every_kind().values()]


def test_the_written_out_fields_equal_the_declared_fields():
    ids = _auctions()
    for auction in selectors.auction_list().filter(pk__in=ids):
        serializer = AuctionOutputSerializer(auction)
        declared = serializers.Serializer.to_representation(serializer, auction)
        assert json.dumps(serializer.data) == json.dumps(declared)  # same keys, order, values


def test_a_list_page_shows_the_written_out_fields(api_client):
    ids = _auctions()
    response = api_client.get(reverse("auctions:auction-list"), {"page_size": 100})

    assert response.status_code == HTTPStatus.OK
    results = {row["id"]: row for row in response.json()["results"]}
    assert set(ids) <= set(results)
    assert set(results[ids[0]]) == set(AuctionOutputSerializer().fields)


def test_the_written_out_bid_placement_equals_the_declared_fields():
    """Every bid answers with BidPlacementSerializer: leading and outbid, with and without a
    ceiling, a currency without minor units, and a buy-now."""
    euro = AuctionFactory.create(extension_seconds=600, reserve_price=Decimal("40"), buy_now_price=Decimal("90"))
    yen = AuctionFactory.create(
        currency=Currency.objects.get(code="JPY"), starting_price=Decimal("500"), current_price=Decimal("500")
    )
    ann, bob = UserFactory.create(), UserFactory.create()
    placements = [
        services.bid_place(auction_id=euro.pk, bidder=ann, amount=Decimal("10.00"), max_amount=Decimal("30")),
        services.bid_place(auction_id=euro.pk, bidder=bob, amount=Decimal("12.50")),
        services.bid_place(auction_id=yen.pk, bidder=bob, amount=Decimal("500"), max_amount=Decimal("2000")),
        services.bid_place(auction_id=yen.pk, bidder=ann, amount=Decimal("600")),
        services.auction_buy_now(auction_id=euro.pk, buyer=bob),
    ]
    assert [p.leading for p in placements] == [True, False, True, False, True]
    for placement in placements:
        serializer = BidPlacementSerializer(placement)
        declared = serializers.Serializer.to_representation(serializer, placement)
        assert json.dumps(serializer.data) == json.dumps(declared)  # same keys, order, values


def test_every_time_has_the_same_width_so_that_times_sort_as_strings(client_for, api_client):
    """A time on a whole second is written with its six zeros, like every other."""
    auction = AuctionFactory.create(end_time=timezone.now().replace(microsecond=0) + timedelta(days=2))
    bid = client_for(UserFactory.create()).post(
        reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk}), {"amount": "10"}, format="json"
    )
    assert bid.status_code == HTTPStatus.CREATED, bid.content
    body = api_client.get(reverse("auctions:auction-detail", kwargs={"auction_id": auction.pk})).json()
    history = api_client.get(reverse("auctions:auction-bids", kwargs={"auction_id": auction.pk})).json()
    times = [body["start_time"], body["end_time"], body["created_at"], bid.json()["placed_at"], bid.json()["end_time"]]
    times.append(history["results"][0]["placed_at"])
    for text in times:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text), text
    assert body["end_time"].endswith(".000000Z")  # on a whole second
