"""The reliability suite's recorder (a pytest plugin, loaded by the root conftest.py): tests
call ``reliability_record(kind, what, count)``; at the end of the session the rows (with each
test's outcome) become docs/reliability.md. Fault tests that live with their own feature are
listed in EXTERNAL and reported too."""

from collections.abc import Callable

import pytest

from . import report

_ROWS: dict[str, list[dict]] = {}

# node id prefix -> (kind, what, count per test): fault tests that live beside their own feature, reported here too.
EXTERNAL = {
    "workers/tests/test_processes.py::test_a_pass_killed_midway_is_finished_by_the_next": (
        "fault",
        "close_auctions pass kill -9'd midway (settling / emailing), rerun settles each auction once",
        600,
    ),
    "workers/tests/test_processes.py::test_two_passes_at_once_settle_1000_auctions_once_each": (
        "fault",
        "two close_auctions passes at once over the same due auctions, each settled once",
        1000,
    ),
}
_RECORDS = pytest.StashKey[list[dict]]()


@pytest.fixture
def reliability_record(request: pytest.FixtureRequest) -> Callable[[str, str, int], None]:
    rows = request.node.stash.setdefault(_RECORDS, [])

    def record(kind: str, what: str, count: int) -> None:
        assert kind in report.KINDS, kind
        for row in rows:
            if row["kind"] == kind and row["what"] == what:
                row["count"] += count
                return
        rows.append({"kind": kind, "what": what, "count": count})

    return record


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    rep = yield
    if rep.skipped:
        return rep
    rows = item.stash.get(_RECORDS, [])
    for prefix, (kind, what, count) in EXTERNAL.items():
        if item.nodeid.startswith(prefix) and not rows:
            rows = [{"kind": kind, "what": what, "count": count}]
    if rows and (rep.when == "call" or rep.failed):
        outcome = "held" if rep.passed else "FAILED"
        for row in rows:
            key = f"{row['kind']}::{row['what']}"
            previous = _ROWS.setdefault(key, [])
            # Parametrised tests add up; one failure marks the whole row.
            previous.append({**row, "outcome": outcome, "nodeid": item.nodeid, "when": rep.when})
    return rep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller writes the report
    merged = []
    for entries in _ROWS.values():
        by_test = {(e["nodeid"]): e for e in entries}  # one row per test, last phase wins
        merged.append(
            {
                "kind": entries[0]["kind"],
                "what": entries[0]["what"],
                "count": sum(e["count"] for e in by_test.values()),
                "outcome": "held" if all(e["outcome"] == "held" for e in entries) else "FAILED",
            }
        )
    report.save_rows(merged)
