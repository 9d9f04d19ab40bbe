"""The problem-details body (RFC 9457) itself, with no Django in it, so that gunicorn's
configuration can answer what it refuses in the same format (auctioneer/gunicorn_conf.py).
Everything else reaches it through auctioneer.problems."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:auctioneer:problem:"


def problem(
    status_code: int,
    *,
    detail: str,
    problem_type: str | None = None,
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    phrase = HTTPStatus(status_code).phrase
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + problem_type if problem_type else "about:blank",
        "title": title or phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body
