"""Real `manage.py` processes on a shared throwaway database (SQLite file or PostgreSQL, like
the suite): passes at once, a pass killed with SIGKILL, the long-running worker."""

import re
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from workers.tests.conftest import WorkerDatabase, emails_in

SUMMARY = re.compile(r"close_auctions: settled (\d+) auction\(s\): (\d+) fulfilled, (\d+) unsold; (\d+) email")


def _settled_by(output: str) -> int:
    [match] = SUMMARY.findall(output)
    return int(match[0])


def _check_settled_once(report: dict, emails: Counter, *, auctions: int, unsold: int) -> None:
    assert report["states"] == {"fulfilled": auctions - unsold, "unsold": unsold}
    assert report["half_settled"] == [] and report["wrong_winner"] == []
    assert report["notifications"] == {
        "winner": auctions - unsold,
        "seller_sold": auctions - unsold,
        "seller_unsold": unsold,
    }
    twice = [email for email, count in emails.items() if count > 1]
    assert twice == []


def test_two_passes_at_once_settle_1000_auctions_once_each(worker_db: WorkerDatabase, out_file):
    """1,000 auctions due, two `close_auctions` at once: 1,000 settlements, at
    most 1,000 winner emails, none twice. (On PostgreSQL the passes share the rows through
    SKIP LOCKED; on SQLite they take turns on the write lock.)"""
    worker_db.seed(1000, unsold_every=10)
    outputs = [out_file(f"pass{n}.out") for n in range(2)]
    passes = [
        worker_db.popen("close_auctions", "--batch-size", "10", stdout=out, stderr=subprocess.DEVNULL)
        for out in outputs
    ]
    for process in passes:
        assert process.wait(timeout=240) == 0
    texts = [out.seek(0) or out.read() for out in outputs]

    settled = [_settled_by(text) for text in texts]
    assert sum(settled) == 1000, settled
    emails = sum((emails_in(text) for text in texts), Counter())
    report = worker_db.report()
    _check_settled_once(report, emails, auctions=1000, unsold=100)
    winner_emails = [subject for (_, subject), count in emails.items() if subject.startswith("You won")]
    assert len(winner_emails) == 900
    assert sum(emails.values()) == 900 * 2 + 100
    assert report["unsent"] == 0


@pytest.mark.parametrize(
    ("phase", "marker", "after"),
    [("settling", re.compile(r"auction #\d+ (fulfilled|unsold)"), 150), ("emailing", re.compile(r"emailed "), 120)],
)
def test_a_pass_killed_midway_is_finished_by_the_next(worker_db: WorkerDatabase, out_file, phase, marker, after):
    """`kill -9` of a pass midway, then a rerun: every auction settled, none
    twice, nothing half-settled; no email twice (one claimed by the killed pass and not
    yet marked sent is not sent again: at most once)."""
    worker_db.seed(600, unsold_every=5)
    first_out = out_file("killed.out")
    killed = worker_db.popen("close_auctions", "--batch-size", "10", stdout=first_out, stderr=subprocess.PIPE)
    assert killed.stderr is not None
    seen = 0
    for line in killed.stderr:
        seen += bool(marker.search(line))
        if seen >= after:
            killed.send_signal(signal.SIGKILL)
            break
    assert killed.wait(timeout=240) == -signal.SIGKILL, f"the pass ended before the kill ({phase})"

    midway = worker_db.report()
    if phase == "settling":
        assert 0 < sum(midway["states"].get(s, 0) for s in ("fulfilled", "unsold")) < 600
        assert midway["states"]["active"] > 0
    else:
        assert midway["states"] == {"fulfilled": 480, "unsold": 120}
        assert midway["unsent"] > 0
    assert midway["half_settled"] == []

    rerun = worker_db.popen("close_auctions", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    rerun_text, _ = rerun.communicate(timeout=240)
    assert rerun.returncode == 0

    first_out.seek(0)
    emails = emails_in(first_out.read()) + emails_in(rerun_text)
    report = worker_db.report()
    _check_settled_once(report, emails, auctions=600, unsold=120)
    lost = 480 * 2 + 120 - sum(emails.values())
    if phase == "settling":
        assert lost == 0
    else:
        # At most the batch being sent when the kill landed (notifications_send's batch).
        assert 0 <= lost <= 50


def test_run_workers_settles_within_a_second_and_stops_on_sigterm(worker_db: WorkerDatabase):
    worker_db.seed(0)
    worker = worker_db.popen("run_workers", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert worker.stderr is not None
    try:
        # Three auctions (two with bids) that end 3 s after they are created.
        worker_db.seed(3, unsold_every=3, ended_ago=-3.0)
        settled: list[str] = []
        deadline = time.monotonic() + 30
        for line in worker.stderr:
            if re.search(r"auction #\d+ (fulfilled|unsold)", line):
                settled.append(line)
            if len(settled) == 3 or time.monotonic() > deadline:
                break
        report = worker_db.report()
        assert report["states"] == {"fulfilled": 2, "unsold": 1}
        assert all(0 <= delay < 1.0 for delay in report["delays"]), report["delays"]
    finally:
        worker.send_signal(signal.SIGTERM)
        _, rest = worker.communicate(timeout=15)
    assert worker.returncode == 0
    assert "SIGTERM received" in rest and "run_workers stopped" in rest


def test_run_workers_stops_on_sigint(worker_db: WorkerDatabase):
    worker = worker_db.popen("run_workers", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert worker.stderr is not None
    for line in worker.stderr:
        if "run_workers started" in line:
            break
    worker.send_signal(signal.SIGINT)
    _, rest = worker.communicate(timeout=15)
    assert worker.returncode == 0
    assert "SIGINT received" in rest and "Traceback" not in rest


def test_a_bid_holding_the_lock_while_a_pass_runs_keeps_the_auction_open(worker_db: WorkerDatabase):
    """A soft-close bid is in its transaction (it holds the auction's row lock, or SQLite's
    write lock) when the end passes and a pass starts; the bid then moves the end and commits.
    PostgreSQL: the pass skips the locked row. SQLite: the pass waits for the lock, then reads
    the new end. Either way the auction stays open, and a later pass leaves it alone too."""
    [auction_id] = worker_db.seed(1, ended_ago=-1.0)
    time.sleep(1.1)
    new_end = datetime.now(UTC) + timedelta(seconds=60)
    if worker_db.url.startswith(("postgres://", "postgresql://")):
        import psycopg

        with psycopg.connect(worker_db.url) as bid:
            bid.execute("SELECT id FROM auctions_auction WHERE id = %s FOR UPDATE", [auction_id])
            during = worker_db.popen("close_auctions", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            during_text, _ = during.communicate(timeout=120)  # it does not wait for the lock
            bid.execute("UPDATE auctions_auction SET end_time = %s WHERE id = %s", [new_end, auction_id])
    else:
        lock = sqlite3.connect(worker_db.url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")
            during = worker_db.popen("close_auctions", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            with pytest.raises(subprocess.TimeoutExpired):
                during.wait(timeout=3)  # it waits for the write lock
            lock.execute(
                "UPDATE auctions_auction SET end_time = ? WHERE id = ?",
                [new_end.strftime("%Y-%m-%d %H:%M:%S.%f"), auction_id],
            )
            lock.execute("COMMIT")
        finally:
            lock.close()
        during_text, _ = during.communicate(timeout=120)
    assert during.returncode == 0
    assert _settled_by(during_text) == 0

    after = worker_db.popen("close_auctions", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    after_text, _ = after.communicate(timeout=120)
    assert _settled_by(after_text) == 0
    assert worker_db.report()["states"] == {"active": 1}
