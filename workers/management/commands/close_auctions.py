import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from workers.services import (
    SETTLE_BATCH_SIZE,
    SendSummary,
    auctions_settle_due,
    database_statistics_refresh,
    notifications_send,
)


class Command(BaseCommand):
    help = (
        "One pass: settle every auction whose end_time has passed (fulfilled or unsold), then send "
        "the emails settlement owes. Idempotent; safe to run in several processes at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=SETTLE_BATCH_SIZE,
            help=f"auctions settled per transaction (default {SETTLE_BATCH_SIZE})",
        )
        parser.add_argument("--no-email", action="store_true", help="settle only; a later pass sends the emails")

    def handle(self, *args: Any, batch_size: int, no_email: bool, **options: Any) -> None:
        started = time.monotonic()
        settled = auctions_settle_due(batch_size=max(1, batch_size))
        emails = SendSummary() if no_email else notifications_send()
        database_statistics_refresh()
        line = (
            f"close_auctions: settled {settled.settled} auction(s): {len(settled.fulfilled)} fulfilled, "
            f"{len(settled.unsold)} unsold; {emails.sent} email(s) sent"
        )
        if emails.failed:
            line += f", {emails.failed} to retry"
        if settled.skipped:
            line += f"; left unsettled (see the log): {', '.join(map(str, settled.skipped))}"
        self.stdout.write(f"{line}; {time.monotonic() - started:.2f}s")
