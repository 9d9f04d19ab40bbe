"""Bearer-token authentication for the APIs: DOT's, with its OAuthLib server built once."""

from functools import cache
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.signals import setting_changed
from django.dispatch import receiver
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.oauth2_backends import OAuthLibCore, get_oauthlib_core
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

REFUSED_BEARER = "The access token is invalid, expired or revoked."


@cache
def _oauthlib_core() -> OAuthLibCore:
    """DOT builds a validator, an OAuthLib server with its five endpoints and grant types for
    every request it authenticates (~5 % of a no-op request's CPU, py-spy). None of them keeps
    per-request state, so one per process serves every request; it is rebuilt when a test
    changes the OAUTH2_PROVIDER setting."""
    return get_oauthlib_core()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "OAUTH2_PROVIDER":
        _oauthlib_core.cache_clear()


def _names_bearer(request: Request) -> bool:
    scheme, _, _credentials = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer"


class BearerAuthentication(OAuth2Authentication):
    """DOT's OAuth2Authentication, with the shared server, and strict about tokens it is sent.

    A request with no bearer token (no Authorization header, or another scheme) is anonymous
    and may read public data. A request whose token is refused (unknown, expired, revoked, its
    user deactivated, or a malformed `Bearer` header) is a 401 wherever this class
    authenticates, public reads included, as RFC 6750 §3.1 and DRF's own token authentication
    do: a client whose token has lapsed learns so at once, instead of being served the
    anonymous view of a page that differs for its user (a bid history shows the caller's own
    `max_amount`)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        if request is None:
            return None
        try:
            valid, r = _oauthlib_core().verify_request(request, scopes=[])
        except ValueError as error:
            if str(error) == "Invalid hex encoding in query string.":
                raise SuspiciousOperation(error) from error
            raise
        if valid:
            return r.user, r.access_token
        refusal = getattr(r, "oauth2_error", None)
        if not refusal and not _names_bearer(request):
            return None  # no bearer token: anonymous
        # Read by authenticate_header for the 401's WWW-Authenticate.
        request.oauth2_error = refusal or {"error": "invalid_token"}  # type: ignore[attr-defined]
        raise AuthenticationFailed(REFUSED_BEARER)
