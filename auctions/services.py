"""Writes of the Management API: items, auctions, bids, buy-now, cancel, idempotency."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from auctioneer.problems import (
    ApplicationError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnprocessableError,
)
from auctioneer.queries import CompiledLookup
from authorization.models import User

from .bidding import ProxyState, auction_minimum_bid, proxy_apply
from .models import (
    Auction,
    AuctionState,
    Bid,
    Category,
    Country,
    Currency,
    IdempotencyRecord,
    Item,
    ItemCondition,
    iso_code_from_input,
)
from .money import MoneyError, check_places, format_money

# --- Items -------------------------------------------------------------------------------

ITEM_FIELDS = ("title", "description", "condition", "category", "country")


def _item_references(data: dict[str, Any]) -> dict[str, Any]:
    """Resolve condition/category/country codes to rows; unknown codes are 400 and name the
    metadata list that has the known ones. A country code is taken in any case, as the
    account's is."""
    resolved: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    lookups: dict[str, tuple[Any, str, str]] = {
        "condition": (ItemCondition, "code", "item-conditions"),
        "category": (Category, "slug", "categories"),
        "country": (Country, "code", "countries"),
    }
    for field, (model, key, listed_at) in lookups.items():
        if field not in data:
            continue
        code = data[field]
        if code in (None, ""):
            if field == "condition":
                errors[field] = ["This field may not be null."]
            else:
                resolved[field] = None
            continue
        if field == "country":
            code = iso_code_from_input(code)
        row = model.objects.filter(**{key: code}).first()
        if row is None:
            errors[field] = [f"Unknown {field} {code!r}; see GET /api/v1/metadata/{listed_at}."]
        resolved[field] = row
    if errors:
        raise InvalidInputError("The item has invalid fields; see errors.", errors=errors)
    return resolved


def item_create(
    *,
    owner: User,
    title: str,
    condition: str,
    description: str = "",
    category: str | None = None,
    country: str | None = None,
) -> Item:
    refs = _item_references({"condition": condition, "category": category, "country": country})
    return Item.objects.create(owner=owner, title=title, description=description, **refs)


def _item_locked(item_id: int) -> Item:
    item = Item.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFoundError(f"No item {item_id}.")
    return item


def _item_check_editable(*, item: Item, user: User) -> None:
    if item.owner_id != user.pk:
        raise ForbiddenError("Only the item's owner may change or delete it.")
    if item.auctions.exclude(state=AuctionState.CANCELLED).exists():
        raise ConflictError("The item is in an auction that is not cancelled; it can no longer change.")


def item_update(*, item: Item, user: User, data: dict[str, Any]) -> Item:
    with transaction.atomic():
        item = _item_locked(item.pk)
        _item_check_editable(item=item, user=user)
        changes = {key: value for key, value in data.items() if key in ITEM_FIELDS}
        changes.update(_item_references(changes))
        for key, value in changes.items():
            setattr(item, key, value)
        item.save()
    return item


def item_delete(*, item: Item, user: User) -> None:
    with transaction.atomic():
        item = _item_locked(item.pk)
        _item_check_editable(item=item, user=user)
        item.delete()


# --- Auctions ----------------------------------------------------------------------------

AUCTION_FIELDS = (
    "currency",
    "starting_price",
    "reserve_price",
    "buy_now_price",
    "start_time",
    "end_time",
    "international_delivery",
    "extension_seconds",
)


def _auction_validate(values: dict[str, Any], *, now: datetime) -> None:
    """The rules of SPEC.md "Auctions" on the complete set of values (create and PATCH)."""
    errors: dict[str, list[str]] = {}
    currency: Currency = values["currency"]
    for field in ("starting_price", "reserve_price", "buy_now_price"):
        amount = values.get(field)
        if amount is None:
            continue
        try:
            check_places(amount, places=currency.minor_units)
        except MoneyError as exc:
            errors.setdefault(field, []).append(f"{exc} ({currency.code} has {currency.minor_units}.)")
    start, end = values["start_time"], values["end_time"]
    if end <= start:
        errors.setdefault("end_time", []).append("end_time must be after start_time.")
    if end <= now:
        errors.setdefault("end_time", []).append("end_time must be in the future.")
    if end > now + settings.AUCTION_MAX_DURATION:
        errors.setdefault("end_time", []).append(
            f"end_time may be at most {settings.AUCTION_MAX_DURATION.days} days ahead."
        )
    buy_now = values.get("buy_now_price")
    if buy_now is not None:
        if buy_now < values["starting_price"]:
            errors.setdefault("buy_now_price", []).append("buy_now_price must be at least starting_price.")
        reserve = values.get("reserve_price")
        if reserve is not None and buy_now < reserve:
            errors.setdefault("buy_now_price", []).append("buy_now_price must be at least reserve_price.")
    extension = values.get("extension_seconds", 0)
    if not 0 <= extension <= settings.AUCTION_MAX_EXTENSION_SECONDS:
        errors.setdefault("extension_seconds", []).append(
            f"extension_seconds must be between 0 and {settings.AUCTION_MAX_EXTENSION_SECONDS}."
        )
    if errors:
        raise InvalidInputError("The auction has invalid fields; see errors.", errors=errors)


def _currency(code: str) -> Currency:
    code = iso_code_from_input(code)
    currency = Currency.objects.filter(code=code).first()
    if currency is None:
        raise InvalidInputError(
            f"Unknown currency {code!r}; see /api/v1/metadata/currencies.",
            errors={"currency": [f"Unknown currency {code!r}."]},
        )
    return currency


def auction_create(
    *,
    seller: User,
    item: int | dict[str, Any],
    currency: str,
    starting_price: Decimal,
    end_time: datetime,
    reserve_price: Decimal | None = None,
    buy_now_price: Decimal | None = None,
    start_time: datetime | None = None,
    international_delivery: bool = False,
    extension_seconds: int = 0,
) -> Auction:
    """Create an auction on the caller's item (an id) or on a new item (its fields).

    A start_time in the past (or none) means now. The item must be the caller's (403) and
    must not already be in an active or fulfilled auction (409); unsold and cancelled
    auctions do not block a relisting."""
    now = timezone.now()
    values: dict[str, Any] = {
        "currency": _currency(currency),
        "starting_price": starting_price,
        "reserve_price": reserve_price,
        "buy_now_price": buy_now_price,
        "start_time": max(start_time or now, now),
        "end_time": end_time,
        "international_delivery": international_delivery,
        "extension_seconds": extension_seconds,
    }
    _auction_validate(values, now=now)
    with transaction.atomic():
        if isinstance(item, dict):
            try:
                item_row = item_create(owner=seller, **item)
            except InvalidInputError as exc:
                errors = {f"item.{field}": messages for field, messages in (exc.errors or {}).items()}
                raise InvalidInputError(exc.detail, errors=errors) from exc
        else:
            found = Item.objects.select_for_update().filter(pk=item).first()
            if found is None:
                raise InvalidInputError(f"No item {item}.", errors={"item": [f"No item {item}."]})
            if found.owner_id != seller.pk:
                raise ForbiddenError("You can only auction your own items.")
            if found.auctions.filter(state__in=[AuctionState.ACTIVE, AuctionState.FULFILLED]).exists():
                raise ConflictError("The item is already in an active or fulfilled auction.")
            item_row = found
        return Auction.objects.create(item=item_row, seller=seller, current_price=values["starting_price"], **values)


# of=("self",): lock the auction row only, not the joined currency row (PostgreSQL);
# SQLite ignores FOR UPDATE and serialises writers with BEGIN IMMEDIATE instead. Every bid
# runs it, so its SQL is compiled once (auctioneer.queries).
_auction_for_update: CompiledLookup[Auction] = CompiledLookup(
    lambda auction_id: Auction.objects.select_for_update(of=("self",)).select_related("currency").filter(pk=auction_id),
    key=int,
)


# The same row without the lock, for the checks a bid can fail before it queues for the lock.
_auction_unlocked: CompiledLookup[Auction] = CompiledLookup(
    lambda auction_id: Auction.objects.select_related("currency").filter(pk=auction_id), key=int
)


def _auction_locked(auction_id: int) -> Auction:
    auction = _auction_for_update.get(auction_id)
    if auction is None:
        raise NotFoundError(f"No auction {auction_id}.")
    return auction


def _auction_check_seller_can_edit(*, auction: Auction, user: User, action: str, now: datetime) -> None:
    """PATCH and cancel: the seller's, while the auction is active, has no bid and has not ended
    (an ended one is the workers' to settle, even before they have)."""
    if auction.seller_id != user.pk:
        raise ForbiddenError(f"Only the seller may {action} this auction.")
    if auction.state != AuctionState.ACTIVE:
        raise ConflictError(f"The auction is {auction.state}; it can no longer change.")
    if auction.bid_count > 0:
        raise ConflictError(f"The auction has bids; the seller can no longer {action} it.")
    if auction.end_time <= now:
        raise ConflictError("The auction has ended; it can no longer change.")


def auction_update(*, auction_id: int, user: User, data: dict[str, Any]) -> Auction:
    """PATCH: seller only, before the first bid, validated like a new auction."""
    with transaction.atomic():
        auction = _auction_locked(auction_id)
        now = timezone.now()
        _auction_check_seller_can_edit(auction=auction, user=user, action="edit", now=now)
        values = {field: getattr(auction, field) for field in AUCTION_FIELDS}
        changes = {key: value for key, value in data.items() if key in AUCTION_FIELDS}
        if "currency" in changes:
            changes["currency"] = _currency(changes["currency"])
        if "start_time" in changes:
            # A past (or null) start means now, as on create; an auction that has already
            # started keeps its start, so sending back the start_time just read changes nothing.
            start = changes["start_time"] or now
            changes["start_time"] = start if start > now else min(auction.start_time, now)
        values.update(changes)
        _auction_validate(values, now=now)
        for key, value in values.items():
            setattr(auction, key, value)
        auction.current_price = auction.starting_price
        auction.save()
    return auction


def auction_cancel(*, auction_id: int, user: User) -> Auction:
    with transaction.atomic():
        auction = _auction_locked(auction_id)
        now = timezone.now()
        _auction_check_seller_can_edit(auction=auction, user=user, action="cancel", now=now)
        auction.state = AuctionState.CANCELLED
        auction.settled_at = now
        auction.save(update_fields=["state", "settled_at", "updated_at"])
    return auction


# --- Bidding -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BidPlacement:
    """An accepted bid (the caller's own row) and the auction after it."""

    bid: Bid
    auction: Auction

    @property
    def leading(self) -> bool:
        return self.auction.leader_id == self.bid.bidder_id

    @property
    def minimum_bid(self) -> Decimal:
        return auction_minimum_bid(self.auction)


class AuctionNotOpenError(ConflictError):
    problem_type = "auction-not-open"
    title = "Auction not open"


def _auction_check_open(auction: Auction, now: datetime) -> None:
    if auction.state != AuctionState.ACTIVE or now < auction.start_time or now >= auction.end_time:
        raise AuctionNotOpenError(
            f"The auction is {auction.status_at(now)}; it takes bids only while open.",
            extra={"auction_status": auction.status_at(now)},
        )


def _bid_check(
    auction: Auction, *, bidder: User, amount: Decimal, max_amount: Decimal | None, currency: str | None
) -> tuple[datetime, int]:
    """Rules 1-2 in their order, on `auction` as read: raises the refusal, or returns the
    clock reading the bid is judged at and the currency's minor units."""
    places = auction.currency.minor_units
    errors: dict[str, list[str]] = {}
    for field, value in (("amount", amount), ("max_amount", max_amount)):
        if value is None:
            continue
        try:
            check_places(value, places=places)
        except MoneyError as exc:
            errors[field] = [f"{exc} ({auction.currency_id} has {places}.)"]
    if errors:
        raise InvalidInputError("The bid has more decimals than the currency allows.", errors=errors)
    now = timezone.now()
    _auction_check_open(auction, now)
    if auction.seller_id == bidder.pk:
        raise ForbiddenError("You cannot bid on your own auction.")
    if currency is not None and iso_code_from_input(currency) != auction.currency_id:
        raise InvalidInputError(
            f"This auction is in {auction.currency_id}.",
            errors={"currency": [f"This auction is in {auction.currency_id}, not {currency}."]},
        )
    minimum = auction_minimum_bid(auction)
    if amount < minimum:
        raise ConflictError(
            f"The minimum bid is {format_money(minimum, places=places)} {auction.currency_id}.",
            problem_type="bid-too-low",
            title="Bid too low",
            extra={"minimum_bid": format_money(minimum, places=places)},
        )
    return now, places


def bid_place(
    *,
    auction_id: int,
    bidder: User,
    amount: Decimal,
    max_amount: Decimal | None = None,
    currency: str | None = None,
) -> BidPlacement:
    """Place a bid under the auction's row lock (SPEC.md "Bidding", rules 0-6).

    The body was validated on its own by the caller (rule 0). Under the lock: the auction
    exists (404); the amounts fit its currency (400); it is open by the server clock,
    taken after the lock (409); the bidder is not the seller (403); the currency matches
    (400); `amount` reaches `minimum_bid` (409 with `minimum_bid`). Then the proxy rule
    moves the price, and rows are stored: the bidder's manual row (its amount capped at the
    new price when the bidder leads, so no public amount exceeds the price) and, when the
    price rose on the leader's behalf, an automatic row for the leader at the new price.
    The leader's latest row therefore always carries the current price.
    """
    if max_amount is not None and max_amount < amount:
        raise InvalidInputError(
            "max_amount must be at least amount.", errors={"max_amount": ["Must be at least amount."]}
        )
    # Refused without the lock when a plain read already refuses it (below the minimum, the
    # seller, wrong currency or decimals): in a storm on one auction most bids are outbid
    # before they arrive, and they need not queue for the row (PostgreSQL) or for the
    # database's single writer (SQLite). Each such answer is true at the moment of the read:
    # the minimum never falls while the auction takes bids, and the rest never changes
    # once bids exist. "Not open" is left to the locked check: a bid in flight may be
    # extending `end_time` (soft close).
    snapshot = _auction_unlocked.get(auction_id)
    if snapshot is None:
        raise NotFoundError(f"No auction {auction_id}.")
    with contextlib.suppress(AuctionNotOpenError):
        _bid_check(snapshot, bidder=bidder, amount=amount, max_amount=max_amount, currency=currency)
    with transaction.atomic():
        auction = _auction_locked(auction_id)
        now, places = _bid_check(auction, bidder=bidder, amount=amount, max_amount=max_amount, currency=currency)

        ceiling = max_amount if max_amount is not None else amount
        before = ProxyState(
            starting_price=auction.starting_price,
            reserve_price=auction.reserve_price,
            places=places,
            price=auction.current_price,
            leader=auction.leader_id,
            leader_ceiling=auction.leader_ceiling,
            runner_up_ceiling=auction.runner_up_ceiling,
        )
        after = proxy_apply(before, bidder=bidder.pk, ceiling=ceiling)

        bidder_leads = after.leader == bidder.pk
        bid = Bid(
            auction=auction,
            bidder=bidder,
            amount=min(amount, after.price) if bidder_leads else amount,
            # The ceiling that stands: a leader's lower one changes nothing (rule 3), so the
            # row and the answer keep the earlier one rather than a cap that does not apply.
            max_amount=after.leader_ceiling if bidder_leads else ceiling,
            placed_at=now,
        )
        rows = [bid]
        # The leader's latest row held the old price; a row at the new price is added
        # whenever the leader's standing rose without a manual row saying so.
        leader_last_amount = bid.amount if bidder_leads else before.price
        if after.leader is not None and leader_last_amount < after.price:
            rows.append(
                Bid(
                    auction=auction,
                    bidder_id=after.leader,
                    amount=after.price,
                    is_automatic=True,
                    placed_at=now,
                )
            )
        Bid.objects.bulk_create(rows)

        auction.current_price = after.price
        auction.leader_id = after.leader
        auction.leader_ceiling = after.leader_ceiling
        auction.runner_up_ceiling = after.runner_up_ceiling
        auction.bid_count += len(rows)
        update_fields = ["current_price", "leader", "leader_ceiling", "runner_up_ceiling", "bid_count", "updated_at"]
        if auction.extension_seconds and auction.end_time - now < timedelta(seconds=auction.extension_seconds):
            auction.end_time = now + timedelta(seconds=auction.extension_seconds)
            update_fields.append("end_time")
        auction.save(update_fields=update_fields)
    bid.bidder = bidder
    return BidPlacement(bid=bid, auction=auction)


def auction_buy_now(*, auction_id: int, buyer: User) -> BidPlacement:
    """Win at `buy_now_price`: allowed while it is set, the auction is open and no bid has
    met the reserve (no bid at all when there is no reserve). The auction ends now and
    stays `active`; the workers settle it with this bid as the winning bid."""
    with transaction.atomic():
        auction = _auction_locked(auction_id)
        now = timezone.now()
        if auction.buy_now_price is None:
            raise ConflictError("This auction has no buy-now price.")
        _auction_check_open(auction, now)
        if auction.seller_id == buyer.pk:
            raise ForbiddenError("You cannot buy your own item.")
        if auction.bid_count > 0 and (
            auction.reserve_price is None
            or (auction.leader_ceiling is not None and auction.leader_ceiling >= auction.reserve_price)
        ):
            reason = "the auction has a bid" if auction.reserve_price is None else "a bid has met the reserve"
            raise ConflictError(f"Buy-now is no longer available: {reason}.")
        bid = Bid.objects.create(
            auction=auction,
            bidder=buyer,
            amount=auction.buy_now_price,
            max_amount=auction.buy_now_price,
            placed_at=now,
        )
        auction.current_price = auction.buy_now_price
        auction.leader = buyer
        auction.leader_ceiling = auction.buy_now_price
        auction.bid_count += 1
        auction.end_time = now
        auction.save(update_fields=["current_price", "leader", "leader_ceiling", "bid_count", "end_time", "updated_at"])
    return BidPlacement(bid=bid, auction=auction)


# --- Idempotency-Key ---------------------------------------------------------------------


def idempotency_fingerprint(*, method: str, path: str, data: Any) -> str:
    """sha256 of method, path and the parsed body (key order and spacing do not matter)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method.upper()}\n{path.rstrip('/')}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class IdempotentResult:
    status_code: int
    body: Any
    replayed: bool


def _replay(record: IdempotencyRecord, fingerprint: str) -> IdempotentResult:
    if record.fingerprint != fingerprint:
        raise UnprocessableError(
            "This Idempotency-Key was used with a different request.",
            problem_type="idempotency-key-reused",
            title="Idempotency-Key reused",
        )
    return IdempotentResult(status_code=record.status_code, body=record.response_body, replayed=True)


def idempotent_call(
    *,
    user: User,
    key: str | None,
    fingerprint: str,
    action: Callable[[], tuple[int, Any]],
) -> IdempotentResult:
    """Run `action` (which returns status and JSON body) once per (user, key).

    The record is written in the same transaction as whatever `action` writes, so neither
    exists without the other. A second request with the key gets the stored answer (422 if
    its fingerprint differs); when two race, the unique constraint fails the later one,
    which rolls back its own work and replays the first answer. Errors are not stored: a
    client may fix the request and retry with the same key.
    """
    if key is None:
        status_code, body = action()
        return IdempotentResult(status_code=status_code, body=body, replayed=False)
    cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is not None:
        if record.created_at >= cutoff:
            return _replay(record, fingerprint)
        record.delete()
    try:
        with transaction.atomic():
            status_code, body = action()
            IdempotencyRecord.objects.create(
                user=user, key=key, fingerprint=fingerprint, status_code=status_code, response_body=body
            )
    except (IntegrityError, ApplicationError):
        # A concurrent request with the same key may have won meanwhile: our insert hit the
        # unique constraint, or our action was refused because theirs changed the state (a
        # bid that no longer reaches the minimum). Either way the first answer is the answer.
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None:
            raise
        return _replay(record, fingerprint)
    return IdempotentResult(status_code=status_code, body=body, replayed=False)
