"""Bearer-token authentication for the APIs: DOT's, with its OAuthLib server built once."""

from functools import cache
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.signals import setting_changed
from django.dispatch import receiver
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.oauth2_backends import OAuthLibCore, get_oauthlib_core
from rest_framework.request import Request


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


class BearerAuthentication(OAuth2Authentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        # OAuth2Authentication.authenticate, with the shared server.
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
        request.oauth2_error = getattr(r, "oauth2_error", {})  # type: ignore[attr-defined]  # read by authenticate_header
        return None
