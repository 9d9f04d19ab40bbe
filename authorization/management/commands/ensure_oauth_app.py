"""Register the "Resource owner password-based" confidential application once (`make setup`).

Client credentials already in the environment (or in .env) win: if OAUTH_CLIENT_ID and
OAUTH_CLIENT_SECRET are set, the application with that id is made to exist and to accept that
secret (created from them when the database is new). Otherwise a fresh application is
registered and its credentials are written to the git-ignored .env, which settings read on
start — so the next run finds them there and does nothing.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.crypto import constant_time_compare
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import get_application_model

from auctioneer.env_file import add_env_file_argument, write_values

APPLICATION_NAME = "Auctioneer Authorization API"


class Command(BaseCommand):
    help = "Register the OAuth2 password-grant application used by /api/auth (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_env_file_argument(parser, "where to store fresh credentials")

    def handle(self, *args: Any, env_file: str, **options: Any) -> None:
        client_id, client_secret = settings.OAUTH_CLIENT_ID, settings.OAUTH_CLIENT_SECRET
        if bool(client_id) != bool(client_secret):
            raise CommandError("Set both OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET, or neither.")
        if client_id:
            self._ensure(client_id, client_secret)
            return

        client_id, client_secret = generate_client_id(), generate_client_secret()
        self._ensure(client_id, client_secret)
        path = Path(env_file)
        write_values(path, {"OAUTH_CLIENT_ID": client_id, "OAUTH_CLIENT_SECRET": client_secret})
        self.stdout.write(f"Credentials of OAuth application {client_id} written to {path}.")

    def _ensure(self, client_id: str, client_secret: str) -> None:
        Application = get_application_model()
        wanted = {
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_PASSWORD,
        }
        app, created = Application.objects.get_or_create(
            client_id=client_id,
            defaults={"name": APPLICATION_NAME, "client_secret": client_secret, **wanted},  # hashed on save
        )
        if created:
            self.stdout.write(f"OAuth application {client_id} registered.")
            return
        changed = [field for field, value in wanted.items() if getattr(app, field) != value]
        for field in changed:
            setattr(app, field, wanted[field])
        if not _secret_matches(client_secret, app.client_secret):
            app.client_secret = client_secret
            changed.append("client_secret")
        if changed:
            app.save()
            self.stdout.write(f"OAuth application {client_id} updated to the configured {', '.join(changed)}.")
        else:
            self.stdout.write(f"OAuth application {client_id} already registered.")


def _secret_matches(secret: str, stored: str) -> bool:
    # DOT stores secrets hashed (hash_client_secret); one entered unhashed compares as is.
    return check_password(secret, stored) or constant_time_compare(secret, stored)
