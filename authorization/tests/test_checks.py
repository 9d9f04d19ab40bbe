import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


@pytest.mark.parametrize(
    ("overrides", "error_id"),
    [
        ({"OAUTH_CLIENT_ID": "id", "OAUTH_CLIENT_SECRET": ""}, "authorization.E001"),
        ({"OAUTH_TOKEN_URL": "http://auth.internal/o/token/", "OAUTH_TOKEN_REVOKE_URL": ""}, "authorization.E002"),
    ],
)
def test_half_configured_oauth_settings_stop_the_start(settings, overrides, error_id):
    for name, value in overrides.items():
        setattr(settings, name, value)

    with pytest.raises(SystemCheckError, match=error_id):
        call_command("check")


def test_unset_or_complete_oauth_settings_pass(settings):
    settings.OAUTH_CLIENT_ID = settings.OAUTH_CLIENT_SECRET = ""
    settings.OAUTH_TOKEN_URL = settings.OAUTH_TOKEN_REVOKE_URL = ""
    call_command("check")

    settings.OAUTH_CLIENT_ID, settings.OAUTH_CLIENT_SECRET = "id", "secret"
    settings.OAUTH_TOKEN_URL = "http://auth.internal/o/token/"
    settings.OAUTH_TOKEN_REVOKE_URL = "http://auth.internal/o/revoke_token/"
    call_command("check")
