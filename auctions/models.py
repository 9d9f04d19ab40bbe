from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


class MoneyField(models.DecimalField):
    """Money: exact decimals, 4 places (enough for every ISO 4217 currency's minor units)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 19)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)


# --- Metadata (seeded by migration 0002 from auctions/data/*.json) ------------------------


def iso_code_from_input(text: str) -> str:
    """An ISO code (a country's, a currency's) as clients send it: any case, spaces around it
    ignored. Only ASCII is upper-cased: Python's upper() makes `SS` of `ß` and `FI` of the
    ligature `ﬁ`, both real country codes, where the client sent no code at all."""
    text = text.strip()
    return text.upper() if text.isascii() else text


class Country(models.Model):
    code = models.CharField(max_length=2, primary_key=True, help_text="ISO 3166-1 alpha-2")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Currency(models.Model):
    code = models.CharField(max_length=3, primary_key=True, help_text="ISO 4217")
    name = models.CharField(max_length=100)
    minor_units = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "currencies"
        constraints = [
            models.CheckConstraint(condition=Q(minor_units__lte=4), name="currency_minor_units_lte_4"),
        ]

    def __str__(self) -> str:
        return self.code


class ItemCondition(models.Model):
    code = models.SlugField(max_length=20, primary_key=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.code


class Category(models.Model):
    slug = models.SlugField(max_length=50, primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class AuctionStatus(models.Model):
    """Descriptions of the public `status` values (served by metadata/auction-statuses)."""

    code = models.SlugField(max_length=20, primary_key=True)
    name = models.CharField(max_length=50)
    description = models.CharField(max_length=255)
    is_final = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "auction statuses"

    def __str__(self) -> str:
        return self.code


# --- Items and auctions --------------------------------------------------------------------


class Item(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="items")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10_000)
    condition = models.ForeignKey(ItemCondition, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The id ends every list index: `ordering` breaks ties by it (auctions.filters), and a
        # descending first key is read backwards, so SQLite walks the index and stops at the
        # page instead of sorting the table (a declared `-created_at` pairs it with ascending
        # ids, which no order asks for).
        indexes = [
            models.Index(fields=["owner", "created_at", "id"], name="item_owner_created"),
            models.Index(fields=["created_at", "id"], name="item_created"),
            models.Index(Lower("title"), F("id"), name="item_title_lower"),  # ordering=title ignores case
        ]

    def __str__(self) -> str:
        return self.title


class AuctionStatusCode(models.TextChoices):
    """The public `status` of an auction. scheduled/open/closed follow the clock;
    the settled states are stored by the workers (or by cancel)."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    FULFILLED = "fulfilled"
    UNSOLD = "unsold"
    CANCELLED = "cancelled"


class AuctionState(models.TextChoices):
    """What is stored. ACTIVE means "not settled": the clock turns it into a public status."""

    ACTIVE = "active"
    FULFILLED = "fulfilled"
    UNSOLD = "unsold"
    CANCELLED = "cancelled"


class AuctionQuerySet(models.QuerySet["Auction"]):
    def with_status(self, status: str, now: datetime | None = None) -> AuctionQuerySet:
        """Filter by public status at `now` — the one place the clock rules live in SQL."""
        return self.filter(status_q(status, now or timezone.now()))

    def due(self, now: datetime | None = None) -> AuctionQuerySet:
        """Active auctions whose end_time has passed: what the workers settle."""
        return self.filter(state=AuctionState.ACTIVE, end_time__lte=now or timezone.now())


def status_q(status: str, now: datetime) -> Q:
    active = Q(state=AuctionState.ACTIVE)
    match status:
        case AuctionStatusCode.SCHEDULED:
            return active & Q(start_time__gt=now)
        case AuctionStatusCode.OPEN:
            return active & Q(start_time__lte=now, end_time__gt=now)
        case AuctionStatusCode.CLOSED:
            return active & Q(end_time__lte=now)
        case AuctionStatusCode.FULFILLED | AuctionStatusCode.UNSOLD | AuctionStatusCode.CANCELLED:
            return Q(state=status)
    raise ValueError(f"unknown auction status {status!r}")


class Auction(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="auctions")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auctions")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    starting_price = MoneyField()
    reserve_price = MoneyField(null=True, blank=True)
    buy_now_price = MoneyField(null=True, blank=True)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    extension_seconds = models.PositiveIntegerField(default=0)
    international_delivery = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=AuctionState.choices, default=AuctionState.ACTIVE)

    # The bidding state, kept on the auction row so that one row lock serialises bids.
    current_price = MoneyField()
    bid_count = models.PositiveIntegerField(default=0)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    leader_ceiling = MoneyField(null=True, blank=True)
    runner_up_ceiling = MoneyField(null=True, blank=True)

    # Settlement.
    winning_bid = models.OneToOneField(
        "Bid", on_delete=models.PROTECT, null=True, blank=True, related_name="won_auction"
    )
    settled_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuctionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(starting_price__gt=0), name="auction_starting_price_positive"),
            models.CheckConstraint(
                condition=Q(reserve_price__isnull=True) | Q(reserve_price__gt=0),
                name="auction_reserve_price_positive",
            ),
            models.CheckConstraint(
                condition=Q(buy_now_price__isnull=True) | Q(buy_now_price__gte=F("starting_price")),
                name="auction_buy_now_gte_starting",
            ),
            models.CheckConstraint(
                condition=Q(current_price__gte=F("starting_price")), name="auction_price_gte_starting"
            ),
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="auction_end_after_start"),
            models.CheckConstraint(condition=Q(extension_seconds__lte=3600), name="auction_extension_lte_3600"),
        ]
        indexes = [
            # "active auctions whose end has passed": the workers' query.
            models.Index(fields=["end_time"], condition=Q(state="active"), name="auction_active_end"),
            # The browse page's COUNT(*) (status=open, + price) reads only this index: without
            # start_time and current_price in it, SQLite looked up every open auction's row
            # (150-180 ms for 86,000 open auctions -> 17-20 ms; make bench, docs/benchmarks.md).
            models.Index(fields=["state", "end_time", "start_time", "current_price"], name="auction_state_end"),
            models.Index(fields=["seller", "created_at", "id"], name="auction_seller_created"),
            # Likewise for status=open&currency=… (SQLite 56 -> 9 ms, PostgreSQL 30 -> 14 ms).
            models.Index(fields=["currency", "end_time", "state", "start_time"], name="auction_currency_end"),
            # The orderings, each ending with the id as Item's do. A page of 100,000 auctions
            # (make bench's data) took SQLite 250-310 ms to sort without them, the default
            # list (newest first) included, and 3-7 ms with them.
            models.Index(fields=["created_at", "id"], name="auction_created"),
            models.Index(fields=["current_price", "id"], name="auction_price"),
            models.Index(fields=["bid_count", "id"], name="auction_bid_count"),
            models.Index(fields=["end_time", "id"], name="auction_end"),
            # Newest first for status=open/scheduled/closed (`state` is 'active' for all three).
            # Not so for current_price and bid_count: every bid would move two more index
            # entries, 60-100 us more per bid on SQLite (of ~700), for orderings PostgreSQL
            # serves from the indexes above (5-9 ms) and SQLite by sorting (bench/FINDINGS.md).
            models.Index(fields=["state", "created_at", "id"], name="auction_state_created"),
        ]

    def __str__(self) -> str:
        return f"Auction #{self.pk} ({self.item_id})"

    def status_at(self, now: datetime | None = None) -> str:
        """The public status at `now` — the Python twin of `status_q`."""
        if self.state != AuctionState.ACTIVE:
            return str(self.state)
        now = now or timezone.now()
        if now < self.start_time:
            return AuctionStatusCode.SCHEDULED
        if now < self.end_time:
            return AuctionStatusCode.OPEN
        return AuctionStatusCode.CLOSED

    @property
    def status(self) -> str:
        return self.status_at()

    @property
    def reserve_met(self) -> bool | None:
        if self.reserve_price is None:
            return None
        return self.leader_ceiling is not None and self.leader_ceiling >= self.reserve_price


class Bid(models.Model):
    """One accepted bid. `amount` is public; `max_amount` (the ceiling) only its bidder sees.
    Automatic bids are the price rises made on a bidder's behalf by proxy bidding."""

    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="bids")
    bidder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bids")
    amount = MoneyField()
    max_amount = MoneyField(null=True, blank=True)
    is_automatic = models.BooleanField(default=False)
    placed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="bid_amount_positive"),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gte=F("amount")),
                name="bid_max_gte_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["auction", "-id"], name="bid_auction_id"),
            models.Index(fields=["bidder", "auction"], name="bid_bidder_auction"),
        ]

    def __str__(self) -> str:
        return f"Bid #{self.pk} {self.amount} on {self.auction_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed for 24 h."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of method, path and body")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
