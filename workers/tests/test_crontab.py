"""django-crontab (last released 2016) with this project's settings on Django 5.2, against a
stand-in `crontab` program that keeps the table in a file, so the user's real crontab is
never touched. README.md ("Cron") records the check on a host with Debian's cron."""

import os
import re
import shutil
import subprocess
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from auctioneer.testing import BASE_DIR
from auctions.models import Auction, AuctionState
from auctions.tests.factories import AuctionFactory

FAKE_CRONTAB = """#!/bin/sh
store="$(dirname "$0")/table"
if [ "$1" = "-l" ]; then
  if [ -f "$store" ]; then cat "$store"; else echo "no crontab for $(id -un)" >&2; exit 1; fi
else
  cp "$1" "$store"
fi
"""
OWN_LINES = "# the user's own\n17 3 * * * /usr/local/bin/backup --nightly # nightly backup\n"


@pytest.fixture
def crontab(tmp_path: Path, settings) -> Path:
    program = tmp_path / "crontab"
    program.write_text(FAKE_CRONTAB)
    program.chmod(0o755)
    (tmp_path / "table").write_text(OWN_LINES)
    settings.CRONTAB_EXECUTABLE = str(program)
    return tmp_path / "table"


def _ours(table: str) -> list[str]:
    return [line for line in table.splitlines() if line.endswith("# django-cronjobs for auctioneer")]


def test_add_keeps_the_users_lines_and_adds_the_job_once(crontab: Path):
    call_command("crontab", "add", stdout=StringIO())
    call_command("crontab", "add", stdout=StringIO())

    table = crontab.read_text()
    assert table.startswith(OWN_LINES)
    [line] = _ours(table)
    assert line.startswith("* * * * * ")
    assert f"{BASE_DIR / 'manage.py'} crontab run " in line
    assert re.search(r">> \S+/log/cron\.log 2>&1 # django-cronjobs for auctioneer$", line)


def test_show_names_the_close_auctions_job(crontab: Path, capsys):
    call_command("crontab", "add")
    call_command("crontab", "show")

    assert "['close_auctions']" in capsys.readouterr().out.split("Currently active jobs in crontab:")[1]


@pytest.mark.django_db
def test_the_installed_line_runs_a_settlement_pass(crontab: Path):
    auction = AuctionFactory.create()
    Auction.objects.filter(pk=auction.pk).update(end_time=timezone.now() - timedelta(seconds=1))
    call_command("crontab", "add", stdout=StringIO())
    [line] = _ours(crontab.read_text())
    job_hash = line.split(" crontab run ")[1].split()[0]

    call_command("crontab", "run", job_hash)

    auction.refresh_from_db()
    assert auction.state == AuctionState.UNSOLD
    assert len(mail.outbox) == 1


def test_remove_leaves_the_users_lines(crontab: Path):
    call_command("crontab", "add", stdout=StringIO())

    call_command("crontab", "remove", stdout=StringIO())

    assert crontab.read_text() == OWN_LINES


def test_make_install_crontab_says_so_when_the_host_has_no_crontab(tmp_path: Path):
    make = shutil.which("make")
    assert make, "make is needed by the project's own targets"
    empty = tmp_path / "bin"
    empty.mkdir()
    done = subprocess.run(
        # -o: the virtualenv counts as installed (this test is about the message).
        [make, "--no-print-directory", "-o", ".venv/.synced", "install-crontab"],
        cwd=BASE_DIR,
        env={**os.environ, "PATH": str(empty)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "this host has no 'crontab' command, so nothing was installed" in done.stderr
    assert "apt-get install cron" in done.stderr
