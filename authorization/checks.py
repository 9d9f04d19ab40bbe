from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def oauth_client_settings(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Half-configured Authorization API settings fail at start, not at the first login."""
    errors: list[checks.CheckMessage] = []
    if bool(settings.OAUTH_CLIENT_ID) != bool(settings.OAUTH_CLIENT_SECRET):
        errors.append(
            checks.Error(
                "Only one of OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET is set.",
                hint="Set both (or neither, and run `make setup` to register the application).",
                id="authorization.E001",
            )
        )
    if bool(settings.OAUTH_TOKEN_URL) != bool(settings.OAUTH_TOKEN_REVOKE_URL):
        errors.append(
            checks.Error(
                "Only one of OAUTH_TOKEN_URL and OAUTH_TOKEN_REVOKE_URL is set.",
                hint="Set both to call the Authentication Service over HTTP, or neither to call it in-process.",
                id="authorization.E002",
            )
        )
    return errors
