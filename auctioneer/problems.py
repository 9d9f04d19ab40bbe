"""RFC 9457 problem details: the one error format of every API in Auctioneer.

Every error under /api/ — DRF's own, Django's 404/500, and the domain's
`ApplicationError` — leaves through `problem_response` with the same shape:
``{"type", "title", "status", "detail"}`` plus ``errors`` for validation failures.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from auctioneer.problem_format import PROBLEM_CONTENT_TYPE, problem

__all__ = ["PROBLEM_CONTENT_TYPE", "problem"]  # the format's names, for the rest of the project

UNAVAILABLE_RETRY_AFTER_SECONDS = 5

# What a request cannot do without, by the errors its client reports when it is down,
# restarting or locked: a retryable 503, never a 500.
_UNAVAILABLE: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str], ...] = (
    # Django closes the broken connection when the request ends, so the next one reconnects.
    ((OperationalError, InterfaceError), "database"),
    # REDIS_URL's cache: it keeps the throttles' histories, which bids, writes and logins need.
    (RedisError, "cache"),
)

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A domain rule refused the request. Services raise it; the API maps it once."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    problem_type: str = "bad-request"
    title: str = "Bad Request"

    def __init__(
        self,
        detail: str,
        *,
        status_code: int | None = None,
        problem_type: str | None = None,
        title: str | None = None,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        if problem_type is not None:
            self.problem_type = problem_type
        if title is not None:
            self.title = title
        self.errors = errors
        self.extra = extra or {}


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    problem_type = "conflict"
    title = "Conflict"


class ForbiddenError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    problem_type = "forbidden"
    title = "Forbidden"


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    problem_type = "not-found"
    title = "Not Found"


class InvalidInputError(ApplicationError):
    """A value is wrong on its own (bad money, bad time): 400 with field errors."""

    status_code = status.HTTP_400_BAD_REQUEST
    problem_type = "validation-error"
    title = "Invalid input"


class UnprocessableError(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    problem_type = "unprocessable"
    title = "Unprocessable request"


class ServiceUnavailableError(ApplicationError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    problem_type = "service-unavailable"
    title = "Service unavailable"


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into ``{"field.sub": ["message", ...]}``."""
    errors: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten_errors(value, name).items():
                errors.setdefault(field, []).extend(messages)
    elif isinstance(data, list):
        if all(not isinstance(v, (dict, list)) for v in data):
            errors.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in data)
        else:
            for index, value in enumerate(data):
                name = f"{prefix}.{index}" if prefix else str(index)
                for field, messages in _flatten_errors(value, name).items():
                    errors.setdefault(field, []).extend(messages)
    else:
        errors.setdefault(prefix or "non_field_errors", []).append(str(data))
    return errors


_DRF_TYPES = {
    exceptions.ValidationError: "validation-error",
    exceptions.ParseError: "malformed-request",
    exceptions.AuthenticationFailed: "not-authenticated",
    exceptions.NotAuthenticated: "not-authenticated",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not-found",
    exceptions.MethodNotAllowed: "method-not-allowed",
    exceptions.NotAcceptable: "not-acceptable",
    exceptions.UnsupportedMediaType: "unsupported-media-type",
    exceptions.Throttled: "throttled",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error becomes a problem-details response."""
    request = context.get("request")
    if request is not None and not isinstance(getattr(request, "accepted_renderer", None), JSONRenderer):
        # Views that answer in HTML or YAML (the docs) still answer their errors in JSON.
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), PROBLEM_CONTENT_TYPE
    if isinstance(exc, ApplicationError):
        return problem_response(
            problem(
                exc.status_code,
                detail=exc.detail,
                problem_type=exc.problem_type,
                title=exc.title,
                errors=exc.errors,
                extra=exc.extra,
            )
        )
    unavailable = next((what for errors, what in _UNAVAILABLE if isinstance(exc, errors)), None)
    if unavailable:
        logger.warning("%s unavailable: %s", unavailable, exc)
        return problem_response(
            problem(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail=f"The {unavailable} is unavailable; retry shortly.",
                problem_type=ServiceUnavailableError.problem_type,
                title=ServiceUnavailableError.title,
            ),
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )

    # DRF's own handler maps Http404/PermissionDenied and sets WWW-Authenticate / Retry-After.
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's handler500 answers (see auctioneer.urls)

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    assert isinstance(exc, exceptions.APIException)

    problem_type = next((slug for cls, slug in _DRF_TYPES.items() if isinstance(exc, cls)), None)
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            response.status_code,
            detail="The request has invalid fields; see errors.",
            problem_type=problem_type,
            title="Invalid input",
            errors=_flatten_errors(exc.detail),
        )
    else:
        detail = exc.detail
        body = problem(
            response.status_code,
            detail=str(detail) if not isinstance(detail, (dict, list)) else str(exc),
            problem_type=problem_type,
        )
    headers = {k: v for k, v in response.headers.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    return problem_response(body, headers=headers)


def json_problem_response(status_code: int, detail: str, problem_type: str | None = None) -> JsonResponse:
    """A problem answered outside DRF (Django's error handlers, middleware)."""
    return JsonResponse(
        problem(status_code, detail=detail, problem_type=problem_type),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


# Django's own error pages: the same types (and so titles) as the API's errors of that status.
def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_problem_response(404, f"No resource at {request.path}.", NotFoundError.problem_type)


def handler500(request: HttpRequest) -> JsonResponse:
    return json_problem_response(500, "The server failed to answer; the error has been logged.")


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_problem_response(400, "The request could not be understood.", ApplicationError.problem_type)


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_problem_response(403, "You may not do this.", ForbiddenError.problem_type)


def problem_for_empty_error(request: HttpRequest, status_code: int) -> JsonResponse:
    """The problem for an error a view answered with no body (auctioneer.middleware)."""
    if status_code == status.HTTP_403_FORBIDDEN:
        return handler403(request)
    if status_code == status.HTTP_404_NOT_FOUND:
        return handler404(request)
    if status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        detail = f"{request.method} is not allowed here; the Allow header lists what is."
        return json_problem_response(status_code, detail, _DRF_TYPES[exceptions.MethodNotAllowed])
    if status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        return handler500(request)
    return json_problem_response(status_code, "The request was refused.")
