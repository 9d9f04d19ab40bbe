from decimal import Decimal

import pytest

from auctioneer.parsers import ExponentDecimal
from auctions.bidding import bid_increment, minimum_bid
from auctions.money import MoneyError, format_money, parse_money


@pytest.mark.parametrize(
    ("value", "expected"),
    [("10", Decimal("10")), ("10.5", Decimal("10.5")), (7, Decimal("7")), (Decimal("0.0001"), Decimal("0.0001"))],
)
def test_parse_money_accepts_plain_positive_amounts(value, expected):
    assert parse_money(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        True,
        None,
        "",
        "1e3",
        ExponentDecimal("1e3"),
        Decimal("NaN"),
        Decimal("Infinity"),
        "-1",
        -1,
        0,
        "0.00",
        "10.00001",
        "1000000000000.01",
        10**13,
        "١٢",
        [],
        1.5,
    ],
)
def test_parse_money_refuses(value):
    with pytest.raises(MoneyError):
        parse_money(value)


def test_parse_money_with_the_currency_places():
    assert parse_money("1500.000", places=0) == Decimal("1500")
    with pytest.raises(MoneyError):
        parse_money("1500.5", places=0)


@pytest.mark.parametrize(
    ("amount", "places", "text"),
    [(Decimal("1500"), 2, "1500.00"), (Decimal("1500.0000"), 0, "1500"), (Decimal("1.5"), 3, "1.500")],
)
def test_format_money_shows_exactly_the_minor_units(amount, places, text):
    assert format_money(amount, places=places) == text


@pytest.mark.parametrize(
    ("price", "increment"),
    [
        ("0.99", "0.05"),
        ("1", "0.25"),
        ("4.99", "0.25"),
        ("5", "0.50"),
        ("25", "1"),
        ("100", "2.50"),
        ("250", "5"),
        ("500", "10"),
        ("1000", "25"),
        ("2500", "50"),
        ("5000", "100"),
        ("1000000", "100"),
    ],
)
def test_increment_table(price, increment):
    assert bid_increment(Decimal(price), places=2) == Decimal(increment)


def test_increments_round_up_to_the_minor_unit():
    assert bid_increment(Decimal("0.5"), places=0) == Decimal("1")
    assert bid_increment(Decimal("150"), places=0) == Decimal("3")


def test_increment_table_is_a_setting(settings):
    settings.AUCTION_BID_INCREMENTS = [(None, Decimal("7"))]
    assert minimum_bid(current_price=Decimal("10"), bid_count=1, places=2) == Decimal("17")
    assert minimum_bid(current_price=Decimal("10"), bid_count=0, places=2) == Decimal("10")
