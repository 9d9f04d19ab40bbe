"""The git-ignored .env that settings read (settings.ENV_FILE): its one writer.

`make setup` keeps a checkout's own secrets there (`ensure_secret_key`, `ensure_oauth_app`).
"""

from collections.abc import Mapping
from pathlib import Path


def read_values(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#"))


def write_values(path: Path, values: Mapping[str, str]) -> None:
    """Set `values` in the file, keeping its other lines; only its owner may read it (0600)."""
    kept = [
        line
        for line in (path.read_text().splitlines() if path.exists() else [])
        if line.split("=", 1)[0].strip() not in values
    ]
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("\n".join([*kept, *(f"{name}={value}" for name, value in values.items())]) + "\n")
