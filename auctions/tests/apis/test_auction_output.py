"""The hand-written AuctionOutputSerializer.to_representation (a list page's hot loop) says
exactly what DRF's walk over the declared fields says, for every kind of auction."""

import json
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from auctions import selectors
from auctions.apis import AuctionOutputSerializer
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
