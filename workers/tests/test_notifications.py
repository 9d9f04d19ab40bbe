import smtplib
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone

from auctions.models import Auction, IdempotencyRecord
from auctions.services import bid_place
from auctions.tests.factories import AuctionFactory
from authorization.tests.factories import UserFactory
from workers.models import Notification
from workers.services import SEND_MAX_ATTEMPTS, auctions_settle_due, idempotency_records_purge, notifications_send

pytestmark = pytest.mark.django_db


class DownBackend(BaseEmailBackend):
    """An SMTP server that refuses every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


def _ended_auctions(count: int) -> list[Auction]:
    auctions = AuctionFactory.create_batch(count)
    Auction.objects.filter(pk__in=[a.pk for a in auctions]).update(end_time=timezone.now() - timedelta(seconds=1))
    return auctions


def test_each_email_is_sent_once_however_often_senders_run():
    _ended_auctions(3)
    auctions_settle_due()

    assert notifications_send().sent == 3
    assert notifications_send().sent == 0
    assert sorted(m.subject.split(":")[0] for m in mail.outbox) == sorted(
        f"Auction #{a.pk} ended unsold" for a in Auction.objects.all()
    )
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_a_mail_outage_is_retried_later_then_given_up(settings):
    [auction] = _ended_auctions(1)
    auctions_settle_due()
    settings.EMAIL_BACKEND = "workers.tests.test_notifications.DownBackend"

    first = notifications_send()

    assert (first.sent, first.failed) == (0, 1)
    row = Notification.objects.get(auction=auction)
    assert row.sent_at is None and row.claimed_at is None and row.attempts == 1
    assert "SMTPServerDisconnected" in row.last_error
    assert row.not_before > timezone.now()
    # Backing off: an immediate second pass does not hammer the server.
    assert notifications_send().failed == 0

    for _ in range(SEND_MAX_ATTEMPTS - 1):
        Notification.objects.update(not_before=timezone.now())
        assert notifications_send().failed == 1
    row.refresh_from_db()
    assert row.attempts == SEND_MAX_ATTEMPTS and row.claimed_at is not None and row.sent_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.update(not_before=timezone.now())
    assert notifications_send().sent == 0
    assert mail.outbox == []


def test_the_mail_comes_back_and_the_email_goes_out(settings):
    _ended_auctions(1)
    auctions_settle_due()
    settings.EMAIL_BACKEND = "workers.tests.test_notifications.DownBackend"
    notifications_send()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.update(not_before=timezone.now())

    assert notifications_send().sent == 1
    assert len(mail.outbox) == 1


def test_close_auctions_prints_what_it_did():
    sold = AuctionFactory.create()
    bid_place(auction_id=sold.pk, bidder=UserFactory.create(), amount=Decimal("10.00"))
    Auction.objects.update(end_time=timezone.now() - timedelta(seconds=1))
    _ended_auctions(2)
    out = StringIO()

    call_command("close_auctions", stdout=out)

    assert "settled 3 auction(s): 1 fulfilled, 2 unsold; 4 email(s) sent" in out.getvalue()
    assert len(mail.outbox) == 4

    again = StringIO()
    call_command("close_auctions", stdout=again)
    assert "settled 0 auction(s): 0 fulfilled, 0 unsold; 0 email(s) sent" in again.getvalue()


def test_close_auctions_can_leave_the_emails_for_later():
    _ended_auctions(2)
    out = StringIO()

    call_command("close_auctions", "--no-email", "--batch-size", "1", stdout=out)

    assert "settled 2 auction(s)" in out.getvalue()
    assert mail.outbox == []
    assert notifications_send().sent == 2


def test_expired_idempotency_records_are_purged(user, settings):
    now = timezone.now()
    old = IdempotencyRecord.objects.create(
        user=user,
        key="old",
        fingerprint="x",
        status_code=201,
        response_body={},
        created_at=now - settings.IDEMPOTENCY_KEY_TTL - timedelta(seconds=1),
    )
    fresh = IdempotencyRecord.objects.create(
        user=user, key="fresh", fingerprint="x", status_code=201, response_body={}, created_at=now - timedelta(hours=1)
    )

    assert idempotency_records_purge(now=now) == 1

    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
