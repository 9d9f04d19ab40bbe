import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict

from auctions.filters import AuctionFilter
from auctions.selectors import auction_page_list
from auctions.tests.factories import AuctionFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite's PRAGMA optimize; PostgreSQL's autovacuum analyses"
    ),
]


def _page_plan(query: str) -> list[str]:
    """SQLite's plan for the first page of `GET auctions?<query>`."""
    filterset = AuctionFilter(QueryDict(query), queryset=auction_page_list())
    assert filterset.is_valid(), filterset.errors
    sql, params = filterset.qs[:50].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


@pytest.mark.parametrize("query", ["status=open", "status=open&ordering=created_at", "status=closed"])
def test_a_worker_pass_gives_sqlite_the_statistics_to_read_open_auctions_in_index_order(query):
    # Without statistics SQLite takes `status=open` as a narrow range of auction_state_end and
    # sorts whatever it holds: with make bench's 85,000 open auctions, 300 ms for a page.
    AuctionFactory.create_batch(300)
    assert "USE TEMP B-TREE FOR ORDER BY" in _page_plan(query)

    call_command("close_auctions")

    plan = _page_plan(query)
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    assert "SEARCH auctions_auction USING INDEX auction_state_created (state=?)" in plan, plan
