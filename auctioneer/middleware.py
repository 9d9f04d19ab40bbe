"""Request guards that run before any view reads the request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from auctioneer.problems import body_size_problem


class BodySizeLimitMiddleware:
    """Refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413) or of unknown size (411) before
    authentication, parsing or a view can read it (auctioneer.problems.body_size_problem)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return body_size_problem(request) or self.get_response(request)
