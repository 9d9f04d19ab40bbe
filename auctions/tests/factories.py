from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from auctions.models import Auction, AuctionState, Bid, Category, Country, Currency, Item, ItemCondition
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


def auctions_of_every_kind() -> dict[str, Auction]:
    """One auction of each kind an output must show right: open without bids, scheduled,
    ended unsettled, in a currency without minor units, leading with reserve and buy-now,
    two won (settled, with winning bids of 10.00 and 31.50), cancelled."""
    now = timezone.now()
    kinds = {
        "plain": AuctionFactory.create(),
        "scheduled": AuctionFactory.create(start_time=now + timedelta(hours=1), end_time=now + timedelta(hours=2)),
        "ended": AuctionFactory.create(start_time=now - timedelta(hours=2), end_time=now - timedelta(seconds=1)),
        "yen": AuctionFactory.create(
            currency=Currency.objects.get(code="JPY"), starting_price=Decimal("500"), current_price=Decimal("500")
        ),
        "leading": AuctionFactory.create(reserve_price=Decimal("50"), buy_now_price=Decimal("80.5")),
    }
    bid = BidFactory.create(auction=kinds["leading"], amount=Decimal("12.00"))
    Auction.objects.filter(pk=kinds["leading"].pk).update(
        leader=bid.bidder, leader_ceiling=Decimal("60"), current_price=Decimal("12.00"), bid_count=1
    )
    for name, amount in (("won", "10.00"), ("won_higher", "31.50")):
        auction = AuctionFactory.create(international_delivery=True, extension_seconds=120)
        winning = BidFactory.create(auction=auction, amount=Decimal(amount), bidder=UserFactory.create())
        Auction.objects.filter(pk=auction.pk).update(
            leader=winning.bidder, leader_ceiling=Decimal(amount), bid_count=1, state=AuctionState.FULFILLED,
            winning_bid=winning, settled_at=now,
        )  # fmt: skip
        kinds[name] = auction
    kinds["cancelled"] = AuctionFactory.create(state=AuctionState.CANCELLED)
    return kinds
