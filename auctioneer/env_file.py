"""The git-ignored .env that settings read (settings.ENV_FILE): its one reader and writer here.

`make setup` keeps a checkout's own secrets there (`ensure_secret_key`, `ensure_oauth_app`).
"""

from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandParser


def add_env_file_argument(parser: CommandParser, purpose: str) -> None:
    """`--env-file`, by default the .env that settings read (AUCTIONEER_ENV_FILE moves it)."""
    parser.add_argument("--env-file", default=str(settings.ENV_FILE), help=f"{purpose} (default: {settings.ENV_FILE})")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _name(line: str) -> str | None:
    """The variable a `NAME=value` line sets; None for comments and other lines."""
    name, equals, _value = line.partition("=")
    return name.strip() if equals and not line.lstrip().startswith("#") else None


def read_values(path: Path) -> dict[str, str]:
    return {name: line.partition("=")[2] for line in _lines(path) if (name := _name(line))}


def write_values(path: Path, values: Mapping[str, str]) -> None:
    """Set `values` in the file, keeping its other lines; only its owner may read it (0600)."""
    kept = [line for line in _lines(path) if _name(line) not in values]
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("\n".join([*kept, *(f"{name}={value}" for name, value in values.items())]) + "\n")
