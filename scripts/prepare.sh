#!/usr/bin/env bash
# The maintainer's step: re-lock the dependencies and regenerate the schema migrations.
# Its output (Pipfile.lock, */migrations/000[12]_initial.py) is committed; `make` never runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIPENV_VENV_IN_PROJECT=1
pipenv lock
pipenv sync --dev
# The schema migrations are generated; 0003_seed_metadata (data) is written by hand and kept.
seed=auctions/migrations/0003_seed_metadata.py
tmp=$(mktemp)
mv "$seed" "$tmp"
trap 'mv "$tmp" "$seed"' EXIT
find auctions/migrations authorization/migrations workers/migrations -name '000*_initial.py' -delete
.venv/bin/python manage.py makemigrations authorization auctions workers
mv "$tmp" "$seed"
trap - EXIT
.venv/bin/python manage.py makemigrations --check
