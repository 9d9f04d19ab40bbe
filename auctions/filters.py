"""Query filters of the explore endpoints (django-filter). Invalid values are 400 problems."""

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import IsoDateTimeField

from auctioneer.fields import rfc3339_case

from .models import Auction, AuctionStatusCode, Item, iso_code_from_input
from .money import PLAIN_DECIMAL, PLAIN_DECIMAL_MESSAGE

# Bounded number inputs: an unbounded Decimal reaches the database adapter and fails there.
_ID = {"decimal_places": 0, "max_digits": 18, "min_value": 1}
_MONEY = {"decimal_places": 4, "max_digits": 17, "min_value": 0}


class _UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time (RFC 3339's lower-case `z` too) that must also exist in UTC:
    `0001-01-01T00:00+14:00` does not, and would otherwise fail in the database adapter instead
    of being a 400."""

    def to_python(self, value: str | None) -> datetime | None:
        result = super().to_python(rfc3339_case(value))
        if result is not None:
            try:
                result.astimezone(UTC)
            except OverflowError:
                raise ValidationError("Datetime value out of range.", code="overflow") from None
        return result


class _IsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = _UtcIsoDateTimeField


class _PlainDecimalField(forms.DecimalField):
    """An amount in a query string written as in a body (auctions.money): `1e3`, `+5` or ` 5`
    are 400s here too, not read as numbers."""

    def clean(self, value: Any) -> Any:
        if value not in self.empty_values and not PLAIN_DECIMAL.match(str(value)):
            raise ValidationError(PLAIN_DECIMAL_MESSAGE, code="invalid")
        return super().clean(value)


class _MoneyFilter(filters.NumberFilter):
    field_class = _PlainDecimalField


class _IsoCodeFilter(filters.CharFilter):
    """A country or currency code in any case, as bodies take it (`gb` finds `GB`)."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return super().filter(qs, iso_code_from_input(value) if value else value)


class _StableOrderingFilter(filters.OrderingFilter):
    """`ordering`, with the id as a last key in the first key's direction. Rows with equal keys
    come back in no fixed order otherwise, and PostgreSQL returns them differently for each
    LIMIT/OFFSET: paging `-current_price` over 120 auctions at one price, 10 a page, showed 80
    of them, some twice. Fields in `case_insensitive` sort by their lower case, as a reader
    expects (`apple, Banana`, not `Banana, apple`); an index on the same expression serves it."""

    def __init__(self, *args: Any, case_insensitive: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_insensitive = frozenset(case_insensitive)

    def get_ordering_value(self, param: str) -> Any:
        value = super().get_ordering_value(param)
        name = value.removeprefix("-")
        if name not in self.case_insensitive:
            return value
        return Lower(name).desc() if value.startswith("-") else Lower(name).asc()

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        params = [param for param in value or () if param not in EMPTY_VALUES]
        if not params:  # no `ordering`: the model's, which ends with the id
            return qs
        ordering = [self.get_ordering_value(param) for param in params]
        return qs.order_by(*ordering, "-id" if params[0].startswith("-") else "id")


def _search(queryset: QuerySet, prefix: str, value: str) -> QuerySet:
    query = Q()
    for term in value.split()[:10]:
        query &= Q(**{f"{prefix}title__icontains": term}) | Q(**{f"{prefix}description__icontains": term})
    return queryset.filter(query)


class ItemFilter(filters.FilterSet):
    search = filters.CharFilter(method="filter_search", max_length=200, label="Words in title or description.")
    condition = filters.CharFilter(field_name="condition_id", label="An item-condition code.")
    category = filters.CharFilter(field_name="category_id", label="A category slug.")
    owner = filters.NumberFilter(field_name="owner_id", **_ID, label="The owner's user id.")
    country = _IsoCodeFilter(field_name="country_id", label="An ISO 3166-1 alpha-2 code (any case).")
    ordering = _StableOrderingFilter(
        fields=("created_at", "title"),
        case_insensitive=("title",),
        label="created_at, title (title ignores case; - for descending; ties by id)",
    )

    class Meta:
        model = Item
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, "", value)


class AuctionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=AuctionStatusCode.choices, method="filter_status", label="The public status at request time."
    )
    seller = filters.NumberFilter(field_name="seller_id", **_ID, label="The seller's user id.")
    currency = _IsoCodeFilter(field_name="currency_id", label="An ISO 4217 code (any case).")
    condition = filters.CharFilter(field_name="item__condition_id", label="An item-condition code.")
    category = filters.CharFilter(field_name="item__category_id", label="A category slug.")
    country = _IsoCodeFilter(field_name="item__country_id", label="The item's country (ISO 3166-1, any case).")
    search = filters.CharFilter(
        method="filter_search", max_length=200, label="Words in the item's title or description."
    )
    min_price = _MoneyFilter(field_name="current_price", lookup_expr="gte", **_MONEY, label="current_price >= this.")
    max_price = _MoneyFilter(field_name="current_price", lookup_expr="lte", **_MONEY, label="current_price <= this.")
    ending_before = _IsoDateTimeFilter(field_name="end_time", lookup_expr="lt", label="end_time < this.")
    ending_after = _IsoDateTimeFilter(field_name="end_time", lookup_expr="gt", label="end_time > this.")
    ordering = _StableOrderingFilter(
        fields=("end_time", "current_price", "created_at", "bid_count"),
        label="end_time, current_price, created_at, bid_count (- for descending; ties by id)",
    )

    class Meta:
        model = Auction
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.with_status(value)  # type: ignore[attr-defined]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _search(queryset, "item__", value)


# The caller's own lists (`me/items`, `me/auctions`) take the explore lists' filters, but for the
# one that names the caller: there it could only match everything or nothing.
class MyItemFilter(ItemFilter):
    owner = None


class MyAuctionFilter(AuctionFilter):
    seller = None
