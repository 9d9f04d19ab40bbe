"""Settlement of ended auctions and the emails it owes.

A pass takes due auctions in batches. Each batch is one short transaction that locks its rows
(`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so passes running at once share the work;
SQLite's `BEGIN IMMEDIATE` serialises writers instead), re-checks under the lock that the
auction is still active and its end has passed (a soft-close bid may have moved it), settles
every auction of the batch and writes the notifications it owes. A pass killed at any moment
leaves each auction either untouched or settled with its notifications: the next pass
finishes the job.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from auctions.models import Auction, AuctionState, Bid, Currency, IdempotencyRecord, Item
from auctions.money import format_money
from authorization.models import User
from workers.models import Notification, NotificationKind

logger = logging.getLogger(__name__)

SETTLE_BATCH_SIZE = 100
SEND_BATCH_SIZE = 50
SEND_MAX_ATTEMPTS = 5
SEND_RETRY_BASE = timedelta(seconds=30)

ShouldStop = Callable[[], bool]


class SettlementConflict(RuntimeError):
    """Rows changed under the batch's lock: the batch was rolled back; the next pass retries."""


@dataclass
class SettlementSummary:
    fulfilled: list[int] = field(default_factory=list)
    unsold: list[int] = field(default_factory=list)
    # Auctions left active because their data cannot be settled (logged as errors).
    skipped: list[int] = field(default_factory=list)

    @property
    def settled(self) -> int:
        return len(self.fulfilled) + len(self.unsold)


@dataclass
class SendSummary:
    sent: int = 0
    failed: int = 0


def auctions_settle_due(
    *,
    batch_size: int = SETTLE_BATCH_SIZE,
    should_stop: ShouldStop | None = None,
    exclude: Iterable[int] = (),
) -> SettlementSummary:
    """Settle every auction whose end has passed, batch by batch, until none is left
    (or `should_stop()` turns true between two batches). `exclude`: ids to leave alone
    (those an earlier pass could not settle)."""
    summary = SettlementSummary()
    currencies = Currency.objects.in_bulk()
    excluded = set(exclude)
    while not (should_stop and should_stop()):
        left_alone = _settle_batch(batch_size=batch_size, exclude=excluded, currencies=currencies, summary=summary)
        if left_alone is None:
            break
        excluded |= left_alone
    return summary


def _settle_batch(
    *, batch_size: int, exclude: set[int], currencies: dict[str, Currency], summary: SettlementSummary
) -> set[int] | None:
    """Lock and settle up to `batch_size` due auctions in one transaction. Returns the ids it
    left alone (not to be looked at again in this pass), or None when nothing is due."""
    # A read first: a pass that finds nothing due takes no write lock (SQLite has only one).
    due = Auction.objects.due().exclude(id__in=sorted(exclude)) if exclude else Auction.objects.due()
    if not due.exists():
        return None
    with transaction.atomic():
        # Taken after BEGIN: on SQLite the write lock is already held, on PostgreSQL the rows
        # are locked by the query below, which re-checks `end_time <= now` on the row version
        # it locks.
        now = timezone.now()
        due = Auction.objects.due(now).select_for_update(skip_locked=True).order_by("end_time", "id")
        if exclude:
            due = due.exclude(id__in=sorted(exclude))
        auctions = list(
            due.only(
                "id", "item_id", "seller_id", "currency_id", "state", "end_time", "current_price",
                "reserve_price", "leader_id", "leader_ceiling",
            )[:batch_size]
        )  # fmt: skip
        if not auctions:
            return None

        with_winner = [a for a in auctions if a.leader_id is not None and a.reserve_met is not False]
        with_winner_ids = {a.id for a in with_winner}
        winning_bids = _leaders_last_bids(with_winner)
        users = User.objects.only("id", "username", "email").in_bulk(
            {a.seller_id for a in auctions} | {a.leader_id for a in with_winner if a.leader_id}
        )
        items = Item.objects.only("id", "title").in_bulk({a.item_id for a in auctions})

        fulfilled: list[int] = []
        unsold: list[int] = []
        left_alone: set[int] = set()
        notifications: list[Notification] = []
        for auction in auctions:
            # The query filtered on these under the lock; checked again so that a settled or
            # extended auction is never settled here, whatever the backend did.
            if auction.state != AuctionState.ACTIVE or auction.end_time > now:
                left_alone.add(auction.id)
                continue
            money = _money_formatter(currencies[auction.currency_id])
            seller = users[auction.seller_id]
            title = items[auction.item_id].title
            if auction.id in with_winner_ids:
                bid = winning_bids.get(auction.id)
                if bid is None:
                    logger.error("auction #%s has a leader but no bid from them: left unsettled", auction.id)
                    summary.skipped.append(auction.id)
                    left_alone.add(auction.id)
                    continue
                if bid.amount != auction.current_price:
                    logger.error(
                        "auction #%s: the leader's last bid (%s) differs from the current price (%s)",
                        auction.id, bid.amount, auction.current_price,
                    )  # fmt: skip
                winner = users[bid.bidder_id]
                notifications += _fulfilled_notifications(auction, title, seller, winner, money(bid.amount))
                fulfilled.append(auction.id)
                logger.info(
                    "auction #%s fulfilled: %s wins at %s %s",
                    auction.id, winner.username, money(bid.amount), auction.currency_id,
                )  # fmt: skip
            else:
                notifications += _unsold_notifications(auction, title, seller, money)
                unsold.append(auction.id)
                logger.info("auction #%s unsold: %s", auction.id, "reserve not met" if auction.leader_id else "no bids")

        # Two statements per batch, whatever its size. The winning bid is the same subquery
        # `_leaders_last_bids` ran: the rows are locked, so no bid has come in between.
        # The `state=active` condition makes a second settlement impossible even if the lock
        # failed us; a count that does not match rolls the whole batch back.
        active = Auction.objects.filter(state=AuctionState.ACTIVE)
        changed = 0
        if fulfilled:
            changed += active.filter(id__in=fulfilled).update(
                state=AuctionState.FULFILLED, winning_bid_id=_leaders_last_bid_id(), settled_at=now, updated_at=now
            )
        if unsold:
            changed += active.filter(id__in=unsold).update(state=AuctionState.UNSOLD, settled_at=now, updated_at=now)
        if changed != len(fulfilled) + len(unsold):
            raise SettlementConflict(f"{len(fulfilled) + len(unsold) - changed} auction(s) changed under the lock")
        Notification.objects.bulk_create(notifications)
    summary.fulfilled += fulfilled
    summary.unsold += unsold
    return left_alone


def _leaders_last_bids(auctions: list[Auction]) -> dict[int, Bid]:
    """The leader's latest bid of each auction: the bidding service keeps its amount equal to
    the current price, so it is the winning bid."""
    if not auctions:
        return {}
    bid_ids = (
        Auction.objects.filter(id__in=[a.id for a in auctions])
        .annotate(bid_id=_leaders_last_bid_id())
        .values_list("bid_id", flat=True)
    )
    bids = Bid.objects.only("id", "auction_id", "bidder_id", "amount").filter(id__in=[i for i in bid_ids if i])
    return {bid.auction_id: bid for bid in bids}


def _leaders_last_bid_id() -> Subquery:
    last_bid = Bid.objects.filter(auction_id=OuterRef("id"), bidder_id=OuterRef("leader_id")).order_by("-id")
    return Subquery(last_bid.values("id")[:1])


def _money_formatter(currency: Currency) -> Callable[[Decimal | None], str]:
    def money(amount: Decimal | None) -> str:
        return format_money(amount or Decimal(0), places=currency.minor_units)

    return money


def _fulfilled_notifications(
    auction: Auction, title: str, seller: User, winner: User, price: str
) -> list[Notification]:
    currency = auction.currency_id
    return _notifications(
        _notification(
            auction,
            NotificationKind.WINNER,
            winner,
            subject=f"You won auction #{auction.id}: {title}",
            body=(
                f"Hello {winner.username},\n\n"
                f"You won \u201c{title}\u201d (auction #{auction.id}) for {price} {currency}.\n"
                f"The seller is {seller.username} ({seller.email}); get in touch to arrange payment "
                "and delivery.\n"
            ),
        ),
        _notification(
            auction,
            NotificationKind.SELLER_SOLD,
            seller,
            subject=f"Auction #{auction.id} sold: {title}",
            body=(
                f"Hello {seller.username},\n\n"
                f"Your auction #{auction.id} of \u201c{title}\u201d ended: {winner.username} "
                f"({winner.email}) won it for {price} {currency}.\n"
            ),
        ),
    )


def _unsold_notifications(
    auction: Auction, title: str, seller: User, money: Callable[[Decimal | None], str]
) -> list[Notification]:
    if auction.leader_id is None:
        reason = "no bids were placed"
    else:
        reason = (
            f"the highest bid did not reach your reserve price of {money(auction.reserve_price)} {auction.currency_id}"
        )
    return _notifications(
        _notification(
            auction,
            NotificationKind.SELLER_UNSOLD,
            seller,
            subject=f"Auction #{auction.id} ended unsold: {title}",
            body=(
                f"Hello {seller.username},\n\n"
                f"Your auction #{auction.id} of \u201c{title}\u201d ended unsold: {reason}.\n"
            ),
        )
    )


def _notifications(*notifications: Notification | None) -> list[Notification]:
    return [n for n in notifications if n is not None]


def _notification(auction: Auction, kind: str, recipient: User, *, subject: str, body: str) -> Notification | None:
    if not recipient.email:
        logger.warning("auction #%s: %s has no email address, no %s email", auction.id, recipient.username, kind)
        return None
    return Notification(
        auction_id=auction.id,
        kind=kind,
        recipient_id=recipient.id,
        to_email=recipient.email,
        subject=" ".join(subject.split())[:255],  # an item title may hold a line break
        body=body,
    )


def notifications_send(*, batch_size: int = SEND_BATCH_SIZE, should_stop: ShouldStop | None = None) -> SendSummary:
    """Send every pending notification through Django's mail backend, each at most once.

    A batch is claimed in a short transaction (only rows nobody else claimed), sent, then
    marked sent. A send that raises puts the row back for a later try, backing off, up to
    SEND_MAX_ATTEMPTS; the rest of that batch is put back untried.
    """
    summary = SendSummary()
    while not (should_stop and should_stop()):
        claimed = _claim_notifications(batch_size=batch_size)
        if not claimed:
            break
        sent, failed = _send_claimed(claimed)
        summary.sent += sent
        summary.failed += failed
        if failed:
            break
    return summary


def _claim_notifications(*, batch_size: int) -> list[Notification]:
    token = secrets.token_hex(16)
    if not Notification.objects.filter(
        sent_at__isnull=True, claimed_at__isnull=True, not_before__lte=timezone.now()
    ).exists():
        return []
    with transaction.atomic():
        now = timezone.now()
        pending = Notification.objects.filter(sent_at__isnull=True, claimed_at__isnull=True, not_before__lte=now)
        ids = list(pending.select_for_update(skip_locked=True).order_by("id").values_list("id", flat=True)[:batch_size])
        if not ids:
            return []
        # The conditions again: a concurrent sender may have claimed some of these meanwhile
        # (SQLite has no row locks); only the rows this UPDATE changed are ours.
        pending.filter(id__in=ids).update(claimed_at=now, claim_token=token)
    return list(Notification.objects.filter(id__in=ids, claim_token=token).order_by("id"))


def _send_claimed(claimed: list[Notification]) -> tuple[int, int]:
    sent: list[int] = []
    connection = mail.get_connection()
    try:
        connection.open()
        for notification in claimed:
            message = mail.EmailMessage(
                subject=notification.subject,
                body=notification.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[notification.to_email],
                connection=connection,
            )
            message.send()
            sent.append(notification.id)
    except Exception as exc:  # the backend's errors are not one class (SMTP, socket, …)
        failed = claimed[len(sent)]
        logger.exception("email %s (auction #%s) failed", failed.id, failed.auction_id)
        _release_after_failure(failed, error=exc)
        untried = [n.id for n in claimed[len(sent) + 1 :]]
        Notification.objects.filter(id__in=untried, sent_at__isnull=True).update(claimed_at=None, claim_token="")
    finally:
        try:
            connection.close()
        finally:
            Notification.objects.filter(id__in=sent).update(sent_at=timezone.now())
    for notification in claimed[: len(sent)]:
        logger.info("emailed %s: %s", notification.to_email, notification.subject)
    return len(sent), len(claimed) - len(sent)


def _release_after_failure(notification: Notification, *, error: Exception) -> None:
    attempts = notification.attempts + 1
    changes: dict[str, object] = {"attempts": attempts, "last_error": f"{type(error).__name__}: {error}"[:2000]}
    if attempts < SEND_MAX_ATTEMPTS:
        changes |= {
            "claimed_at": None,
            "claim_token": "",
            "not_before": timezone.now() + SEND_RETRY_BASE * 2 ** (attempts - 1),
        }
    else:
        logger.error(
            "email %s (auction #%s) given up after %s attempts", notification.id, notification.auction_id, attempts
        )
    Notification.objects.filter(id=notification.id).update(**changes)


def database_statistics_refresh() -> None:
    """Keep SQLite's query-planner statistics current, as SQLite asks of long-lived
    connections (`PRAGMA optimize`): a table whose indexes this connection has planned with is
    analysed when it has no statistics or has grown 25-fold since. Without them SQLite sorted
    the 85,000 open auctions of `make bench`'s data for `GET auctions?status=open` (300 ms)
    instead of reading the index of its order (8 ms). PostgreSQL's autovacuum keeps its own."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    """Delete the Idempotency-Key records older than settings.IDEMPOTENCY_KEY_TTL."""
    cutoff = (now or timezone.now()) - settings.IDEMPOTENCY_KEY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
