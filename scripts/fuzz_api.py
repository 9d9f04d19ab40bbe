#!/usr/bin/env python
"""Schema fuzzing: schemathesis over every operation of the drf-yasg schema
(/api/v1/swagger.json), against a live gunicorn started from the working tree on a throwaway
database (SQLite, or PostgreSQL when DATABASE_URL says so), with bearer tokens for two users
who must not see or change each other's things.

Checks: no 5xx, every response conforms to the schema (status, content type, headers, body),
inputs the schema forbids are refused and inputs it allows are not, auth is enforced, and one
user never gets the other's private objects. Bounded by --max-examples per operation; the seed
is printed so a failure replays with `scripts/fuzz_api.py --seed N`.

    .venv/bin/python scripts/fuzz_api.py [--max-examples 10] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from auctioneer.testing import live_server  # noqa: E402
from auctioneer.tests.reliability import report  # noqa: E402
from auctioneer.tests.reliability.live_seed import seed  # noqa: E402

# Every check schemathesis has is on by default (not passing --checks keeps the per-operation
# settings below in force; `--checks all` would override them).
CHECKS = "all"
# Operations whose valid-by-schema bodies can still break a rule a Swagger 2.0 schema cannot
# state: a code or id that must exist (condition, currency, item), a time that must be in the
# future, prices that must be ordered, the auction's currency decimals, a password's strength or
# correctness. SPEC.md answers those with 400, so 400 is an accepted answer to positive data there.
BUSINESS_RULE_400 = [
    "POST /v1/items",
    "PATCH /v1/items/{item_id}",
    "POST /v1/auctions",
    "PATCH /v1/auctions/{auction_id}",
    "POST /v1/auctions/{auction_id}/bids",
    "POST /auth/register",
    "POST /auth/token/refresh",
    "PATCH /auth/account",
    "POST /auth/account/password",
    "DELETE /auth/account",
]
# Swagger 2.0 has one `produces` per operation, not per response, so a 204 (no body, no
# Content-Type) cannot be told apart from a missing header on these operations.
NO_CONTENT = [
    "POST /auth/token/revoke",
    "POST /auth/account/password",
    "DELETE /auth/account",
    "DELETE /v1/items/{item_id}",
]
# Token revocation, password change and account deletion end the caller's own session: they
# are fuzzed after everything else, with disposable users of their own. Revocation ends it on
# its first 204, so it has a pass and users of its own too: sharing theirs, it left the account
# operations nothing but 401s to check.
ACCOUNT = r"^/auth/(account/password|account)$"
REVOKE = r"^/auth/token/revoke$"
SESSION_ENDING = f"{ACCOUNT}|{REVOKE}"


def _auth_files(workdir: Path, tokens: dict[str, str], tag: str) -> Path:
    wfc = workdir / f"auth-{tag}.json"
    wfc.write_text(
        json.dumps(
            {
                "schemaVersion": "0.1.0",
                "auth": [
                    {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}]}
                    for name, token in tokens.items()
                ],
            }
        )
    )
    config = workdir / f"schemathesis-{tag}.toml"
    peers = ", ".join(f'"{name}"' for name in tokens)
    lines = ["[auth]", "auto-signup = false", "", "[auth.wfc]", f'path = "{wfc}"', f"peers = [{peers}]", ""]
    statuses = '["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]'
    for name in BUSINESS_RULE_400:
        lines += ["[[operations]]", f'include-name = "{name}"']
        lines += [f"checks.positive_data_acceptance.expected-statuses = {statuses}", ""]
    for name in NO_CONTENT:
        lines += ["[[operations]]", f'include-name = "{name}"', "checks.content_type_conformance.enabled = false", ""]
    config.write_text("\n".join(lines))
    return config


def _schemathesis(config: Path, url: str, args: argparse.Namespace, workdir: Path, tag: str, *filters: str) -> dict:
    junit = workdir / f"junit-{tag}.xml"
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{url}/api/v1/swagger.json",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
        *filters,
    ]
    print("$", " ".join(command), flush=True)
    # cwd: schemathesis keeps its replay files (.schemathesis/) there, not in the repository.
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    print(result.stdout[-20000:], result.stderr[-5000:], sep="\n", flush=True)
    summary = result.stdout
    cases = re.search(r"Test cases:\s+(\d+) generated", summary)
    operations = re.search(r"API Operations:\s+(\d+) selected / (\d+) total", summary)
    tested = re.search(r"Tested:\s+(\d+)", summary)
    return {
        "returncode": result.returncode,
        "cases": int(cases.group(1)) if cases else 0,
        "operations": int(tested.group(1)) if tested else int(operations.group(1)) if operations else 0,
        "total_operations": int(operations.group(2)) if operations else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "10")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", secrets.randbelow(2**31))))
    parser.add_argument("--no-report", action="store_true", help="do not update docs/reliability.md")
    args = parser.parse_args()
    print(f"schemathesis seed: {args.seed} (replay: scripts/fuzz_api.py --seed {args.seed})", flush=True)

    # Fuzzing is not a load test: the throttles must not turn answers into 429s.
    unthrottled = {
        f"THROTTLE_{name}": "1000000/min"
        for name in ("BIDS", "AUCTIONS", "WRITES", "TOKEN_USERNAME", "TOKEN_ADDRESS", "REGISTER", "ACCOUNT")
    }
    server_env = {**unthrottled, "LOG_LEVEL": "ERROR"}
    with tempfile.TemporaryDirectory(prefix="auctioneer-fuzz-") as tmp, live_server(**server_env) as server:
        workdir = Path(tmp)
        mine = {"seller": "alice", "seconds": 2 * 24 * 3600}
        theirs = {"seller": "bob", "seconds": 2 * 24 * 3600}
        seeded = seed(server, users=["alice", "bob"], auctions={"a": mine, "b": theirs})
        main_config = _auth_files(workdir, seeded["tokens"], "main")
        first = _schemathesis(main_config, server.url, args, workdir, "main", "--exclude-path-regex", SESSION_ENDING)
        runs = [first]
        for tag, users, paths in (("account", ["carol", "dave"], ACCOUNT), ("revoke", ["erin", "frank"], REVOKE)):
            config = _auth_files(workdir, seed(server, users=users)["tokens"], tag)
            runs.append(_schemathesis(config, server.url, args, workdir, tag, "--include-path-regex", paths))

    ok = all(run["returncode"] == 0 for run in runs)
    cases = sum(run["cases"] for run in runs)
    operations = sum(run["operations"] for run in runs)
    print(
        f"schemathesis: {cases} test cases over {operations} operations, seed {args.seed}: {'OK' if ok else 'FAILED'}"
    )
    if not args.no_report:
        outcome = "held" if ok else "FAILED"
        report.save_rows(
            [
                {
                    "kind": "fuzz",
                    "what": f"generated requests, checks={CHECKS}, two users",
                    "count": cases,
                    "outcome": outcome,
                },
                {
                    "kind": "fuzz",
                    "what": "operations fuzzed (every one in swagger.json)",
                    "count": operations,
                    "outcome": outcome,
                },
            ]
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
