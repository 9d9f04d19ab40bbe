"""docs/benchmarks.md from bench/results/latest.json: the machine, the settings, every figure,
and each performance target checked against the run."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Row = dict[str, Any]

# (scenario, database or None for both, description, check returning (holds, measured text))
TARGETS: list[tuple[str, str | None, str, Callable[[Row], tuple[bool, str]]]] = [
    (
        "hot_auction", "sqlite", "≥ 500 accepted bids/s, p99 ≤ 100 ms, 0 errors, ratio to noop ≥ 0.30",
        lambda r: (
            (r["accepted_per_s"] or 0) >= 500 and (r["p99_ms"] or 1e9) <= 100 and r["errors"] == 0
            and (r["ratio_to_baseline"] or 0) >= 0.30,
            f"{r['accepted_per_s']} accepted/s, p99 {r['p99_ms']} ms, {r['errors']} errors, "
            f"ratio {r['ratio_to_baseline']}",
        ),
    ),
    (
        "hot_auction", "postgres", "≥ 400 accepted bids/s, p99 ≤ 120 ms, 0 errors",
        lambda r: (
            (r["accepted_per_s"] or 0) >= 400 and (r["p99_ms"] or 1e9) <= 120 and r["errors"] == 0,
            f"{r['accepted_per_s']} accepted/s, p99 {r['p99_ms']} ms, {r['errors']} errors",
        ),
    ),
    (
        "spread_bids", "postgres", "≥ 600 bids/s, 0 errors",
        lambda r: (
            (r["accepted_per_s"] or 0) >= 600 and r["errors"] == 0,
            f"{r['accepted_per_s']} accepted/s ({r['rps']} answered/s), {r['errors']} errors",
        ),
    ),
    (
        "browse_list", None, "p95 ≤ 30 ms at concurrency 8, ≥ 500 requests/s",
        lambda r: ((r["p95_ms"] or 1e9) <= 30 and r["rps"] >= 500, f"p95 {r['p95_ms']} ms, {r['rps']} req/s"),
    ),
    (
        "auction_detail", None, "≥ 0.6 of noop",
        lambda r: ((r["ratio_to_baseline"] or 0) >= 0.6, f"ratio {r['ratio_to_baseline']} ({r['rps']} req/s)"),
    ),
    (
        "settle_batch", None, "10,000 settled in ≤ 10 s, each exactly once",
        lambda r: (
            r["settled"] == r["total"] == r.get("settled_by_passes")
            and r["total"] >= 10_000 and (r["seconds"] or 1e9) <= 10 and r["errors"] == 0,
            f"{r['settled']}/{r['total']} settled in {r['seconds']} s; the passes report {r.get('settled_by_passes')}"
            f" settled, {r.get('emails')} emails",
        ),
    ),
    (
        "settle_lag", None, "p99 ≤ 1 s",
        lambda r: (
            r["settled"] == r["total"] and (r["lag_p99_ms"] or 1e9) <= 1000,
            f"{r['settled']}/{r['total']} settled, lag p50 {r['lag_p50_ms']} ms, p99 {r['lag_p99_ms']} ms",
        ),
    ),
]  # fmt: skip

COLUMNS = [
    ("scenario", "scenario"), ("database", "db"), ("cache", "cache"), ("concurrency", "conc"),
    ("duration_s", "s"), ("requests", "requests"), ("rps", "req/s"), ("accepted_per_s", "accepted/s"),
    ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"), ("p99_ms", "p99 ms"), ("errors", "errors"),
    ("baseline_rps", "noop req/s"), ("ratio_to_baseline", "ratio"), ("server_cpu_ms_per_request", "server CPU ms/req"),
    ("settled", "settled"),
    ("seconds", "settle s"), ("lag_p50_ms", "lag p50 ms"), ("lag_p99_ms", "lag p99 ms"),
]  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(result: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in result["runs"]:
        cells = [_cell(row.get(key)) for key, _ in COLUMNS]
        if not row.get("available", True):
            cells[0] += " (endpoint missing)"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(result: dict[str, Any]) -> str:
    lines = ["| scenario | db | target | measured | holds |", "|---|---|---|---|---|"]
    caches = result["settings"].get("caches") or ["db"]
    for scenario, database, description, check in TARGETS:
        rows = [
            r
            for r in result["runs"]
            if r["scenario"] == scenario
            and (database is None or r["database"] == database)
            and r.get("cache", caches[0]) == caches[0]
        ]
        if not rows:
            lines.append(f"| {scenario} | {database or 'both'} | {description} | not run | - |")
        for row in rows:
            if not row.get("available", True):
                lines.append(f"| {scenario} | {row['database']} | {description} | endpoint/command missing | no |")
                continue
            holds, measured = check(row)
            lines.append(
                f"| {scenario} | {row['database']} | {description} | {measured} | {'yes' if holds else 'NO'} |"
            )
    return "\n".join(lines)


FINDINGS = Path(__file__).resolve().parent / "FINDINGS.md"


def render(result: dict[str, Any]) -> str:
    findings = FINDINGS.read_text() if FINDINGS.exists() else ""
    return _render(result) + ("\n" + findings if findings else "")


def _quick_caveat(plan: dict[str, Any]) -> str:
    return f"""A quick run checks that the harness works end to end; it does not measure the targets. Its data
is smaller (see Settings): settle_batch settles {plan["settle_batch"]:,} auctions, and browse_list's
filtered lists, out of {plan["browse_auctions"]:,} auctions, are shorter than those whose pages are kept
(`LIST_COUNT_CACHE_MIN_COUNT`), so every request builds its page. The targets are judged on a full
`make bench`.

"""


def _render(result: dict[str, Any]) -> str:
    m, s = result["machine"], result["settings"]
    plan = s["plan"]
    return f"""# Benchmarks

Generated by `make bench{" QUICK=1" if result["mode"] == "quick" else ""}` at {result["generated_at"]}
({result["mode"]} mode, {result["wall_seconds"]} s wall) from `bench/results/latest.json` — do not edit by hand;
run `make bench` again. How the harness works and how to read the figures: see the end of this page.

## Machine and versions
- CPU: {m["cpu"]} — {m["cores"]} cores, shared; load average before the run {result["load_average_before"]},
  after {result["load_average_after"]} (figures taken while other jobs run on the machine are noisy).
- Python {m["python"]}, Django {m["django"]}, DRF {m["djangorestframework"]}, django-oauth-toolkit
  {m["django_oauth_toolkit"]}, gunicorn {m["gunicorn"]}, PostgreSQL {m["postgresql"]}, SQLite {m["sqlite"]};
  commit `{m["git_commit"]}`.

## Settings
- `{s["django_settings"]}`; gunicorn workers: {s["gunicorn_workers"]}, threads each: {s["gunicorn_threads"]}
  ({"gthread, keep-alive" if s["gunicorn_threads"] > 1 else "sync"}).
- Throttles: {s["throttles"]}. Throttle cache: {", ".join(s["caches"])} (the first runs every scenario; the
  others repeat the bidding scenarios, the only ones that write to the throttle cache; their ratio uses
  the first server's noop).
- Explore lists' kept counts and pages: {s.get("list_cache", "the defaults (README, Settings)")}.
- Data: {plan["browse_auctions"]:,} auctions with {plan["browse_bids"]:,} bids for browse_list/auction_detail
  ({plan["detail_auctions"]} auctions with {plan["detail_bids"]:,} bids each for auction_detail);
  {plan["spread_auctions"]:,} open auctions for spread_bids; settle_batch {plan["settle_batch"]:,} auctions,
  {plan["settle_processes"]} `close_auctions` processes; settle_lag {plan["settle_lag"]} auctions ending over
  {plan["settle_lag_spread_s"]:.0f} s.
- Each HTTP scenario: {plan["warmup"]} s warm-up, then {plan["duration"]} s measured, {plan.get("rounds", 1)} round(s)
  interleaved with noop (hot_auction: once, {plan["hot_duration"]} s); {plan["logins"]} of the hot_auction
  bidders first get their token through `POST /api/auth/token`.

## Targets
{_quick_caveat(plan) if result["mode"] == "quick" else ""}{targets(result)}

## Every figure
{table(result)}

## How to read it
- `noop` is `GET /api/v1/ping`: token check and nothing else — the framework ceiling, run at the same
  concurrency as each scenario in the same server (quick mode: the nearest lower one); `ratio` is a
  scenario's req/s over it.
- Rounds (full mode): noop and each short scenario run in turn, several rounds over; a row gives the
  median of its rounds for req/s, accepted/s, each latency percentile and CPU per request, and the sum for
  requests, errors and seconds; `ratio` is the median of the per-round ratios to that round's noop
  (the throughput of this shared machine drifts by 2x within a minute; a ratio of runs taken minutes
  apart measures the drift). The JSON keeps each round's req/s under `rounds_rps`.
- Latencies are client-side, per request, from a closed loop of N virtual users (`bench/load.py`, a small
  asyncio HTTP/1.1 client in its own process, on the same 2 cores as the server).
- Bidding: each bidder bids the highest `minimum_bid` any bidder of the driver has heard for that
  auction (a 201 and a 409 both carry it; the watching leader's reads too), the current minimum as far
  as the bidders know it; a leader does not bid against itself (in hot_auction it watches the auction
  instead: those reads are not in req/s or the latencies). `req/s` counts every bid answered: 201
  accepted, or 409 outbid, which the server refuses from a plain read before the row lock when the bid
  is already below the minimum (`auctions/services.py`, `bid_place`), so in hot_auction, where most bids
  are outbid before they arrive, req/s and the latencies are mostly those refusals. `accepted/s` counts
  201s only. `errors` are 5xx (on any request of the measured time, the watching leader's too),
  connection resets and timeouts.
- `browse_list` and `auction_detail` send no token, as a visitor exploring public auctions does; `noop`
  is an authenticated request, so their ratio to it compares a public read with a token check.
- `server CPU ms/req`: CPU seconds the gunicorn master and workers used during the scenario (from
  /proc), over the requests sent. Unlike req/s it hardly moves when other jobs share the cores, so it is
  the figure to compare between runs; 2 cores / CPU per request is the ceiling of this machine.
- settle_batch: auctions that all end in the same second, then `close_auctions` processes started at
  once; `settle s` runs from their start (Python start-up included) to the last `settled_at` of the batch;
  the passes then send the emails (`passes_exit_s` in the JSON: until both have exited). `settled` must
  equal the batch, and so must the sum of the passes' own "settled N" lines (exactly once).
- settle_lag: `run_workers` running while auctions end; lag = `settled_at - end_time`.
"""


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print(render(json.load(handle)))
