"""The README's manual route, walked without a person.

In a throwaway copy of this checkout (so the default var/ and .env of a fresh clone are
used, and the developer's own are never touched), exactly as README.md tells a person:

1. `make setup`, then create a super user (`createsuperuser --noinput` with DJANGO_SUPERUSER_*);
2. `make start-background-server` on a free PORT (first while another process holds it: that must fail);
3. log into /admin/ through its HTML login form;
4. add an Application through /admin/oauth2_provider/application/add/ — confidential,
   "Resource owner password-based" — noting the generated client id and secret before saving
   (the admin hashes the secret on save);
5. export OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_TOKEN_URL, OAUTH_TOKEN_REVOKE_URL and
   restart the server with them; `make start-background-workers`;
6. run e2e/tester.py against it; check that the Authorization API really called /o/token/
   and /o/revoke_token/ over HTTP with the application registered in step 4;
7. stop the workers and the server (also when a step fails).

    .venv/bin/python scripts/manual_route.py [--keep]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
APP_NAME = "Manual route e2e client"


class StepFailed(Exception):
    pass


def log(message: str) -> None:
    print(f"[manual-route] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FormParser(HTMLParser):
    """The fields of the first <form> with a csrfmiddlewaretoken, as a browser would submit
    them untouched: text inputs, checked boxes and radios, selected options, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.errors: list[str] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._in_error = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        name = attr.get("name", "")
        if tag == "input" and name:
            kind = attr.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attr:
                    self.fields[name] = attr.get("value", "on")
                return
            self.fields[name] = attr.get("value", "")
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            value = attr.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attr:
                self.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""
        elif tag == "ul" and "errorlist" in attr.get("class", ""):
            self._in_error = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            self.fields.setdefault(self._select, self._select_first or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "ul":
            self._in_error = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data
        if self._in_error and data.strip():
            self.errors.append(data.strip())


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


class Route:
    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.work = Path(tempfile.mkdtemp(prefix="auctioneer-manual-route-"))
        self.tree = self.work / "auctioneer"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # A fresh shell: none of the variables the route is about, no DATABASE_URL (the
        # default SQLite database in the copy's var/), no settings module but the default.
        drop = ("DATABASE_URL", "AUCTIONEER_VAR_DIR", "DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OAUTH_") and k not in drop}
        # With OAUTH_TOKEN_URL set the API calls /o/token/ on this same server over HTTP:
        # one gunicorn worker would wait on itself, so run several.
        self.env.update(HOST="127.0.0.1", PORT=str(self.port), WEB_CONCURRENCY="3", PYTHONUNBUFFERED="1")
        self.admin_user = "admin_" + secrets.token_hex(3)
        self.admin_password = "Adm-" + secrets.token_urlsafe(12)

    # --- helpers ---------------------------------------------------------------------------

    def copy_tree(self) -> None:
        """A copy of the checkout as a clone would have it (tracked and new files, nothing
        git-ignored), sharing the installed .venv."""
        listing = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=BASE_DIR,
            capture_output=True,
            check=True,
        ).stdout.decode()
        for name in filter(None, listing.split("\0")):
            source = BASE_DIR / name
            if not source.is_file():
                continue  # deleted in the working tree
            target = self.tree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        (self.tree / ".venv").symlink_to(BASE_DIR / ".venv")

    def make(self, *targets: str, **variables: str) -> None:
        command = ["make", "--no-print-directory"]
        if (BASE_DIR / ".venv" / "bin" / "python").exists():
            # The virtualenv is already installed: never re-sync the shared one from here.
            command += ["-o", ".venv/.synced"]
        command += [*targets, *(f"{k}={v}" for k, v in variables.items())]
        log("$ " + " ".join(command))
        result = subprocess.run(command, cwd=self.tree, env=self.env, capture_output=True, text=True, timeout=600)
        for line in (result.stdout + result.stderr).splitlines()[-8:]:
            print(f"    {line}", flush=True)
        if result.returncode != 0:
            raise StepFailed(f"make {' '.join(targets)} exited with {result.returncode}")

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.tree / ".venv" / "bin" / "python"), "manage.py", *args],
            cwd=self.tree,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise StepFailed(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/api/v1/metadata/currencies", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise StepFailed(f"the server did not answer on {self.base} within {timeout:g} s")

    # --- the route -------------------------------------------------------------------------

    def run(self) -> int:
        log(f"a copy of the checkout in {self.tree}; server on {self.base}")
        try:
            self.copy_tree()
            self.make("setup")
            self.check_private_files()
            self.create_super_user()
            self.check_a_taken_port_is_an_error()
            self.make("start-background-server")
            self.wait_until_up()
            client_id, client_secret = self.register_application()
            self.make("stop-background-server")
            self.env.update(
                OAUTH_CLIENT_ID=client_id,
                OAUTH_CLIENT_SECRET=client_secret,
                OAUTH_TOKEN_URL=f"{self.base}/o/token/",
                OAUTH_TOKEN_REVOKE_URL=f"{self.base}/o/revoke_token/",
            )
            log("exported OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_TOKEN_URL, OAUTH_TOKEN_REVOKE_URL")
            self.make("start-background-server")
            self.wait_until_up()
            self.make("start-background-workers")
            self.check_workers_running()
            status = self.run_tester()
            self.check_oauth_over_http()
        except (StepFailed, subprocess.SubprocessError, requests.RequestException) as exc:
            log(f"FAILED: {exc}")
            status = 1
        finally:
            self.stop()
        log("the manual route works" if status == 0 else f"the manual route FAILED (exit {status})")
        return status

    def check_private_files(self) -> None:
        """The SQLite database (password hashes, token checksums) and .env (secrets) are the
        owner's alone."""
        for path, mode in ((self.tree / "var", 0o700), (self.tree / ".env", 0o600)):
            if stat.S_IMODE(path.stat().st_mode) != mode:
                raise StepFailed(f"{path.name} is {oct(stat.S_IMODE(path.stat().st_mode))}, not {oct(mode)}")
        log("var/ is 0o700 and .env 0o600")

    def check_a_taken_port_is_an_error(self) -> None:
        """Another process holds PORT: start-background-server fails and leaves no pid file
        (it used to report a server that had already exited)."""
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", self.port))
            holder.listen()
            try:
                self.make("start-background-server")
            except StepFailed:
                pass
            else:
                raise StepFailed("start-background-server reported a server on a port another process holds")
        if (self.tree / "var" / "run" / "server.pid").exists():
            raise StepFailed("start-background-server left var/run/server.pid behind for a server that is not running")
        log("a taken port: start-background-server exits non-zero and leaves no pid file")

    def create_super_user(self) -> None:
        self.env.update(
            DJANGO_SUPERUSER_USERNAME=self.admin_user,
            DJANGO_SUPERUSER_EMAIL=f"{self.admin_user}@example.com",
            DJANGO_SUPERUSER_PASSWORD=self.admin_password,
        )
        log("$ .venv/bin/python manage.py createsuperuser --noinput  (DJANGO_SUPERUSER_* set)")
        self.manage("createsuperuser", "--noinput")
        for key in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_EMAIL", "DJANGO_SUPERUSER_PASSWORD"):
            del self.env[key]

    def register_application(self) -> tuple[str, str]:
        browser = requests.Session()
        login_url = f"{self.base}/admin/login/?next=/admin/"
        page = browser.get(login_url, timeout=10)
        form = parse_form(page.text)
        if page.status_code != 200 or "csrfmiddlewaretoken" not in form.fields:
            raise StepFailed(f"GET /admin/login/ gave {page.status_code} without a login form")
        form.fields.update(username=self.admin_user, password=self.admin_password)
        answer = browser.post(login_url, data=form.fields, headers={"Referer": login_url}, timeout=10)
        if not answer.ok or "/admin/login/" in answer.url:
            raise StepFailed(f"admin login refused ({answer.status_code} at {answer.url}): {form.errors}")
        log(f"logged into /admin/ as {self.admin_user}")

        add_url = f"{self.base}/admin/oauth2_provider/application/add/"
        page = browser.get(add_url, timeout=10)
        form = parse_form(page.text)
        client_id = form.fields.get("client_id", "")
        client_secret = form.fields.get("client_secret", "")
        if page.status_code != 200 or not client_id or not client_secret:
            raise StepFailed(f"GET {add_url} gave {page.status_code} without a generated client id and secret")
        form.fields.update(
            name=APP_NAME,
            client_type="confidential",
            authorization_grant_type="password",
            _save="Save",
        )
        answer = browser.post(add_url, data=form.fields, headers={"Referer": add_url}, timeout=10)
        if not answer.ok or answer.url.rstrip("/").endswith("/add"):
            errors = parse_form(answer.text).errors
            raise StepFailed(f"saving the application failed ({answer.status_code}): {errors}")
        listing = browser.get(f"{self.base}/admin/oauth2_provider/application/", timeout=10)
        if APP_NAME not in listing.text:
            raise StepFailed("the new application is not in the admin's list")
        log(f"registered '{APP_NAME}' in /admin (client id {client_id[:6]}…, secret noted before saving)")
        return client_id, client_secret

    def check_workers_running(self) -> None:
        time.sleep(1)
        for pid_file in (self.tree / "var" / "run").glob("*.pid"):
            if pid_file.name == "server.pid":
                continue
            try:
                os.kill(int(pid_file.read_text().strip()), 0)
            except (ValueError, ProcessLookupError):
                continue
            log(f"workers running ({pid_file.relative_to(self.tree)})")
            return
        raise StepFailed("make start-background-workers left no running process with a pid file in var/run/")

    def run_tester(self) -> int:
        command = [
            str(self.tree / ".venv" / "bin" / "python"),
            "e2e/tester.py",
            f"{self.base}/api/v1",
            f"{self.base}/api/auth",
        ]
        log("$ " + " ".join(command))
        return subprocess.run(command, cwd=self.tree, env=self.env, check=False, timeout=600).returncode

    def check_oauth_over_http(self) -> None:
        """The tester passing is not enough: prove the configured route was the one taken."""
        access_log = (self.tree / "var" / "log" / "access.log").read_text(errors="replace")
        for path in ("/o/token/", "/o/revoke_token/"):
            if f"POST {path}" not in access_log:
                raise StepFailed(f"the server's access log shows no POST {path}: OAUTH_*_URL were not used")
        count = self.manage(
            "shell",
            "-c",
            "from oauth2_provider.models import AccessToken; "
            f"print(AccessToken.objects.filter(application__name={APP_NAME!r}).count())",
        ).split()[-1]
        if not count.isdigit() or int(count) == 0:
            raise StepFailed(f"no access token was issued to '{APP_NAME}' (got {count!r})")
        log(f"the Authorization API called /o/token/ and /o/revoke_token/ over HTTP; {count} tokens of '{APP_NAME}'")

    def stop(self) -> None:
        for target in ("stop-background-workers", "stop-background-server"):
            try:
                self.make(target)
            except (StepFailed, subprocess.SubprocessError) as exc:
                log(f"{target}: {exc}")
        # Whatever a failed stop target left behind: only the processes this route started.
        for pid_file in (self.tree / "var" / "run").glob("*.pid"):
            try:
                os.kill(int(pid_file.read_text().strip()), 15)
                log(f"stopped the leftover process of {pid_file.name}")
            except (ValueError, ProcessLookupError):
                pass
        if self.keep:
            log(f"kept {self.work}")
        else:
            time.sleep(0.5)
            shutil.rmtree(self.work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Walk the README's manual route without a person.")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway copy (logs in its var/log/)")
    args = parser.parse_args(argv)
    return Route(keep=args.keep).run()


if __name__ == "__main__":
    sys.exit(main())
