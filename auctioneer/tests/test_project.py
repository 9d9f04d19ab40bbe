"""The project as a newcomer meets it: migrations in step, schema generates, production
settings strict."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from auctioneer.schema import SchemaGenerator
from auctioneer.urls import api_info

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_migrations_match_the_models():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_drf_yasg_generates_a_valid_schema_with_this_drf():
    """drf-yasg's tested DRF range decides the DRF version: the schema must generate and
    validate (swagger-spec-validator) with the locked versions."""
    from drf_yasg.codecs import OpenAPICodecJson

    schema = SchemaGenerator(info=api_info).get_schema(request=None, public=True)
    OpenAPICodecJson(validators=["ssv"]).encode(schema)  # raises if the schema is invalid
    paths = {schema["basePath"].rstrip("/") + path for path in schema["paths"]}
    assert "/api/v1/metadata/countries" in paths


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "ALLOWED_HOSTS")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "auctioneer.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", ALLOWED_HOSTS="api.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


GOOD_KEY = "k" * 20 + "Zq8!pL2@xV9#mN4$bT7%cR1^wY6&hJ3*"  # 52 characters, 33 different


@pytest.mark.parametrize(
    "key",
    ["", "short-key", "Zq8!pL2@xV9#mN4$bT7%cR1^wY6&hJ3*Zq8!pL2@xV9#m", "xy" * 40, "django-insecure-" + "Zq8!pL2@" * 5],
    ids=["empty", "short", "45-characters", "2-different", "insecure-prefix"],
)
def test_production_refuses_to_start_with_a_weak_secret_key(key):
    """The same bar as `check --deploy` (security.W009), but refused at start."""
    result = _manage("check", DJANGO_SECRET_KEY=key, ALLOWED_HOSTS="api.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("hosts", [None, "", " , "])
def test_production_refuses_to_start_without_allowed_hosts(hosts):
    result = _manage("check", DJANGO_SECRET_KEY=GOOD_KEY, **({} if hosts is None else {"ALLOWED_HOSTS": hosts}))
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_check_deploy_is_clean():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="api.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
