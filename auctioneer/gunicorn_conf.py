"""gunicorn settings; every value can be overridden by the environment."""

import json
import multiprocessing
import os
import socket

from gunicorn import util

# gunicorn puts its working directory (the repository) on sys.path before reading this file.
from auctioneer.http_limits import REQUEST_LINE_MAX_BYTES
from auctioneer.problem_format import PROBLEM_CONTENT_TYPE, problem

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "" turns the access log off
errorlog = "-"
wsgi_app = "auctioneer.wsgi:application"
# Servers are managed by pid file and signals (make targets); gunicorn's control socket has
# one default path per user, which several servers on one host would fight over.
control_socket_disable = True
limit_request_line = REQUEST_LINE_MAX_BYTES


# The problem types of what gunicorn refuses, in the API's own `urn:auctioneer:problem:` names.
_PROBLEM_TYPES = {400: "malformed-request", 414: "request-line-too-long", 431: "header-fields-too-large"}


def _write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """What gunicorn answers itself, before Django sees the request (a request line over
    `limit_request_line`: 414; header fields too large: 431; a malformed request: 400), is
    problem details like every other error of the API, not gunicorn's HTML page. gunicorn picks
    the status, reason and message (workers/base.py, `handle_error`); only the body changes."""
    body = json.dumps(
        problem(status_int, detail=mesg or reason, title=reason, problem_type=_PROBLEM_TYPES.get(status_int))
    )
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: {PROBLEM_CONTENT_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, (head + body).encode("latin1"))


util.write_error = _write_problem  # gunicorn has no setting for its error page; workers fork from here
