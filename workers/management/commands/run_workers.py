import logging
import signal
import threading
import time
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections
from django.utils import timezone

from workers.selectors import auction_next_end
from workers.services import (
    auctions_settle_due,
    database_statistics_refresh,
    idempotency_records_purge,
    notifications_send,
)

logger = logging.getLogger("workers.run_workers")


class Command(BaseCommand):
    help = (
        "Long-running worker: settles each auction within a second of its end, sends the emails, "
        "purges expired Idempotency-Key records and refreshes SQLite's planner statistics now and then. "
        "Stops cleanly on SIGTERM/SIGINT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--poll",
            type=float,
            default=0.5,
            help="longest sleep between two looks at the database, in seconds (default 0.5)",
        )
        parser.add_argument(
            "--purge-every",
            type=float,
            default=600,
            help="seconds between two purges of expired Idempotency-Key records and statistics refreshes (default 600)",
        )

    def handle(self, *args: Any, poll: float, purge_every: float, **options: Any) -> None:
        self.stopping = threading.Event()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        poll = max(0.05, poll)
        self.skipped: set[int] = set()
        next_purge = time.monotonic()
        logger.info("run_workers started (poll %.2fs)", poll)
        while not self.stopping.is_set():
            close_old_connections()
            try:
                self._settle_and_notify()
                if not self.stopping.is_set() and time.monotonic() >= next_purge:
                    purged = idempotency_records_purge()
                    if purged:
                        logger.info("purged %s expired Idempotency-Key record(s)", purged)
                    database_statistics_refresh()
                    next_purge = time.monotonic() + purge_every
                wait = self._until_next_end(poll)
            except Exception:  # keep running through a database restart or a mail outage
                logger.exception("worker step failed; trying again shortly")
                connections.close_all()
                wait = max(poll, 2.0)
            self.stopping.wait(wait)
        connections.close_all()
        logger.info("run_workers stopped")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        logger.info("%s received: stopping after the current transaction", signal.Signals(signum).name)
        self.stopping.set()

    def _settle_and_notify(self) -> None:
        settled = auctions_settle_due(should_stop=self.stopping.is_set, exclude=self.skipped)
        self.skipped.update(settled.skipped)
        if self.stopping.is_set():
            return
        # Emails never hold up a settlement: sending pauses when the next end is due.
        next_end = auction_next_end(after=timezone.now())

        def pause() -> bool:
            return self.stopping.is_set() or (next_end is not None and timezone.now() >= next_end)

        notifications_send(batch_size=10, should_stop=pause)

    @staticmethod
    def _until_next_end(poll: float) -> float:
        now = timezone.now()
        next_end: datetime | None = auction_next_end(after=now)
        if next_end is None or next_end - now >= timedelta(seconds=poll):
            return poll
        # Wake just after the end, when the auction is due.
        return max(0.0, (next_end - timezone.now()).total_seconds()) + 0.01
