"""Bench data, written with bulk SQL (COPY on PostgreSQL, executemany in one transaction on
SQLite) — never the ORM row by row — so 100,000 auctions and 1,000,000 bids fit the time box.

    python -m bench.data <command> ['<json args>']   (prints a JSON result; args on stdin if not given)

Runs with the server's environment (DATABASE_URL, settings). Commands:
  base          users (+ tokens made directly as AccessToken rows), the bidding auctions
  browse        the browse/detail data set: N auctions, M bids, consistent price/leader
  settle_batch  N auctions that all end in the same second, half of them with bids
  settle_lag    N auctions ending at spread times
  settled       settlement figures for a list of auction ids
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auctioneer.settings.local")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import AccessToken, get_application_model, set_token_value  # noqa: E402

from auctions.models import Auction  # noqa: E402
from authorization.models import User  # noqa: E402

IS_PG = connection.vendor == "postgresql"
CURRENCIES = ["EUR", "EUR", "EUR", "USD", "USD", "GBP", "CHF"]
COUNTRIES = ["DE", "FR", "GB", "US", "NL", "IT", "ES", "PL", "SE", "JP"]
CONDITIONS = ["new", "like-new", "used", "refurbished", "for-parts"]
CATEGORIES = [
    "antiques", "art", "books", "cameras", "phones", "clothing", "coins", "collectibles", "computers",
    "electronics", "other", "home", "jewelry", "music", "sports", "stamps", "toys", "vehicles", "video-games",
]  # fmt: skip
WORDS = ["vintage", "camera", "lamp", "guitar", "watch", "poster", "chair", "console", "bike", "coin", "vase"]
ITEM_COLUMNS = ["id", "owner_id", "title", "description", "condition_id", "category_id", "country_id",
                "created_at", "updated_at"]  # fmt: skip
AUCTION_COLUMNS = [
    "id", "item_id", "seller_id", "currency_id", "starting_price", "reserve_price", "buy_now_price", "start_time",
    "end_time", "extension_seconds", "international_delivery", "state", "current_price", "bid_count", "leader_id",
    "leader_ceiling", "runner_up_ceiling", "winning_bid_id", "settled_at", "created_at", "updated_at",
]  # fmt: skip
BID_COLUMNS = ["id", "auction_id", "bidder_id", "amount", "max_amount", "is_automatic", "placed_at"]


def ts(value: datetime | None) -> Any:
    """A datetime as each backend stores it (SQLite: naive UTC text, like Django writes it)."""
    if value is None or IS_PG:
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def money(value: Decimal | None) -> Any:
    return value if value is None or IS_PG else str(value)


def increment(price: Decimal) -> Decimal:
    for below, step in settings.AUCTION_BID_INCREMENTS:
        if below is None or price < below:
            return step
    raise AssertionError("the increment table ends with an open row")


def insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with connection.cursor() as cursor:
        if IS_PG:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - our own names
            cursor.executemany(sql, rows)  # type: ignore[arg-type]  # an iterable is fine: no list of 1M rows


@contextmanager
def indexes_dropped(*tables: str) -> Iterator[None]:
    """Drop the tables' secondary indexes for a bulk load and build them again after: one
    sorted build is far cheaper than a million random index inserts. Constraint indexes
    (primary keys, unique) stay."""
    with connection.cursor() as cursor:
        if IS_PG:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = ANY(%s) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [list(tables)],
            )
        else:
            marks = ", ".join(["%s"] * len(tables))
            where = f"type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})"
            cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE {where}", list(tables))  # noqa: S608
        # SQLite checks each new parent row (an auction) against the deferred foreign keys of
        # its children (the bids, inserted first) through the index on the child's column:
        # without it, every auction insert would scan a million bids.
        found = [(name, sql) for name, sql in cursor.fetchall() if IS_PG or "auction_id" not in name]
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if IS_PG:  # run the deferred foreign-key checks now: CREATE INDEX refuses pending ones
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _, definition in found:
                cursor.execute(definition)


def next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - our own names
        return int(cursor.fetchone()[0])


def reset_sequences(*tables: str) -> None:
    if not IS_PG:
        return  # SQLite's AUTOINCREMENT follows explicit ids by itself
    with connection.cursor() as cursor:
        for table in tables:
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
            cursor.execute(sql)


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def make_users(prefix: str, count: int, password_hash: str) -> list[User]:
    now = timezone.now()
    users = [
        User(username=f"{prefix}{i}", email=f"{prefix}{i}@bench.example", password=password_hash, date_joined=now)
        for i in range(count)
    ]
    User.objects.bulk_create(users, batch_size=500)
    return list(User.objects.filter(username__startswith=prefix).order_by("id"))


def make_tokens(users: list[User]) -> list[str]:
    """Access tokens as the token endpoint would store them (the checksum is what
    OAuth2Authentication looks up)."""
    application = get_application_model().objects.get(client_id=settings.OAUTH_CLIENT_ID)
    now = timezone.now()
    tokens = [secrets.token_urlsafe(30) for _ in users]
    rows = []
    for user, token in zip(users, tokens, strict=True):
        row = AccessToken(user=user, application=application, expires=now + timedelta(days=2), scope="read write")
        set_token_value(row, token)  # plaintext or checksum only, as the settings say (RFC 9700 storage)
        row.token_checksum = hashlib.sha256(token.encode()).hexdigest()
        rows.append(row)
    AccessToken.objects.bulk_create(rows, batch_size=500)
    return tokens


def new_auctions(
    *,
    count: int,
    seller_ids: Sequence[int],
    start: datetime,
    end_times: Sequence[datetime],
    starting_price: Decimal | None = None,
    state: str = "active",
    first_auction_id: int | None = None,
    rng: random.Random,
) -> list[list[Any]]:
    """Items + auctions rows (ids assigned); returns the auction rows, not yet inserted."""
    item_id = next_id("auctions_item")
    auction_id = first_auction_id or next_id("auctions_auction")
    now = timezone.now()
    items, auctions = [], []
    for i in range(count):
        seller = rng.choice(seller_ids)
        items.append([
            item_id + i, seller, f"Bench {rng.choice(WORDS)} {rng.choice(WORDS)} #{item_id + i}", "Made by make bench",
            rng.choice(CONDITIONS), rng.choice(CATEGORIES), rng.choice(COUNTRIES), ts(now), ts(now),
        ])  # fmt: skip
        price = starting_price if starting_price is not None else Decimal(rng.randint(1, 500))
        settled = ts(end_times[i]) if state != "active" else None
        auctions.append([
            auction_id + i, item_id + i, seller, rng.choice(CURRENCIES) if starting_price is None else "EUR", price,
            None, None, start, end_times[i], 0, rng.random() < 0.3, state, price, 0, None, None, None, None, settled,
            now, now,
        ])  # fmt: skip
    insert("auctions_item", ITEM_COLUMNS, items)
    return auctions


def add_bids(auction: list[Any], count: int, bidder_ids: Sequence[int], bid_id: int, rng: random.Random) -> list:
    """`count` bids on one auction, each the minimum at its time, with the auction's
    bidding state (price, count, leader, ceilings) made to match."""
    price = auction[4]
    start, end = auction[7], min(auction[8], timezone.now())
    span = max((end - start).total_seconds(), 1.0)
    bids, previous, bidder = [], None, None
    for k in range(count):
        amount = price if k == 0 else price + increment(price)
        bidder = rng.choice([b for b in rng.sample(bidder_ids, 2) if b != bidder] or bidder_ids)
        placed = start + timedelta(seconds=span * (k + 1) / (count + 1))
        bids.append([bid_id + k, auction[0], bidder, money(amount), None, False, ts(placed)])
        previous, price = (price if k else None), amount
    auction[12], auction[13], auction[14], auction[15], auction[16] = price, count, bidder, price, previous
    return bids


def finish_auction_rows(rows: list[list[Any]]) -> list[list[Any]]:
    for row in rows:
        for i in (4, 5, 6, 12, 15, 16):
            row[i] = money(row[i])
        for i in (7, 8, 18, 19, 20):
            row[i] = ts(row[i]) if isinstance(row[i], datetime) else row[i]
    return rows


# --- commands ------------------------------------------------------------------------------


def cmd_base(bidders: int, crowd: int, spread_auctions: int, password: str) -> dict[str, Any]:
    rng = random.Random(7)
    password_hash = make_password(password)  # one hash for everyone: hashing is not what we measure
    with transaction.atomic():
        seller = make_users("bench-seller", 1, make_password(None))[0]
        users = make_users("bench-bidder", bidders, password_hash)
        crowd_users = make_users("bench-crowd", crowd, make_password(None))
        tokens = make_tokens([seller, *users])
        now = timezone.now()
        rows = new_auctions(
            count=1 + spread_auctions,
            seller_ids=[seller.pk],
            start=now - timedelta(minutes=1),
            end_times=[now + timedelta(days=1)] * (1 + spread_auctions),
            starting_price=Decimal("10.00"),
            rng=rng,
        )
        insert("auctions_auction", AUCTION_COLUMNS, finish_auction_rows(rows))
        reset_sequences("auctions_item", "auctions_auction")
    return {
        "seller": {"id": seller.pk, "token": tokens[0]},
        "users": [
            {"id": u.pk, "username": u.username, "token": t, "password": password}
            for u, t in zip(users, tokens[1:], strict=True)
        ],
        "crowd_ids": [u.pk for u in crowd_users],
        "hot_auction_id": rows[0][0],
        "spread_auction_ids": [r[0] for r in rows[1:]],
        "starting_price": "10.00",
    }


def cmd_browse(auctions: int, bids: int, crowd_ids: list[int], detail_auctions: int, detail_bids: int) -> dict:
    """85% open (ending within 30 days), 10% scheduled, 5% settled unsold in the past;
    `detail_auctions` open ones carry `detail_bids` bids each, the rest of the bids are
    spread over half of the open auctions."""
    rng = random.Random(11)
    now = timezone.now()
    kinds = ["open"] * 85 + ["scheduled"] * 10 + ["unsold"] * 5
    plan = [kinds[i % 100] for i in range(auctions)]
    rows: list[list[Any]] = []
    first_auction_id = next_id("auctions_auction")
    with transaction.atomic(), indexes_dropped("auctions_item", "auctions_bid", "auctions_auction"):
        for kind in ("open", "scheduled", "unsold"):
            n = plan.count(kind)
            if kind == "open":
                ends = [now + timedelta(seconds=rng.randint(600, 30 * 86400)) for _ in range(n)]
                start = now - timedelta(days=2)
            elif kind == "scheduled":
                ends = [now + timedelta(days=rng.randint(3, 40)) for _ in range(n)]
                start = now + timedelta(days=2)
            else:
                ends = [now - timedelta(seconds=rng.randint(3600, 30 * 86400)) for _ in range(n)]
                start = now - timedelta(days=60)
            part = new_auctions(
                count=n, seller_ids=crowd_ids, start=start, end_times=ends,
                state="unsold" if kind == "unsold" else "active", first_auction_id=first_auction_id + len(rows),
                rng=rng,
            )  # fmt: skip
            rows += part
            if kind == "open":
                open_rows = part
        bid_id = first_bid_id = next_id("auctions_bid")
        detail = open_rows[:detail_auctions]
        spread = open_rows[detail_auctions : detail_auctions + max(1, len(open_rows) // 2)]
        remaining = max(0, bids - detail_bids * len(detail))
        counts = [0] * len(spread)
        for _ in range(remaining):
            counts[rng.randrange(len(spread))] += 1

        def all_bids():
            nonlocal bid_id
            for auction, count in [*((a, detail_bids) for a in detail), *zip(spread, counts, strict=True)]:
                if count:
                    made = add_bids(auction, count, crowd_ids, bid_id, rng)
                    bid_id += count
                    yield from made

        insert("auctions_bid", BID_COLUMNS, all_bids())
        insert("auctions_auction", AUCTION_COLUMNS, finish_auction_rows(rows))
        reset_sequences("auctions_item", "auctions_auction", "auctions_bid")
    analyze()
    return {"detail_auction_ids": [a[0] for a in detail], "auctions": len(rows), "bids": bid_id - first_bid_id}


def cmd_ending(
    count: int, crowd_ids: list[int], with_bids: float, first_end_in_s: float, spread_s: float = 0.0
) -> dict[str, Any]:
    """`count` open auctions, a share of them with 1-3 bids, ending `first_end_in_s` seconds
    from now (counted here, after start-up) and spread evenly over `spread_s` seconds; with
    no spread they all end at the same whole second."""
    rng = random.Random(13)
    first = timezone.now() + timedelta(seconds=first_end_in_s)
    if not spread_s:
        first = first.replace(microsecond=0)
    ends = [first + timedelta(seconds=spread_s * i / max(1, count - 1)) for i in range(count)]
    with transaction.atomic():
        rows = new_auctions(
            count=count, seller_ids=crowd_ids, start=min(ends) - timedelta(hours=1), end_times=ends, rng=rng
        )
        bid_id = next_id("auctions_bid")
        bid_rows = []
        for row in rows:
            if rng.random() < with_bids:
                n = rng.randint(1, 3)
                bid_rows += add_bids(row, n, crowd_ids, bid_id, rng)
                bid_id += n
        insert("auctions_bid", BID_COLUMNS, bid_rows)
        insert("auctions_auction", AUCTION_COLUMNS, finish_auction_rows(rows))
        reset_sequences("auctions_item", "auctions_auction", "auctions_bid")
    return {
        "auction_ids": [r[0] for r in rows],
        "with_bids": sum(1 for r in rows if r[13]),
        "first_end": ends[0].isoformat(),
        "last_end": ends[-1].isoformat(),
    }


def cmd_settled(first_id: int, last_id: int) -> dict[str, Any]:
    auctions = Auction.objects.filter(id__gte=first_id, id__lte=last_id)
    settled = auctions.exclude(settled_at=None)
    lags = sorted(
        (settled_at - end_time).total_seconds() * 1000
        for settled_at, end_time in settled.values_list("settled_at", "end_time")
        if settled_at is not None
    )
    return {
        "total": auctions.count(),
        "settled": settled.count(),
        "fulfilled": auctions.filter(state="fulfilled").count(),
        "unsold": auctions.filter(state="unsold").count(),
        "fulfilled_without_winner": auctions.filter(state="fulfilled", winning_bid=None).count(),
        "last_settled_at": max((s for s in settled.values_list("settled_at", flat=True) if s), default=None),
        "lags_ms": lags,
    }


COMMANDS: dict[str, Callable[..., Any]] = {
    "base": cmd_base,
    "browse": cmd_browse,
    "ending": cmd_ending,
    "settled": cmd_settled,
}

if __name__ == "__main__":
    arguments = json.loads(sys.argv[2] if len(sys.argv) > 2 else sys.stdin.read())
    print(json.dumps(COMMANDS[sys.argv[1]](**arguments), default=str))
