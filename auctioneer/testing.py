"""A real server for tests that talk HTTP: gunicorn from the working tree on a free port,
against a throwaway database of the same kind as the suite's (SQLite file or PostgreSQL)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_database(server_url: str, *, prefix: str = "auctioneer_live") -> Iterator[str]:
    """A fresh database on the PostgreSQL server of `server_url`, dropped afterwards."""
    import psycopg

    parts = urlsplit(server_url)
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Yield a DATABASE_URL for a fresh, empty database, dropped afterwards."""
    source = os.environ.get("DATABASE_URL", "")
    if source.startswith(("postgres://", "postgresql://")):
        with postgres_database(source) as url:
            yield url
    else:
        with tempfile.TemporaryDirectory(prefix="auctioneer-live-") as tmp:
            yield f"sqlite:///{tmp}/db.sqlite3"


@dataclass
class LiveServer:
    url: str
    database_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run a management command against the server's database: its stdout."""
        return manage(self.env, *args, timeout=timeout)


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "auctioneer.settings.local",
        "DJANGO_SECRET_KEY": "live-test-" + secrets.token_hex(32),
        "OAUTH_CLIENT_ID": "",
        "OAUTH_CLIENT_SECRET": "",
        "OAUTH_TOKEN_URL": "",
        "OAUTH_TOKEN_REVOKE_URL": "",
        "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run a management command of this checkout with `env`: its stdout, or RuntimeError
    carrying its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def register_oauth_app(env: dict[str, str], directory: Path) -> None:
    """`manage.py ensure_oauth_app` on `env`'s database, as `make setup` runs it: credentials
    already in `env` win (that application is made to exist); otherwise fresh ones are written to
    a throwaway env file in `directory` and put in `env`, the environment a server then starts with."""
    env_file = directory / "oauth.env"
    manage(env, "ensure_oauth_app", "--env-file", str(env_file))
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            if key in ("OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET") and not env.get(key):
                env[key] = value
    if not (env.get("OAUTH_CLIENT_ID") and env.get("OAUTH_CLIENT_SECRET")):
        raise RuntimeError(f"ensure_oauth_app gave no credentials (see {env_file})")


@contextmanager
def live_server(**extra_env: str) -> Iterator[LiveServer]:
    """Start gunicorn on a fresh database, with the Authorization API's OAuth application
    registered as `make setup` does; yields a `LiveServer`; stops and drops it after."""
    with throwaway_database() as database_url, tempfile.TemporaryDirectory(prefix="auctioneer-var-") as var_dir:
        # PORT may be chosen by the caller, e.g. to point OAUTH_TOKEN_URL at the server itself.
        port = int(extra_env.pop("PORT", 0)) or free_port()
        env = server_env(
            database_url,
            HOST="127.0.0.1",
            PORT=str(port),
            WEB_CONCURRENCY=extra_env.pop("WEB_CONCURRENCY", "4"),
            AUCTIONEER_VAR_DIR=var_dir,
            **extra_env,
        )
        manage(env, "migrate", "--noinput")
        manage(env, "createcachetable")
        register_oauth_app(env, Path(var_dir))
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "auctioneer/gunicorn_conf.py"],
            cwd=BASE_DIR,
            env=env,
        )
        server = LiveServer(f"http://127.0.0.1:{port}", database_url, env, process)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(server.url + "/api/v1/metadata/currencies", timeout=5)
                    break
                except (requests.ConnectionError, requests.Timeout):  # a cold worker may be slow
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("gunicorn did not start") from None
                    time.sleep(0.1)
            yield server
        finally:
            for child in [*server.children, process]:
                if child.poll() is None:
                    child.terminate()
            for child in [*server.children, process]:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
