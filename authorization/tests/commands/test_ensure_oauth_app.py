import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from oauth2_provider.models import Application

from auctioneer.env_file import read_values

BASE_DIR = Path(__file__).resolve().parents[3]


def run(env_file: Path) -> str:
    out = StringIO()
    call_command("ensure_oauth_app", env_file=str(env_file), stdout=out)
    return out.getvalue()


@pytest.fixture
def no_credentials(settings):
    settings.OAUTH_CLIENT_ID = ""
    settings.OAUTH_CLIENT_SECRET = ""
    return settings


@pytest.mark.django_db
def test_registers_a_confidential_password_app_and_writes_its_credentials(no_credentials, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DJANGO_DEBUG=true\nOAUTH_CLIENT_ID=stale\n")

    run(env_file)

    values = read_values(env_file)
    app = Application.objects.get()
    assert app.client_id == values["OAUTH_CLIENT_ID"]
    assert check_password(values["OAUTH_CLIENT_SECRET"], app.client_secret)  # stored hashed
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    assert app.authorization_grant_type == Application.GRANT_PASSWORD
    assert values["DJANGO_DEBUG"] == "true"
    assert env_file.read_text().count("OAUTH_CLIENT_ID=") == 1
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


@pytest.mark.django_db
def test_a_second_run_with_the_written_credentials_changes_nothing(no_credentials, tmp_path):
    env_file = tmp_path / ".env"
    run(env_file)
    written = env_file.read_text()
    values = read_values(env_file)
    no_credentials.OAUTH_CLIENT_ID = values["OAUTH_CLIENT_ID"]  # what settings read from .env
    no_credentials.OAUTH_CLIENT_SECRET = values["OAUTH_CLIENT_SECRET"]

    out = run(env_file)

    assert "already registered" in out
    assert Application.objects.count() == 1
    assert env_file.read_text() == written


@pytest.mark.django_db
def test_credentials_from_the_environment_win(settings, tmp_path):
    settings.OAUTH_CLIENT_ID, settings.OAUTH_CLIENT_SECRET = "my-id", "my-secret"
    env_file = tmp_path / ".env"

    run(env_file)
    run(env_file)

    app = Application.objects.get()
    assert app.client_id == "my-id"
    assert check_password("my-secret", app.client_secret)
    assert not env_file.exists()


@pytest.mark.django_db
def test_an_app_registered_in_admin_is_brought_in_line_with_the_environment(settings, tmp_path):
    Application.objects.create(
        client_id="my-id",
        client_secret="old-secret",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        name="made by hand",
    )
    settings.OAUTH_CLIENT_ID, settings.OAUTH_CLIENT_SECRET = "my-id", "new-secret"

    out = run(tmp_path / ".env")

    app = Application.objects.get()
    assert "updated" in out
    assert check_password("new-secret", app.client_secret)
    assert (app.client_type, app.authorization_grant_type) == ("confidential", "password")
    assert app.name == "made by hand"


@pytest.mark.django_db
def test_half_configured_credentials_are_an_error(settings, tmp_path):
    settings.OAUTH_CLIENT_ID, settings.OAUTH_CLIENT_SECRET = "my-id", ""

    with pytest.raises(CommandError, match="both"):
        run(tmp_path / ".env")
    assert not Application.objects.exists()


def test_make_setup_twice_keeps_one_key_and_registers_one_app_that_issues_tokens(tmp_path):
    """The real commands in their own processes, as `make setup` runs them: settings read the .env
    the first run wrote, so the second run finds the key and the application there."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OAUTH_", "DJANGO_SECRET_KEY"))},
        "DJANGO_SETTINGS_MODULE": "auctioneer.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "AUCTIONEER_VAR_DIR": str(tmp_path),
        "AUCTIONEER_ENV_FILE": str(tmp_path / ".env"),
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def setup() -> str:
        return manage("ensure_secret_key") + manage("migrate", "--noinput", "-v0") + manage("ensure_oauth_app")

    first = setup()
    second = setup()
    count = manage(
        "shell", "-v0", "-c", "from oauth2_provider.models import Application; print(Application.objects.count())"
    )
    login = manage(
        "shell",
        "-v0",
        "-c",
        "from authorization.tests.factories import PASSWORD, UserFactory; "
        "from authorization.services import token_obtain; "
        "u = UserFactory.create(); print(token_obtain(username=u.username, password=PASSWORD))",
    )
    secret_key = manage("shell", "-v0", "-c", "from django.conf import settings; print(settings.SECRET_KEY)")

    values = read_values(tmp_path / ".env")
    assert "A random DJANGO_SECRET_KEY written to" in first
    assert "Credentials of OAuth application" in first
    assert "written to" not in second
    assert "already registered" in second
    assert count.strip() == "1"
    assert "'token_type': 'Bearer'" in login
    assert secret_key.strip() == values["DJANGO_SECRET_KEY"]
    assert set(values) == {"DJANGO_SECRET_KEY", "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET"}
