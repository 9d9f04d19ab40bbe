"""Browser-facing hardening: security headers everywhere, a CSP that Swagger UI and ReDoc
work under, CORS closed unless configured, HSTS behind TLS in production."""

import os
import re
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parents[3]
ORIGIN = "https://app.example.com"


def _csp(response) -> dict[str, list[str]]:
    directives = [d.strip().split() for d in response.headers["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["auctions:docs", "auctions:redoc"])
def test_docs_pages_load_only_same_origin_assets_allowed_by_the_csp(name, reliability_record):
    client = Client()
    page = client.get(reverse(name))
    assert page.status_code == HTTPStatus.OK
    csp = _csp(page)
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    html = page.content.decode()
    # No inline script that would need 'unsafe-inline': only JSON data blocks.
    for attrs, _body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        # Same origin (script-src/style-src 'self'), and actually served with DEBUG=False.
        assert asset.startswith("/static/drf-yasg/"), asset
        response = client.get(asset)
        assert response.status_code == HTTPStatus.OK, asset
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    reliability_record("hardening", "docs pages: every asset same-origin and served under the CSP", len(assets))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/metadata/currencies", "/api/v1/no-such-thing", "/api/v1/swagger.json", "/admin/login/"]
)
def test_every_response_carries_the_security_headers(path, reliability_record):
    response = Client().get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert _csp(response)["frame-ancestors"] == ["'none'"]
    reliability_record("hardening", "security headers (nosniff, frame deny, CSP, referrer) on every kind of page", 1)


@pytest.mark.django_db
def test_cors_is_closed_by_default(reliability_record):
    client = Client()
    preflight = client.options(
        "/api/v1/metadata/currencies",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    read = client.get("/api/v1/metadata/currencies", HTTP_ORIGIN=ORIGIN)
    assert read.status_code == HTTPStatus.OK
    assert "Access-Control-Allow-Origin" not in read.headers
    reliability_record("hardening", "CORS from an unconfigured origin refused", 2)


@pytest.mark.django_db
@override_settings(CORS_ALLOWED_ORIGINS=[ORIGIN])
def test_cors_opens_only_to_configured_origins(reliability_record):
    client = Client()
    preflight = client.options(
        "/api/v1/metadata/currencies",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "idempotency-key" in preflight.headers["Access-Control-Allow-Headers"]
    other = client.get("/api/v1/metadata/currencies", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in other.headers
    read = client.get("/api/v1/metadata/currencies", HTTP_ORIGIN=ORIGIN)
    exposed = {name.strip().lower() for name in read.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "location", "idempotent-replayed", "www-authenticate"} <= exposed
    reliability_record("hardening", "CORS open only to configured origins", 2)


_PRODUCTION_PROBE = """
from django.test import Client
secure = Client().get("/api/v1/no-such-thing", secure=True, HTTP_HOST="api.example.com")
plain = Client().get("/api/v1/no-such-thing", HTTP_HOST="api.example.com")
print(secure.headers.get("Strict-Transport-Security"))
print(plain.status_code, plain.headers.get("Location"))
"""


def test_production_sends_hsts_over_tls_and_redirects_plain_http(reliability_record):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(
        DJANGO_SETTINGS_MODULE="auctioneer.settings.production",
        DJANGO_SECRET_KEY="k" * 20 + "Zq8!pL2@xV9#mN4$bT7%cR1^wY6&hJ3*",
        ALLOWED_HOSTS="api.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _PRODUCTION_PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    hsts, redirect = result.stdout.strip().splitlines()[-2:]
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert redirect == "301 https://api.example.com/api/v1/no-such-thing"
    reliability_record("hardening", "production: HSTS over TLS, plain HTTP redirected", 2)
