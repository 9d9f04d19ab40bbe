"""`make e2e`: the tester against the working tree.

Starts gunicorn and `manage.py run_workers` from this checkout on a free port with a
throwaway SQLite database (its own var/ directory and OAuth application, so neither
var/db.sqlite3 nor .env is touched), runs e2e/tester.py against them, stops both — also
when something fails — and exits with the tester's status.

    .venv/bin/python e2e/run_local.py [--runs N] [--no-workers] [-- tester options]

`--runs 2` runs the tester twice against the same server; `--no-workers` leaves the workers
out (the tester must then fail: nothing settles the auctions).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))  # run as a script from anywhere: the project's own helpers

from auctioneer.testing import free_port, manage, postgres_database, register_oauth_app  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")


def log(message: str) -> None:
    print(f"[e2e] {message}", flush=True)


def server_env(tmp: Path, port: int) -> dict[str, str]:
    """The environment of every process: nothing comes from the developer's .env or var/."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "auctioneer.settings.local",
        "DJANGO_SECRET_KEY": "e2e-" + secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "AUCTIONEER_VAR_DIR": str(tmp / "var"),
        "AUCTIONEER_ENV_FILE": str(tmp / "oauth.env"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": os.environ.get("E2E_WEB_CONCURRENCY", "3"),
        "GUNICORN_ACCESS_LOG": str(tmp / "access.log"),
        "OAUTH_CLIENT_ID": "",
        "OAUTH_CLIENT_SECRET": "",
        "OAUTH_TOKEN_URL": "",
        "OAUTH_TOKEN_REVOKE_URL": "",
        "PYTHONUNBUFFERED": "1",
    }


def spawn(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start `command` from the project folder, its output going to `log_path`."""
    with open(log_path, "wb") as log_file:
        return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT)


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer {url} within {timeout:g} s")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes], name: str) -> None:
    if process.poll() is not None:
        log(f"{name} had already exited with status {process.returncode}")
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        log(f"{name} ignored SIGTERM for 20 s; killing it")
        process.kill()
        process.wait()


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=1, help="run the tester this many times against one server")
    parser.add_argument("--no-workers", action="store_true", help="do not start the workers (the tester must fail)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="use a throwaway database on this PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres)",
    )
    parser.add_argument("tester_args", nargs="*", help="passed on to e2e/tester.py (put them after --)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="auctioneer-e2e-"))
    port = free_port()
    env = server_env(tmp, port)
    base = f"http://127.0.0.1:{port}"
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    status = 1
    cleanup = ExitStack()
    try:
        if args.postgres:
            env["DATABASE_URL"] = cleanup.enter_context(postgres_database(args.postgres, prefix="auctioneer_e2e"))
        log(f"throwaway database {env['DATABASE_URL']}, var/ in {tmp}")
        manage(env, "migrate", "--noinput")
        manage(env, "createcachetable")
        register_oauth_app(env, tmp)

        server = spawn([GUNICORN, "-c", "auctioneer/gunicorn_conf.py"], env, tmp / "server.log")
        processes.append(("server", server))
        if not args.no_workers:
            workers = spawn([PYTHON, "manage.py", "run_workers"], env, tmp / "workers.log")
            processes.append(("workers", workers))
        wait_until_up(f"{base}/api/v1/metadata/currencies", server)
        log(f"server on {base} (pid {server.pid})" + ("" if args.no_workers else f", workers pid {workers.pid}"))
        if not args.no_workers:
            time.sleep(0.5)
            if workers.poll() is not None:
                raise RuntimeError(f"the workers exited with status {workers.returncode}")

        for run in range(1, args.runs + 1):
            log(f"tester run {run} of {args.runs}")
            result = subprocess.run(
                [PYTHON, str(BASE_DIR / "e2e" / "tester.py"), f"{base}/api/v1", f"{base}/api/auth", *args.tester_args],
                cwd=BASE_DIR,
                check=False,
            )
            status = result.returncode
            log(f"tester run {run} exited with {status}")
            if status != 0:
                break
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        log(f"error: {exc}")
        status = 1
    finally:
        for name, process in reversed(processes):
            stop(process, name)
        if status != 0:
            for name in ("server", "workers"):
                text = tail(tmp / f"{name}.log")
                if text:
                    log(f"last lines of the {name} log:\n{text}")
        shutil.rmtree(tmp, ignore_errors=True)
        cleanup.close()
    log("passed" if status == 0 else f"failed (exit {status})")
    return status


if __name__ == "__main__":
    sys.exit(main())
