import hashlib
import hmac
import secrets
from collections import OrderedDict
from typing import Any

from oauth2_provider import oauth2_validators
from oauth2_provider.models import AccessToken

from auctioneer.queries import CompiledLookup

from .selectors import token_checksum

# The token, its user and its application (DOT checks `application.is_usable`) in one query.
_access_token_by_checksum: CompiledLookup[AccessToken] = CompiledLookup(
    lambda checksum: AccessToken.objects.select_related("application", "user").filter(token_checksum=checksum)
)


class VerifiedClientSecrets:
    """Client secrets this process has already checked against their stored hash.

    DOT stores a client secret hashed with the password hasher (PBKDF2, 1,000,000 rounds: about
    0.3-0.5 s of CPU on this project's machines) and checks it on every password grant, refresh
    and revoke. The Authorization API authenticates as the same application on each of those
    calls, so half of a login's CPU, and nearly all of a refresh's or a revoke's, went to
    proving the server's own secret again.

    A secret that once matched a stored hash is remembered by that hash, as an HMAC under a key
    drawn when the process starts: never the secret itself, never written anywhere. A changed
    secret has a new stored hash and is checked in full again; a wrong secret always is, so
    guessing costs what it did. At most `size` hashes are kept; past that the memory starts over.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._key = secrets.token_bytes(32)
        self._seen: dict[str, bytes] = {}

    def _mac(self, secret: str) -> bytes:
        return hmac.new(self._key, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def holds(self, provided: str, stored: str) -> bool:
        seen = self._seen.get(stored)
        return seen is not None and hmac.compare_digest(seen, self._mac(provided))

    def add(self, provided: str, stored: str) -> None:
        if len(self._seen) >= self.size:
            self._seen.clear()
        self._seen[stored] = self._mac(provided)


verified_client_secrets = VerifiedClientSecrets()


class OAuth2Validator(oauth2_validators.OAuth2Validator):
    """DOT's validator, plus: a deactivated user's tokens stop working, and a client secret is
    hashed once per process (`VerifiedClientSecrets`).

    DOT checks `is_active` only when a password is exchanged (`validate_user`); an access or
    refresh token issued before the account was deactivated would otherwise keep working.
    Deactivation also revokes the tokens (authorization.services.user_deactivate); this check
    covers a user deactivated any other way (the admin, a shell)."""

    def validate_bearer_token(self, token: str, scopes: Any, request: Any) -> bool:
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if _is_inactive(request.user):
            request.oauth2_error = OrderedDict(
                [("error", "invalid_token"), ("error_description", "The account of this token is deactivated.")]
            )
            return False
        return True

    def _check_secret(self, provided_secret: str, stored_secret: str) -> bool:
        if verified_client_secrets.holds(provided_secret, stored_secret):
            return True
        if not super()._check_secret(provided_secret, stored_secret):
            return False
        verified_client_secrets.add(provided_secret, stored_secret)
        return True

    def _load_access_token(self, token: str) -> AccessToken | None:
        # Every authenticated request runs this: DOT's version compiles a three-table join
        # (and an ORDER BY for `.first()`) each time, most of a no-op request's CPU. The
        # checksum is unique; the SQL is compiled once (auctioneer.queries).
        return _access_token_by_checksum.get(token_checksum(token))

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        return not _is_inactive(request.user)


def _is_inactive(user: Any) -> bool:
    return user is not None and not user.is_active
