"""The README's API examples, run as written against a live server, so that the front door
cannot rot: its first auction example once carried a fixed `end_time` that the 365-day limit
came to refuse, and bid with the seller's own token."""

import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from auctioneer.testing import BASE_DIR, live_server

README = (BASE_DIR / "README.md").read_text()
EXAMPLE_HOST = "http://127.0.0.1:8000"
# Every curl of an example fails the script on an HTTP error, and prints its answer on a line of
# its own.
PRELUDE = 'set -euo pipefail\ncurl() { command curl --fail-with-body --show-error "$@"; echo; }\n'


def shell_example(section: str) -> str:
    """The first ```sh block under the README's `## {section}` heading."""
    text = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert found, f"no sh example under '## {section}'"
    return found.group(1)


def run_example(script: str, server_url: str) -> list[Any]:
    result = subprocess.run(
        ["bash", "-c", PRELUDE + script.replace(EXAMPLE_HOST, server_url)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_the_readme_api_examples_work_as_written():
    with live_server(WEB_CONCURRENCY="2") as server:
        registered, token = run_example(shell_example("Accounts and tokens"), server.url)
        assert registered["user"]["username"] == "ann"
        assert token["token_type"] == "Bearer"

        # "from a second account, registered and logged in the same way"
        second = requests.post(
            server.url + "/api/auth/register",
            json={"username": "ben", "email": "ben@example.com", "password": "another long passphrase 8"},
            timeout=10,
        )
        assert second.status_code == 201, second.text
        script = (
            shell_example("Auctions and bids")
            .replace("<ann access_token>", token["access_token"])
            .replace("<second account access_token>", second.json()["access_token"])
        )
        assert "<" not in script.split("\ncurl", 1)[0], "a placeholder the test does not fill"
        auction, bid, listing = run_example(script, server.url)

    assert auction["id"] == 1  # the bid example's auctions/1
    assert auction["status"] == "open"
    assert auction["seller"]["username"] == "ann"
    week_ahead = datetime.now(UTC) + timedelta(days=7)
    assert abs(datetime.fromisoformat(auction["end_time"]) - week_ahead) < timedelta(minutes=5)
    assert bid["bidder"]["username"] == "ben"
    assert (bid["amount"], bid["max_amount"], bid["current_price"], bid["leading"]) == ("10.00", "40.00", "10.00", True)
    assert [row["id"] for row in listing["results"]] == [1]
