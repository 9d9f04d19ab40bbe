"""Register the "Resource owner password-based" confidential application once.

Client credentials already in the environment win: if OAUTH_CLIENT_ID/OAUTH_CLIENT_SECRET
are set, the application with that id is made to exist (created from them when the
database is new). Otherwise a fresh application is registered and its credentials are
written to the git-ignored .env, which settings read on start.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from oauth2_provider.generators import generate_client_id, generate_client_secret
from oauth2_provider.models import get_application_model

APPLICATION_NAME = "Auctioneer Authorization API"


class Command(BaseCommand):
    help = "Register the OAuth2 password-grant application used by /api/auth (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--env-file",
            default=str(Path(settings.BASE_DIR) / ".env"),
            help="where to store fresh credentials (default: .env in the project)",
        )

    def handle(self, *args, env_file: str, **options):
        Application = get_application_model()
        client_id, client_secret = settings.OAUTH_CLIENT_ID, settings.OAUTH_CLIENT_SECRET
        if client_id and client_secret:
            app, created = Application.objects.get_or_create(
                client_id=client_id,
                defaults={
                    "name": APPLICATION_NAME,
                    "client_secret": client_secret,
                    "client_type": Application.CLIENT_CONFIDENTIAL,
                    "authorization_grant_type": Application.GRANT_PASSWORD,
                },
            )
            verb = "registered" if created else "already registered"
            self.stdout.write(f"OAuth application {app.client_id} {verb}.")
            return

        client_id, client_secret = generate_client_id(), generate_client_secret()
        Application.objects.create(
            name=APPLICATION_NAME,
            client_id=client_id,
            client_secret=client_secret,  # hashed on save; the plain value goes to .env only
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_PASSWORD,
        )
        path = Path(env_file)
        lines = [
            line
            for line in (path.read_text().splitlines() if path.exists() else [])
            if not line.startswith(("OAUTH_CLIENT_ID=", "OAUTH_CLIENT_SECRET="))
        ]
        lines += [f"OAUTH_CLIENT_ID={client_id}", f"OAUTH_CLIENT_SECRET={client_secret}"]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
        self.stdout.write(f"OAuth application {client_id} registered; credentials written to {path}.")
