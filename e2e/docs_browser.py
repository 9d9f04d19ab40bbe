"""The API docs in a real browser: headless Chromium against a production-like server.

Not part of `make test` (it needs Debian's `chromium`); CI runs it on its own:

    .venv/bin/python -m pytest e2e/docs_browser.py

The server runs `auctioneer.settings.production` (DEBUG=False, static files from
whitenoise, the security headers and CSP of a deployment) over plain HTTP.
DOCS_TEST_SETTINGS_MODULE points it at another settings module (to see this test fail on a
broken docs page, for instance).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from auctioneer.testing import LiveServer, live_server

CHROMIUM = "/usr/bin/chromium"
# Debian's chromium, never a downloaded browser; nothing that phones home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000
# A loaded CI machine can take more than the default 5 s to run the docs' JavaScript.
expect.set_options(timeout=TIMEOUT_MS)

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server(
        DJANGO_SETTINGS_MODULE=os.environ.get("DOCS_TEST_SETTINGS_MODULE", "auctioneer.settings.production"),
        DJANGO_DEBUG="False",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        SECURE_HSTS_SECONDS="0",
        WEB_CONCURRENCY="2",
    ) as live:  # with the Authorization API's application registered
        yield live


@pytest.fixture(scope="module")
def access_token(server: LiveServer) -> str:
    """A token as an API user gets one: through the Authorization API."""
    name = f"docs_{secrets.token_hex(4)}"
    response = requests.post(
        f"{server.url}/api/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": f"Pw-{secrets.token_urlsafe(12)}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: _console(msg, problems))
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    context.close()


def _console(message: ConsoleMessage, problems: list[str]) -> None:
    if message.type == "error":
        problems.append(f"console error: {message.text}")


def open_page(page: Page, url: str, first_operation: str, *, name: str) -> None:
    """Open a docs page and wait for its first operation; on failure say what the browser saw."""
    response = page.goto(url, wait_until="domcontentloaded")
    assert response is not None and response.status == 200
    try:
        expect(page.locator(first_operation).first).to_be_attached()
    except AssertionError as exc:
        raise AssertionError(
            f"{name} rendered no operation; what the browser saw: {page.problems[:8]}"  # type: ignore[attr-defined]
        ) from exc


def open_docs(page: Page, server: LiveServer) -> None:
    open_page(page, f"{server.url}/api/v1/docs", ".opblock", name="Swagger UI")
    expect(page.locator(".opblock").first).to_be_visible()


def test_docs_render_every_operation(page: Page, server: LiveServer) -> None:
    open_docs(page, server)
    schema = requests.get(f"{server.url}/api/v1/swagger.json", timeout=30).json()
    operations = sum(
        1 for methods in schema["paths"].values() for method in methods if method in ("get", "post", "patch", "delete")
    )
    assert operations >= 20
    expect(page.locator(".opblock")).to_have_count(operations)
    for path in ("/auctions/{auction_id}/bids", "/me/items", "/auth/token"):
        expect(page.locator(f'.opblock-summary-path[data-path$="{path}"]').first).to_be_visible()


def test_authorize_then_try_get_me_items(page: Page, server: LiveServer, access_token: str) -> None:
    open_docs(page, server)

    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    expect(dialog).to_be_visible()
    dialog.locator("input").first.fill(f"Bearer {access_token}")
    dialog.locator("button.modal-btn.authorize").click()  # its accessible name is "Apply credentials"
    expect(dialog.locator("button.modal-btn", has_text="Logout")).to_be_visible()
    dialog.locator("button.modal-btn.btn-done").click()
    expect(dialog).to_be_hidden()

    operation = page.locator(".opblock.opblock-get", has=page.locator('[data-path$="/me/items"]'))
    operation.locator(".opblock-summary").first.click()
    operation.get_by_role("button", name="Try it out").click()
    with page.expect_request(lambda request: "/api/v1/me/items" in request.url) as sent:
        operation.get_by_role("button", name="Execute").click()
    assert sent.value.headers.get("authorization") == f"Bearer {access_token}"

    status = operation.locator(".live-responses-table .response .response-col_status").first
    expect(status).to_have_text("200")
    body = operation.locator(".live-responses-table .response-col_description pre").first
    expect(body).to_contain_text('"results"')


def test_redoc_renders_the_operations(page: Page, server: LiveServer) -> None:
    open_page(page, f"{server.url}/api/v1/redoc", "[data-section-id^='operation/']", name="ReDoc")
    expect(page.get_by_text("/me/items").first).to_be_attached()
