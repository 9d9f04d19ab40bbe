"""CompiledLookup finds what the ORM's `.first()` finds, in one query, however often it runs."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from auctioneer.queries import CompiledLookup
from auctions.models import Auction
from auctions.tests.factories import AuctionFactory, BidFactory

pytestmark = pytest.mark.django_db

_with_relations = CompiledLookup(
    lambda pk: Auction.objects.select_related("item", "seller", "currency", "leader", "winning_bid__bidder").filter(
        pk=pk
    ),
    key=int,
)
_for_update = CompiledLookup(lambda pk: Auction.objects.select_for_update(of=("self",)).filter(pk=pk), key=int)
_by_title = CompiledLookup(lambda title: Auction.objects.select_related("item").filter(item__title=title))


def _found(lookup: CompiledLookup[Auction], value: object) -> Auction:
    found = lookup.get(value)
    assert found is not None
    return found


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_the_same_objects_as_the_orm_with_their_relations_in_one_query(django_assert_num_queries):
    auction = AuctionFactory.create(reserve_price=Decimal("25.50"))
    bid = BidFactory.create(auction=auction, amount=Decimal("11.00"))
    Auction.objects.filter(pk=auction.pk).update(leader=bid.bidder, winning_bid=bid)
    expected = Auction.objects.select_related("item", "winning_bid__bidder").get(pk=auction.pk)

    for _ in range(3):  # compiled on the first call, reused after
        with django_assert_num_queries(1):
            found = _found(_with_relations, auction.pk)
            assert _fields(found) == _fields(expected)  # converted types: Decimal, aware datetimes
            assert found.item.title == expected.item.title
            assert found.leader == bid.bidder
            assert found.winning_bid is not None
            assert found.winning_bid.bidder.username == bid.bidder.username
            assert found.currency.minor_units == 2
    assert isinstance(found.end_time.tzinfo, type(expected.end_time.tzinfo))


def test_a_text_key_and_a_key_that_finds_nothing(django_assert_num_queries):
    auction = AuctionFactory.create(item__title="Brass lamp")
    assert _found(_by_title, "Brass lamp").pk == auction.pk
    assert _by_title.get("Copper lamp") is None
    assert _with_relations.get(auction.pk + 1000) is None
    with django_assert_num_queries(0):  # like the ORM: no such integer key, nothing to look up
        assert _with_relations.get("12a") is None
        assert _with_relations.get(2**63) is None
        assert _with_relations.get(None) is None
    assert _found(_with_relations, str(auction.pk)).pk == auction.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # autocommit; seeded rows kept
def test_a_locking_lookup_needs_a_transaction_where_the_database_locks_rows():
    auction = AuctionFactory.create()
    with transaction.atomic():
        assert _found(_for_update, auction.pk).pk == auction.pk
    if connection.features.has_select_for_update:
        with pytest.raises(transaction.TransactionManagementError):
            _for_update.get(auction.pk)
    else:  # SQLite: writers are serialised by BEGIN IMMEDIATE instead
        assert _found(_for_update, auction.pk).pk == auction.pk


def test_other_parameters_stay_and_a_value_used_twice_is_refused():
    auction = AuctionFactory.create()
    with_constant = CompiledLookup(lambda pk: Auction.objects.filter(pk=pk, bid_count__lt=1), key=int)
    assert _found(with_constant, auction.pk).pk == auction.pk
    Auction.objects.filter(pk=auction.pk).update(bid_count=3)
    assert with_constant.get(auction.pk) is None

    twice = CompiledLookup(lambda pk: Auction.objects.filter(pk=pk, item_id=pk), key=int)
    with pytest.raises(ValueError, match="exactly once"):
        twice.get(auction.pk)
