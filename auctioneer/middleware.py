"""Request guards that run before any view reads the request."""

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed, JsonResponse

from auctioneer.problems import json_problem_response, problem_for_empty_error


class BodySizeLimitMiddleware:
    """Refuses a body the server will not read, before authentication, parsing or a view can
    read it: larger than DATA_UPLOAD_MAX_MEMORY_SIZE (413), or chunked, whose size is unknown
    until it has been read (411). Django checks the size only when it reads a form; DRF reads
    JSON from the stream, so nothing else would."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return _refusal(request) or self.get_response(request)


def _refusal(request: HttpRequest) -> JsonResponse | None:
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return json_problem_response(411, "Send the body with a Content-Length, not chunked.", "length-required")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return json_problem_response(400, "The Content-Length header is not a number.", "bad-request")
    if limit is not None and length > limit:
        detail = f"The body is {length} bytes; at most {limit} are accepted."
        return json_problem_response(413, detail, "payload-too-large")
    return None


class UnknownMethodFirstMiddleware:
    """A method a class-based view has no handler for is 405, with `Allow`, before the view
    authenticates or checks permissions. DRF checks those first, so `DELETE /api/v1/auctions`
    without a token was a 401 asking for a token that no token could make good. The body is
    filled in by EmptyErrorBodyMiddleware, as for Django's own 405s."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        view_class = getattr(view_func, "view_class", None)
        if view_class is None or hasattr(view_func, "actions"):  # a function, or a viewset's action map
            return None
        allowed = _allowed_methods(view_class)
        if (request.method or "").lower() in allowed:
            return None
        return HttpResponseNotAllowed([method.upper() for method in allowed])


@functools.cache
def _allowed_methods(view_class: type) -> tuple[str, ...]:
    """What Django's `View` allows (`_allowed_methods`): each method it has a handler for, and
    HEAD wherever GET is (`View.setup`)."""
    return tuple(
        method
        for method in view_class.http_method_names  # type: ignore[attr-defined]
        if hasattr(view_class, method) or (method == "head" and hasattr(view_class, "get"))
    )


class EmptyErrorBodyMiddleware:
    """An error answered with no body at all, as Django's own `HttpResponseNotAllowed` and
    django-oauth-toolkit's views answer (`GET /o/token/`: 405; `/o/introspect/` without a
    token: 403), gets a problem-details body like every other error, so no part of the service
    answers an empty `text/html` error. Errors that have a body keep it: the OAuth 2.0 endpoints'
    JSON errors are RFC 6749's format, and the admin's pages are its own. The response is
    completed in place, so its headers (`Allow`, `WWW-Authenticate`, ...) stay."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and isinstance(response, HttpResponse)
            and not response.content
            and response.get("Content-Type", "").startswith("text/html")
        ):
            filled = problem_for_empty_error(request, response.status_code)
            response.content = filled.content
            response["Content-Type"] = filled["Content-Type"]
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
