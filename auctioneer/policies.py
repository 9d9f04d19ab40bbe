"""Who may write, and how often: one policy for every API view that writes (the Management
API's items, auctions and bids, the Authorization API's account)."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass


class InsufficientScope(PermissionDenied):
    """A 403 for a token without the scope a request needs. DRF's exception handler sends
    `auth_header` as `WWW-Authenticate`."""

    def __init__(self, detail: str, auth_header: str | None) -> None:
        super().__init__(detail)
        self.auth_header = auth_header


class WritesNeedWriteScope(BasePermission):
    """A write needs a token with the `write` scope (SPEC.md: scopes `read`, `write`); reads
    and anonymous callers are left to the other permission classes. The refusal is a 403 whose
    challenge names the scope (RFC 6750 §3.1: `error="insufficient_scope"`, `scope="write"`),
    rendered by the authenticator that renders the 401's."""

    message = "This token lacks the `write` scope."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS or request.auth is None:
            return True
        allow_scopes = getattr(request.auth, "allow_scopes", None)
        if allow_scopes is None or allow_scopes(["write"]):
            return True
        request.oauth2_error = {  # type: ignore[attr-defined]
            "error": "insufficient_scope",
            "error_description": self.message,
            "scope": "write",
        }
        authenticator = request.successful_authenticator
        challenge = None
        if isinstance(authenticator, BaseAuthentication):  # not a test's forced authentication
            challenge = authenticator.authenticate_header(request)
        raise InsufficientScope(self.message, challenge)


class WritePolicyMixin:
    """Public reads; writes need a bearer token with the `write` scope and are throttled per
    user. `throttle_scope` names the rate in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]; the
    cache is shared by all processes. Reads are not throttled."""

    permission_classes: "Sequence[_PermissionClass]" = [IsAuthenticatedOrReadOnly, WritesNeedWriteScope]
    throttle_scope = "writes"

    def get_throttles(self) -> list[BaseThrottle]:
        if self.request.method in SAFE_METHODS:  # type: ignore[attr-defined]
            return []
        return [ScopedRateThrottle()]
