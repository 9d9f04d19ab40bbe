"""Money in and out: the one parsing rule and the one formatting rule (SPEC.md, "Conventions").

Requests give a decimal string or a JSON number; responses carry a string with exactly the
currency's minor units ("1500.00", JPY "1500"). Storage keeps 4 places (`auctions.models.MoneyField`).
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from rest_framework import serializers

from auctioneer.parsers import ExponentDecimal

MAX_AMOUNT = Decimal("1000000000000")  # 1e12: more than any real auction, far below storage limits
STORAGE_PLACES = 4
# How an amount is written in a request: digits, at most one point (no sign, exponent, NaN).
PLAIN_DECIMAL = re.compile(r"\A[0-9]{1,13}(?:\.[0-9]{1,20})?\Z")
PLAIN_DECIMAL_MESSAGE = 'Enter a plain decimal amount such as "1500.00" (digits, at most one point).'


class MoneyError(ValueError):
    pass


def decimal_places(value: Decimal) -> int:
    """Places after the point that carry a value: 10.50 -> 1, 10.00 -> 0."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_money(value: Any, *, places: int | None = None) -> Decimal:
    """A positive amount from a request: a plain decimal string or a JSON number.

    Refuses booleans, NaN/Infinity, exponent notation, signs, zero, more than `places`
    decimals (trailing zeros do not count: "10.500" is 10.5) and amounts above 1e12.
    Without `places` (the currency is not known yet), more than any currency has.
    """
    if isinstance(value, bool) or value is None:
        raise MoneyError("Enter an amount as a decimal string or a number.")
    if isinstance(value, ExponentDecimal):
        raise MoneyError('Exponent notation is not accepted; write the amount out (e.g. "1500.00").')
    if isinstance(value, int):
        if value <= 0 or value > MAX_AMOUNT:
            raise MoneyError(_range_message())
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError("Enter a finite amount.")
        amount = value
    elif isinstance(value, str):
        if not PLAIN_DECIMAL.match(value):
            raise MoneyError(PLAIN_DECIMAL_MESSAGE)
        try:
            amount = Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes this
            raise MoneyError("Enter a valid amount.") from exc
    else:
        raise MoneyError("Enter an amount as a decimal string or a number.")
    if amount <= 0 or amount > MAX_AMOUNT:
        raise MoneyError(_range_message())
    if places is not None:
        check_places(amount, places=places)
    elif decimal_places(amount) > STORAGE_PLACES:  # name the rule a client has to follow
        raise MoneyError(
            f"Too many decimal places: at most the currency's minor units (e.g. USD 2, JPY 0; "
            f"metadata/currencies), and never more than {STORAGE_PLACES}."
        )
    return amount


def check_places(amount: Decimal, *, places: int) -> None:
    if decimal_places(amount) > places:
        raise MoneyError(
            f"At most {places} decimal places are allowed." if places else "No decimal places are allowed."
        )


def _range_message() -> str:
    return f"Enter an amount greater than 0 and at most {MAX_AMOUNT}."


def minor_unit(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def round_up(amount: Decimal, *, places: int) -> Decimal:
    """Round up to the currency's minor unit (an increment of 0.05 is 1 in JPY)."""
    return amount.quantize(minor_unit(places), rounding=ROUND_CEILING)


def format_money(amount: Decimal, *, places: int) -> str:
    return f"{amount.quantize(minor_unit(places)):f}"


def _minor_units_of(obj: Any, path: str) -> int:
    for name in path.split("."):
        obj = getattr(obj, name)
    return int(obj.minor_units)


class MoneyField(serializers.Field):
    """Serializer field for money.

    Input: `parse_money` (any currency's places; the service checks the auction's currency).
    Output: a string with the minor units of the currency found at `currency_path` on the
    object being serialised (e.g. "currency" on an auction, "auction.currency" on a bid), or,
    with `currency_path=None`, from the serializer context's "minor_units".
    """

    default_error_messages = {"invalid": "{message}"}

    def __init__(self, *, currency_path: str | None = "currency", **kwargs: Any) -> None:
        self.currency_path = currency_path
        super().__init__(**kwargs)

    class Meta:
        swagger_schema_fields = {
            "type": "string",
            "format": "decimal",
            "pattern": r"^[0-9]{1,13}(\.[0-9]{1,4})?$",  # parse_money: plain digits, one point
            "example": "1500.00",
        }

    def to_internal_value(self, data: Any) -> Decimal:
        try:
            return parse_money(data)
        except MoneyError as exc:
            self.fail("invalid", message=str(exc))
            raise  # unreachable: fail() raises

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        if value is None:
            return None
        if self.currency_path is None:
            return value, int(self.context["minor_units"])
        return value, _minor_units_of(instance, self.currency_path)

    def to_representation(self, value: Any) -> str:
        amount, places = value
        return format_money(amount, places=places)
