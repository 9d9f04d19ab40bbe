"""The hand-written to_representation of AuctionOutputSerializer (a list page's hot loop) and
BidPlacementSerializer (every bid's answer) say exactly what DRF's walk over the declared
fields says, for every kind of auction and bid."""

import json
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from auctions import selectors, services
from auctions.apis import AuctionOutputSerializer, BidPlacementSerializer
from auctions.models import Auction, AuctionState, Currency
from auctions.tests.factories import AuctionFactory, BidFactory
from authorization.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _auctions() -> list[int]:
    now = timezone.now()
    plain = AuctionFactory.create()
    scheduled = AuctionFactory.create(start_time=now + timedelta(hours=1), end_time=now + timedelta(hours=2))
    ended = AuctionFactory.create(start_time=now - timedelta(hours=2), end_time=now - timedelta(seconds=1))
    yen = AuctionFactory.create(
        currency=Currency.objects.get(code="JPY"), starting_price=Decimal("500"), current_price=Decimal("500")
    )
    leading = AuctionFactory.create(reserve_price=Decimal("50"), buy_now_price=Decimal("80.5"))
    bid = BidFactory.create(auction=leading, amount=Decimal("12.00"))
    Auction.objects.filter(pk=leading.pk).update(
        leader=bid.bidder, leader_ceiling=Decimal("60"), current_price=Decimal("12.00"), bid_count=1
    )
    won = AuctionFactory.create(international_delivery=True, extension_seconds=120)
    winning = BidFactory.create(auction=won, amount=Decimal("10.00"), bidder=UserFactory.create())
    Auction.objects.filter(pk=won.pk).update(
        leader=winning.bidder, leader_ceiling=Decimal("10"), bid_count=1, state=AuctionState.FULFILLED,
        winning_bid=winning, settled_at=now,
    )  # fmt: skip
    return [a.pk for a in (plain, scheduled, ended, yen, leading, won)]


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
