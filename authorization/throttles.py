"""Brute-force brakes for the Authorization API (SPEC.md: `token` per username and per client
address). Counts live in the default cache, which every server process shares."""

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from . import selectors


class _ScopedThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # Read at request time (DRF binds the rates at import), so settings overrides apply.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(str(self.scope))
        return None if rate is None else str(rate)


class AddressThrottle(_ScopedThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenAddressThrottle(AddressThrottle):
    scope = "token_address"


class RegisterAddressThrottle(AddressThrottle):
    scope = "register"


class TokenUsernameThrottle(_ScopedThrottle):
    """Per account, whichever address the guesses come from, and whichever spelling of the
    username reaches it: the count is kept by the account the login would reach, found as the
    login finds it (the database's lower() and Python's can fold a letter differently, e.g.
    U+0130 `İ`). A name no account has is counted by its own lower-case spelling."""

    scope = "token_username"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        username = request.data.get("username") if isinstance(request.data, dict) else None
        if not isinstance(username, str) or not username:
            return None  # the request is invalid anyway (400)
        username = username.strip()
        account = selectors.user_id_by_username(username=username)
        name = f"account {account}" if account is not None else f"name {username.lower()}"
        # surrogatepass: JSON can carry a lone surrogate (`\ud800`), which the body's validation
        # refuses (400) only after the throttles have run.
        ident = hashlib.sha256(name.encode(errors="surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
