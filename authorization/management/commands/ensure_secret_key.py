"""Give this checkout a random DJANGO_SECRET_KEY of its own in the git-ignored .env, once (`make setup`).

Without one, the local settings fall back to a built-in key, which is public: `make start
HOST=0.0.0.0` would sign the admin's sessions with it. (Production settings have no built-in key:
they refuse to start without a strong one.)
"""

import secrets
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from auctioneer.env_file import add_env_file_argument, read_values, write_values

NAME = "DJANGO_SECRET_KEY"


class Command(BaseCommand):
    help = "Write a random DJANGO_SECRET_KEY to the local .env unless it has one (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_env_file_argument(parser, "the file to keep it in")

    def handle(self, *args: Any, env_file: str, **options: Any) -> None:
        path = Path(env_file)
        if read_values(path).get(NAME):
            return
        # 67 URL-safe characters: what `check --deploy` asks (>= 50, >= 5 different ones).
        write_values(path, {NAME: secrets.token_urlsafe(50)})
        self.stdout.write(f"A random {NAME} written to {path}.")
