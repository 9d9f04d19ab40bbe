"""`make bench`: start the service from the working tree the way production runs it, fill a
throwaway database, drive load from a separate process, settle auctions with the workers,
and write bench/results/latest.json and docs/benchmarks.md.

    python -m bench.run [--quick] [--databases sqlite,postgres] [--scenarios noop,hot_auction,...]

Everything runs against 127.0.0.1 only: a throwaway SQLite file and a throwaway PostgreSQL
database (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres), both
dropped afterwards. gunicorn runs with auctioneer.settings.production (DEBUG off).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auctioneer.testing import free_port, postgres_database
from bench import report

BASE_DIR = Path(__file__).resolve().parent.parent
PY = sys.executable
RESULTS = BASE_DIR / "bench" / "results"
LIST_CACHE_SETTINGS = ("LIST_COUNT_CACHE_SECONDS", "LIST_COUNT_CACHE_MIN_COUNT", "LIST_PAGE_CACHE_SECONDS")
HTTP_SCENARIOS = ["noop", "browse_list", "auction_detail", "hot_auction", "spread_bids"]
SETTLE_SCENARIOS = ["settle_batch", "settle_lag"]
BIDDER_PASSWORD = "bench-Password-1729"  # noqa: S105 - throwaway users in a throwaway database


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- sizes ---------------------------------------------------------------------------------


def plan(quick: bool) -> dict[str, Any]:
    if quick:
        return {
            "browse_auctions": 5_000, "browse_bids": 50_000, "detail_auctions": 10, "detail_bids": 500,
            "crowd": 200, "spread_auctions": 200, "warmup": 0.5, "duration": 2.5, "hot_duration": 3.0, "rounds": 1,
            "max_requests": 20_000, "logins": 2, "settle_batch": 1_000, "settle_processes": 2,
            "settle_lag": 20, "settle_lag_spread_s": 3.0, "settle_lag_wait_s": 2.0, "skip_noop_at": [64],
        }  # fmt: skip
    return {
        "browse_auctions": 100_000, "browse_bids": 1_000_000, "detail_auctions": 50, "detail_bids": 4_000,
        "crowd": 1_000, "spread_auctions": 1_000, "warmup": 1.0, "duration": 5.0, "hot_duration": 30.0, "rounds": 3,
        "max_requests": 200_000, "logins": 32, "settle_batch": 10_000, "settle_processes": 2,
        "settle_lag": 200, "settle_lag_spread_s": 30.0, "settle_lag_wait_s": 3.0, "skip_noop_at": [],
    }  # fmt: skip


# --- databases and processes ------------------------------------------------------------------


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="auctioneer-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    server_url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if urlsplit(server_url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("the bench only uses a local PostgreSQL")
    with postgres_database(server_url, prefix="auctioneer_bench") as url:
        yield url


def base_env(database_url: str, var_dir: str, cache: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "auctioneer.settings.production",
        "DJANGO_SECRET_KEY": "bench-" + secrets.token_hex(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
        "AUCTIONEER_VAR_DIR": var_dir,
        "OAUTH_CLIENT_ID": "bench-client",
        "OAUTH_CLIENT_SECRET": "bench-secret-" + secrets.token_hex(16),
        "OAUTH_TOKEN_URL": "",
        "OAUTH_TOKEN_REVOKE_URL": "",
        "GUNICORN_ACCESS_LOG": "/dev/null",  # formatted like production, not kept
        "LOG_LEVEL": "WARNING",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        # The throttles stay on (their cache writes are part of every bid), but at rates a
        # load test of 32-64 bidders from one address does not trip.
        "THROTTLE_BIDS": "1000000/min",
        "THROTTLE_WRITES": "1000000/min",
        "THROTTLE_TOKEN_ADDRESS": "100000/min",
        "THROTTLE_TOKEN_USERNAME": "1000/min",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15") if cache == "redis" else "",
        "PYTHONHASHSEED": "0",
    }
    env.pop("TEST_DATABASE_NAME", None)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def data(env: dict[str, str], command: str, **kwargs: Any) -> Any:
    result = subprocess.run(
        [PY, "-m", "bench.data", command],
        input=json.dumps(kwargs),  # on stdin: 10,000 end times exceed the limit of one argument
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.data {command} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def process_tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and its live children (the gunicorn master and
    its workers), from /proc: unlike wall-clock rates, it does not move when other jobs share
    the machine's cores."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pids = 0.0, [root_pid]
    while pids:
        pid = pids.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{pid}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


@dataclass
class Server:
    url: str
    pid: int


@contextmanager
def gunicorn(env: dict[str, str], workers: int, threads: int, log_path: Path) -> Iterator[Server]:
    port = free_port()
    server_env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
    server_env["GUNICORN_THREADS"] = str(threads)
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            [str(Path(PY).parent / "gunicorn"), "-c", "auctioneer/gunicorn_conf.py"],
            cwd=BASE_DIR,
            env=server_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/api/v1/metadata/currencies", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {log_path}") from None
                time.sleep(0.2)
        for _ in range(workers * 3):  # let every worker import the app before measuring
            httpx.get(url + "/api/v1/metadata/currencies", timeout=10)
        yield Server(url, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def drive(server: Server, config: dict[str, Any], tmp: Path) -> dict[str, Any]:
    config = {**config, "url": server.url}
    path = tmp / f"load-{config['scenario']}-{config['concurrency']}.json"
    path.write_text(json.dumps(config))
    driver = subprocess.Popen(
        [PY, "-m", "bench.load", str(path)], cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert driver.stdout is not None
    # The driver says "logged in" once its logins are done: the password hashing of the
    # logins is not part of the scenario's CPU per request.
    driver.stdout.readline()
    cpu_before = process_tree_cpu_seconds(server.pid)
    out, err = driver.communicate(timeout=config["duration"] + config.get("warmup", 0) + 300)
    if driver.returncode != 0:
        raise RuntimeError(f"load driver failed:\n{err[-3000:]}")
    row = json.loads(out.strip().splitlines()[-1])
    # Server CPU for everything the driver sent after its logins (warm-up and side requests too).
    cpu = process_tree_cpu_seconds(server.pid) - cpu_before
    row["server_cpu_s"] = round(cpu, 2)
    sent = row.get("sent", 0) - row.get("logins", 0)
    row["server_cpu_ms_per_request"] = round(cpu * 1000 / sent, 2) if sent > 0 else None
    return row


def available(row: dict[str, Any]) -> bool:
    """A scenario whose endpoint does not exist yet answers 404/405 to everything."""
    statuses = row.get("statuses", {})
    missing = statuses.get("404", 0) + statuses.get("405", 0)
    return not row["requests"] or missing < row["requests"] / 2


# --- scenarios -------------------------------------------------------------------------------


def http_scenarios(
    server: Server,
    db: str,
    world: dict[str, Any],
    p: dict[str, Any],
    wanted: list[str],
    tmp: Path,
    extra: dict[str, Any],
    baselines: dict[int, float],
) -> list[dict[str, Any]]:
    """Run the HTTP scenarios on one server. `baselines` (noop req/s by concurrency) is filled
    by this server's noop runs, or comes from an earlier server on the same database."""
    users = world["users"]
    common = {"users": users, "warmup": p["warmup"], "max_requests": p["max_requests"]}
    jobs: list[dict[str, Any]] = []
    if "browse_list" in wanted:
        filters = ["currency=EUR", "category=cameras", "condition=used", "min_price=100", "country=DE"]
        jobs.append({"scenario": "browse_list", "concurrency": 8, "duration": p["duration"], "filters": filters})
    if "auction_detail" in wanted:
        ids = world["detail_auction_ids"]
        jobs.append({"scenario": "auction_detail", "concurrency": 8, "duration": p["duration"], "auction_ids": ids})
    if "hot_auction" in wanted:
        jobs.append({
            "scenario": "hot_auction", "concurrency": 32, "duration": p["hot_duration"],
            "logins": p["logins"] if not baselines else 0,  # once per database: PBKDF2 is ~0.3-0.5 s of CPU a login
            "auction_ids": [world["hot_auction_id"]], "starting_price": world["starting_price"],
        })  # fmt: skip
    if "spread_bids" in wanted:
        jobs.append({
            "scenario": "spread_bids", "concurrency": 64, "duration": p["duration"],
            "auction_ids": world["spread_auction_ids"], "starting_price": world["starting_price"],
        })  # fmt: skip
    # The short scenarios run `rounds` times, interleaved with their noop baseline (noop, then
    # each scenario, then again): on a shared machine the throughput drifts by 2x within a
    # minute, and a ratio taken from runs a minute apart measures the drift. Each row gives
    # the medians over its rounds; its ratio is the median of the per-round ratios to the noop
    # run of the same round. hot_auction runs once, for its whole duration.
    noop_levels = sorted({8, *(j["concurrency"] for j in jobs)} - set(p["skip_noop_at"])) if "noop" in wanted else []
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    ratios: dict[tuple[str, int], list[float]] = {}
    for round_no in range(p["rounds"]):
        noop_rps: dict[int, float] = {}
        for concurrency in noop_levels:
            log(f"{db}: noop at concurrency {concurrency} (round {round_no + 1}/{p['rounds']})")
            config = {**common, "scenario": "noop", "concurrency": concurrency, "duration": p["duration"]}
            row = drive(server, config, tmp)
            runs.setdefault(("noop", concurrency), []).append(row)
            noop_rps[concurrency] = row["rps"]
        for job in jobs:
            if job["scenario"] == "hot_auction" and round_no > 0:
                continue
            log(f"{db}: {job['scenario']} at concurrency {job['concurrency']} (round {round_no + 1}/{p['rounds']})")
            # What the bidders learnt of their auctions' prices carries over to the next run.
            known = world.setdefault("known", {})
            row = drive(server, {**common, **job, "known": known.get(job["scenario"])}, tmp)
            known[job["scenario"]] = row.pop("known", None)
            key = (job["scenario"], job["concurrency"])
            runs.setdefault(key, []).append(row)
            below = [c for c in noop_rps if c <= job["concurrency"]]
            if below and noop_rps[max(below)]:
                ratios.setdefault(key, []).append(row["rps"] / noop_rps[max(below)])
    rows = [merge_rounds(found) for found in runs.values()]
    for (scenario, concurrency), found in runs.items():
        if scenario == "noop":
            baselines[concurrency] = statistics.median(r["rps"] for r in found)
    for row in rows:
        row.update(database=db, **extra)
        row["available"] = available(row)
        below = [c for c in baselines if c <= row["concurrency"]]
        baseline = baselines[max(below)] if below else None
        row["baseline_rps"] = baseline
        same_round = ratios.get((row["scenario"], row["concurrency"]))
        if row["scenario"] == "noop":
            row["ratio_to_baseline"] = 1.0
        elif same_round:
            row["ratio_to_baseline"] = round(statistics.median(same_round), 3)
        else:  # another server (the throttle-cache variants): the first server's median noop
            row["ratio_to_baseline"] = round(row["rps"] / baseline, 3) if baseline else None
    return rows


def merge_rounds(found: list[dict[str, Any]]) -> dict[str, Any]:
    """One row for the rounds of one scenario: counts summed, rates and latencies the median
    of the rounds (`rounds` says how many, `rounds_rps` keeps each round's req/s)."""
    if len(found) == 1:
        return {**found[0], "rounds": 1}
    merged = dict(found[0])
    for key in ("requests", "errors", "sent", "logins", "side_requests", "server_cpu_s", "driver_cpu_s", "duration_s"):
        if all(isinstance(r.get(key), int | float) for r in found):
            merged[key] = round(sum(r[key] for r in found), 2)
    for key in ("rps", "accepted_per_s", "p50_ms", "p95_ms", "p99_ms", "server_cpu_ms_per_request"):
        values = [r[key] for r in found if isinstance(r.get(key), int | float)]
        merged[key] = round(statistics.median(values), 2) if values else found[0].get(key)
    statuses: dict[str, int] = {}
    for r in found:
        for status, count in r.get("statuses", {}).items():
            statuses[status] = statuses.get(status, 0) + count
    merged["statuses"] = statuses
    merged["rounds"] = len(found)
    merged["rounds_rps"] = [r["rps"] for r in found]
    return merged


def settle_row(db: str, scenario: str, processes: int, seconds: float | None, check: dict[str, Any]) -> dict:
    lags = check.get("lags_ms", [])
    return {
        "scenario": scenario,
        "database": db,
        "concurrency": processes,
        "duration_s": round(seconds, 2) if seconds is not None else None,
        "requests": None,
        "rps": None,
        "accepted_per_s": None,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "errors": check.get("errors", 0),
        "baseline_rps": None,
        "ratio_to_baseline": None,
        "settled": check.get("settled"),
        "total": check.get("total"),
        "fulfilled": check.get("fulfilled"),
        "unsold": check.get("unsold"),
        "seconds": round(seconds, 2) if seconds is not None else None,
        "lag_p50_ms": round(statistics.median(lags), 1) if lags else None,
        "lag_p99_ms": round(sorted(lags)[max(0, round(0.99 * len(lags)) - 1)], 1) if lags else None,
        "available": check.get("available", True),
        **{
            k: v
            for k, v in check.items()
            if k in ("emails", "settled_by_passes", "fulfilled_without_winner", "passes_exit_s", "note")
        },
    }


def command_exists(env: dict[str, str], name: str) -> bool:
    return (BASE_DIR / "workers" / "management" / "commands" / f"{name}.py").exists()


def settle_batch(env: dict[str, str], db: str, world: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    count, processes = p["settle_batch"], p["settle_processes"]
    if not command_exists(env, "close_auctions"):
        return settle_row(db, "settle_batch", processes, None, {"available": False, "note": "no close_auctions"})
    made = data(env, "ending", count=count, crowd_ids=world["crowd_ids"], with_bids=0.5, first_end_in_s=3)
    ids, end = made["auction_ids"], datetime.fromisoformat(made["first_end"])
    time.sleep(max(0.0, (end - datetime.now(UTC)).total_seconds()) + 0.05)
    log(f"{db}: settle_batch, {count} auctions, {processes} close_auctions processes")
    started, started_at = time.perf_counter(), datetime.now(UTC)
    procs = [
        subprocess.Popen(
            [PY, "manage.py", "close_auctions"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = [proc.communicate(timeout=600) for proc in procs]
    passes_seconds = time.perf_counter() - started
    check = data(env, "settled", first_id=ids[0], last_id=ids[-1])
    # Settled = the last auction's settled_at (stamped in its batch's transaction), counted
    # from the start of the processes; the passes then go on to send the emails.
    last = check.get("last_settled_at")
    seconds = (datetime.fromisoformat(last) - started_at).total_seconds() if last else passes_seconds
    check["passes_exit_s"] = round(passes_seconds, 2)
    check["lags_ms"] = []
    check["errors"] = sum(1 for proc in procs if proc.returncode != 0)
    # Exactly once: the passes' own counts add up to the batch, and the database agrees.
    check["settled_by_passes"] = sum(int(m) for out, _ in outputs for m in re.findall(r"settled (\d+) auction", out))
    check["emails"] = sum(int(m) for out, _ in outputs for m in re.findall(r"(\d+) email\(s\) sent", out))
    if check["errors"]:
        log(f"close_auctions failed: {outputs[0][1][-2000:]}")
    return settle_row(db, "settle_batch", processes, seconds, check)


def settle_lag(env: dict[str, str], db: str, world: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    count, spread = p["settle_lag"], p["settle_lag_spread_s"]
    if not command_exists(env, "run_workers"):
        return settle_row(db, "settle_lag", 1, None, {"available": False, "note": "no run_workers"})
    # The worker first, so that it is polling before the first auction ends.
    worker = subprocess.Popen(
        [PY, "manage.py", "run_workers"], cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    started = time.perf_counter()
    made = data(env, "ending", count=count, crowd_ids=world["crowd_ids"], with_bids=0.5, first_end_in_s=5,
                spread_s=spread)  # fmt: skip
    log(f"{db}: settle_lag, {count} auctions ending over {spread:.0f} s, run_workers running")
    last_end = datetime.fromisoformat(made["last_end"])
    time.sleep(max(0.0, (last_end - datetime.now(UTC)).total_seconds()) + p["settle_lag_wait_s"])
    worker.send_signal(signal.SIGTERM)
    try:
        _, err = worker.communicate(timeout=30)
        stopped_cleanly = worker.returncode == 0
    except subprocess.TimeoutExpired:
        worker.kill()
        _, err = worker.communicate()
        stopped_cleanly = False
    seconds = time.perf_counter() - started
    check = data(env, "settled", first_id=made["auction_ids"][0], last_id=made["auction_ids"][-1])
    check["errors"] = 0 if stopped_cleanly else 1
    if not stopped_cleanly:
        log(f"run_workers did not stop cleanly on SIGTERM: {err[-1500:]!r}")
    return settle_row(db, "settle_lag", 1, seconds, check)


# --- the run ---------------------------------------------------------------------------------


def bench_database(db: str, p: dict[str, Any], wanted: list[str], args: argparse.Namespace, tmp: Path) -> list[dict]:
    rows: list[dict[str, Any]] = []
    with database(db) as database_url:
        env = base_env(database_url, str(tmp / f"var-{db}"), "db")
        log(f"{db}: migrate")
        manage(env, "migrate", "--noinput")
        manage(env, "createcachetable")
        manage(env, "ensure_oauth_app", "--env-file", str(tmp / "oauth.env"))
        started = time.perf_counter()
        world = data(env, "base", bidders=64, crowd=p["crowd"], spread_auctions=p["spread_auctions"],
                     password=BIDDER_PASSWORD)  # fmt: skip
        if {"browse_list", "auction_detail"} & set(wanted):
            log(f"{db}: generating {p['browse_auctions']:,} auctions and {p['browse_bids']:,} bids")
            world.update(data(env, "browse", auctions=p["browse_auctions"], bids=p["browse_bids"],
                              crowd_ids=world["crowd_ids"], detail_auctions=p["detail_auctions"],
                              detail_bids=p["detail_bids"]))  # fmt: skip
        generation_s = round(time.perf_counter() - started, 1)
        log(f"{db}: data ready in {generation_s} s")
        http_wanted = [s for s in wanted if s in HTTP_SCENARIOS]
        baselines: dict[int, float] = {}
        for cache in args.caches:
            if not http_wanted:
                break
            server_env = base_env(database_url, str(tmp / f"var-{db}"), cache)
            server_env.update({k: env[k] for k in ("DJANGO_SECRET_KEY", "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET")})
            scenarios = http_wanted if cache == args.caches[0] else [s for s in http_wanted if s in args.cache_variant]
            extra = {
                "cache": cache,
                "workers": args.workers,
                "threads": args.threads,
                "data_generation_s": generation_s,
            }
            with gunicorn(server_env, args.workers, args.threads, tmp / f"gunicorn-{db}-{cache}.log") as server:
                rows += http_scenarios(server, db, world, p, scenarios, tmp, extra, baselines)
        if "settle_batch" in wanted:
            rows.append(settle_batch(env, db, world, p))
        if "settle_lag" in wanted:
            rows.append(settle_lag(env, db, world, p))
    return rows


def machine() -> dict[str, Any]:
    import django
    import gunicorn as gunicorn_pkg
    import oauth2_provider
    import rest_framework

    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    pg = ""
    try:
        import psycopg

        with psycopg.connect(os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")) as c:
            row = c.execute("SHOW server_version").fetchone()
            pg = str(row[0]) if row else ""
    except Exception:  # the version is informational only
        pg = "unavailable"
    import sqlite3

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "djangorestframework": rest_framework.__version__,
        "django_oauth_toolkit": oauth2_provider.__version__,
        "gunicorn": gunicorn_pkg.__version__,
        "postgresql": pg,
        "sqlite": sqlite3.sqlite_version,
        "git_commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
        ).stdout.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small data, short runs (< 3 min)")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--scenarios", default=",".join(HTTP_SCENARIOS + SETTLE_SCENARIOS))
    # gthread workers keep connections alive: a sync worker pays an accept and a graceful close
    # (it waits for the client's FIN) per request — noop cost 4.7 ms of server CPU per request
    # with 4 sync workers, 2.9 ms with 3 workers x 2 threads (docs/benchmarks.md).
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "3")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "2")))
    parser.add_argument("--caches", default=os.environ.get("BENCH_CACHES"),
                        help="throttle caches; the first runs all (default db,redis; quick: db)")  # fmt: skip
    parser.add_argument("--cache-variant", default="hot_auction,spread_bids",
                        help="scenarios repeated with the other caches")  # fmt: skip
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    parser.add_argument("--doc", default=str(BASE_DIR / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    args.caches = [c for c in (args.caches or ("db" if args.quick else "db,redis")).split(",") if c]
    args.cache_variant = args.cache_variant.split(",")
    wanted = args.scenarios.split(",")
    p = plan(args.quick)
    load_before = os.getloadavg()
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    # Logs, load configs and the SQLite/var scratch space stay in var/bench/ for a look afterwards.
    tmp = BASE_DIR / "var" / "bench"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for db in args.databases.split(","):
        rows += bench_database(db, p, wanted, args, tmp)
        (tmp / "partial.json").write_text(json.dumps(rows, indent=1))  # kept if a later database fails
    result = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "mode": "quick" if args.quick else "full",
        "wall_seconds": round(time.perf_counter() - started, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": machine(),
        "settings": {
            "django_settings": "auctioneer.settings.production (DEBUG off)",
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.threads,
            "caches": args.caches,
            "throttles": "on, rates raised for the load test (THROTTLE_BIDS etc.)",
            # The explore lists' kept counts and pages (auctioneer/pagination.py): browse_list's answers.
            "list_cache": {name: os.environ[name] for name in LIST_CACHE_SETTINGS if name in os.environ}
            or "the defaults (README, Settings)",
            "plan": p,
        },
        "runs": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    Path(args.doc).parent.mkdir(parents=True, exist_ok=True)
    Path(args.doc).write_text(report.render(result))
    log(f"wrote {out} and {args.doc} in {result['wall_seconds']} s")
    print(report.table(result))


if __name__ == "__main__":
    main()
