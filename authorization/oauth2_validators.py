from collections import OrderedDict
from typing import Any

from oauth2_provider import oauth2_validators


class OAuth2Validator(oauth2_validators.OAuth2Validator):
    """DOT's validator, plus: a deactivated user's tokens stop working.

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

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        return not _is_inactive(request.user)


def _is_inactive(user: Any) -> bool:
    return user is not None and not user.is_active
