"""A throwaway database (of the suite's kind: SQLite file or PostgreSQL) that real
`manage.py` processes share, for the tests that need several processes or a SIGKILL."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from auctioneer.testing import BASE_DIR, server_env, throwaway_database


@dataclass
class WorkerDatabase:
    url: str
    env: dict[str, str]

    def popen(self, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, text=True, **kwargs)

    def python(self, code: str) -> Any:
        """Run `code` in `manage.py shell` against this database; returns what it printed last, as JSON."""
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def seed(self, count: int, **options: Any) -> list[int]:
        kwargs = ", ".join(f"{name}={value!r}" for name, value in options.items())
        return self.python(
            "import json; from workers.tests.seeding import reset, seed_due_auctions; reset(); "
            f"print(json.dumps(seed_due_auctions({count}, {kwargs})))"
        )

    def report(self) -> dict[str, Any]:
        return self.python("from workers.tests.seeding import report; print(report())")


def emails_in(console_output: str) -> Counter[tuple[str, str]]:
    """(To, Subject) of every email the console mail backend printed."""
    emails: Counter[tuple[str, str]] = Counter()
    for message in console_output.split("\n" + "-" * 79 + "\n"):
        headers = dict(line.split(": ", 1) for line in message.split("\n\n", 1)[0].splitlines() if ": " in line)
        if "Subject" in headers:
            emails[(headers["To"], headers["Subject"])] += 1
    return emails


@pytest.fixture(scope="module")
def worker_db() -> Iterator[WorkerDatabase]:
    with throwaway_database() as url, tempfile.TemporaryDirectory(prefix="auctioneer-workers-") as var:
        env = server_env(
            url,
            AUCTIONEER_VAR_DIR=var,
            LOG_LEVEL="INFO",
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            PYTHONUNBUFFERED="1",
        )
        migrated = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrated.returncode == 0, migrated.stderr
        yield WorkerDatabase(url, env)


@pytest.fixture
def out_file(tmp_path: Path) -> Iterator[Any]:
    """A file for a process's stdout (a pipe could fill up while the test reads stderr)."""
    files: list[Any] = []

    def make(name: str) -> Any:
        handle = (tmp_path / name).open("w+")
        files.append(handle)
        return handle

    yield make
    for handle in files:
        handle.close()
