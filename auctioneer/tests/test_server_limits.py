"""What gunicorn refuses before Django sees the request, as a client sees it: still a problem,
and documented in the schema."""

import importlib.util
import socket
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
from django.conf import settings

from auctioneer.schema import SchemaGenerator
from auctioneer.testing import BASE_DIR
from auctioneer.urls import api_info

PROBLEM = "application/problem+json"
INCREMENTS = "/api/v1/metadata/bid-increments"


def _gunicorn_request_line_limit() -> int:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", BASE_DIR / "auctioneer" / "gunicorn_conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return int(module.limit_request_line)


def _get_with_request_line_of(live, length: int) -> requests.Response:
    # "GET <path>?q=<padding> HTTP/1.1": pad the query to make the request line `length` bytes.
    fixed = len(f"GET {INCREMENTS}?q= HTTP/1.1")
    return requests.get(f"{live.url}{INCREMENTS}?q={'a' * (length - fixed)}", timeout=10)


def test_a_request_line_over_the_limit_is_a_414_problem_and_one_at_the_limit_is_served(live):
    limit = _gunicorn_request_line_limit()

    at_limit = _get_with_request_line_of(live, limit)
    over = _get_with_request_line_of(live, limit + 1)

    assert at_limit.status_code == HTTPStatus.OK  # unknown query parameters are ignored
    assert over.status_code == HTTPStatus.REQUEST_URI_TOO_LONG
    assert over.headers["Content-Type"] == PROBLEM
    body = over.json()
    assert body["status"] == 414
    assert body["title"] == "URI Too Long"
    assert body["type"] == "urn:auctioneer:problem:request-line-too-long"
    assert str(limit) in body["detail"]


def test_a_malformed_request_gunicorn_refuses_is_a_problem_too(live):
    address = urlsplit(live.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Type: application/problem+json" in head
    assert b'"status": 400' in body
    assert b'"type": "urn:auctioneer:problem:malformed-request"' in body


def test_the_schema_documents_both_size_limits():
    schema = SchemaGenerator(info=api_info).get_schema(request=None, public=True)
    operations = [
        operation
        for path in schema["paths"].values()
        for method, operation in path.items()
        if method != "parameters" and isinstance(operation, dict)
    ]
    limit = f"{_gunicorn_request_line_limit():,}"

    assert all(limit in op["responses"]["414"]["description"] for op in operations)
    writes = [
        operation
        for path in schema["paths"].values()
        for method, operation in path.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(writes) == 15  # 7 of the Authorization API, 8 of the Management API
    assert all(f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}" in op["responses"]["413"]["description"] for op in writes)
    assert all("chunked" in op["responses"]["411"]["description"] for op in writes)
