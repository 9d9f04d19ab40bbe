from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from auctions.models import Auction, Bid, Category, Country, Currency, Item, ItemCondition
from authorization.tests.factories import UserFactory


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Item {n}")
    description = "A thing worth bidding on."
    condition = factory.LazyFunction(lambda: ItemCondition.objects.get(code="used"))
    category = factory.LazyFunction(lambda: Category.objects.get(slug="collectibles"))
    country = factory.LazyFunction(lambda: Country.objects.get(code="DE"))


class AuctionFactory(factory.django.DjangoModelFactory):
    """An open auction in EUR, one hour long, with no bids."""

    class Meta:
        model = Auction

    item = factory.SubFactory(ItemFactory)
    seller = factory.SelfAttribute("item.owner")
    currency = factory.LazyFunction(lambda: Currency.objects.get(code="EUR"))
    starting_price = Decimal("10.00")
    current_price = factory.SelfAttribute("starting_price")
    start_time = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    end_time = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class BidFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bid

    auction = factory.SubFactory(AuctionFactory)
    bidder = factory.SubFactory(UserFactory)
    amount = Decimal("10.00")
