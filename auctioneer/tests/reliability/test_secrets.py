"""No secret in the repository or its history: private keys, provider tokens, long
random-looking values assigned to secret-ish names, and the local .env's own values."""

import math
import re
import subprocess
from collections import Counter
from itertools import pairwise
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[3]
HISTORY_LIMIT = 2000  # commits; bounded so the test stays fast on a long history

PROVIDER_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abpors]-[A-Za-z0-9-]{10,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
}
# NAME = "value" / NAME: "value" / NAME="value" where NAME smells of a secret.
ASSIGNMENT = re.compile(
    r"""(?i)\b[\w.-]*(?:secret|passw(?:or)?d|token|api_?key|private_?key|client_?secret|secret_?key)[\w.-]*"""
    r"""["']?\s*[:=]\s*[rbf]?["']([^"'\s]{20,})["']"""
)
HARMLESS = re.compile(r"(?i)insecure|example|test|dummy|changeme|placeholder|local-only|not-for-production|\{|\$")


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _char_class(char: str) -> str:
    return "l" if char.islower() else "u" if char.isupper() else "d" if char.isdigit() else "o"


def _looks_random(value: str) -> bool:
    """Mixed classes, high entropy, and many class changes: `Zq8pL2xV9` is random,
    `oauth2_provider:token` (a name made of words) is not."""
    classes = {_char_class(c) for c in value} - {"o"}
    letters_and_digits = [_char_class(c) for c in value if c.isalnum()]
    changes = sum(a != b for a, b in pairwise(letters_and_digits))
    return len(classes) >= 2 and changes >= 6 and _entropy(value) >= 3.5 and not HARMLESS.search(value)


def find_secrets(text: str, local_values: list[str]) -> list[str]:
    found = [name for name, pattern in PROVIDER_PATTERNS.items() if pattern.search(text)]
    found += [f"assignment of {m.group(1)[:6]}…" for m in ASSIGNMENT.finditer(text) if _looks_random(m.group(1))]
    found += ["a value from the local .env" for value in local_values if value in text]
    return found


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=BASE_DIR, capture_output=True, text=True, errors="replace", check=True, timeout=120
    ).stdout


def _local_secret_values() -> list[str]:
    path = BASE_DIR / ".env"
    if not path.exists():
        return []
    secrets = []
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        value = value.strip().strip("'\"")
        if re.search(r"SECRET|PASSWORD|KEY|TOKEN", name.upper()) and len(value) >= 8:
            secrets.append(value)
    return secrets


def test_the_scanner_recognises_secrets():
    # Built from pieces so that this file does not trip its own scan once committed.
    leaked = "OAUTH_CLIENT_SECRET = " + '"pbkdf2Xq7LmN3vB8' + 'rT2wYz9KdF4hJ6sA1cE5gU0iO"'
    assert find_secrets(leaked, []) == ["assignment of pbkdf2…"]
    assert find_secrets("-----BEGIN RSA " + "PRIVATE KEY-----", []) == ["private key"]
    assert find_secrets("token: ghp_" + "a1B2" * 9, []) == ["GitHub token"]
    assert find_secrets("x = 's3cr3t-value'", ["s3cr3t-value"]) == ["a value from the local .env"]
    assert find_secrets('SECRET_KEY = "local-only-insecure-key-not-for-production"', []) == []
    assert find_secrets('password = "correct-horse-battery-staple"', []) == []
    assert find_secrets('url_names = {"token": "oauth2_provider:token"}', []) == []
    assert find_secrets('{"new_password": "another-long-passphrase-42"}', []) == []
    assert find_secrets('SECRET_KEY = "a3f9c2e87b1d' + '04f6a9e2c5b8d7f1a0e3"', []) == ["assignment of a3f9c2…"]


def test_env_file_is_ignored_by_git():
    assert _git("check-ignore", ".env").strip() == ".env"


def test_no_secret_in_tracked_files(reliability_record):
    local = _local_secret_values()
    leaks = {}
    files = [f for f in _git("ls-files").splitlines() if (BASE_DIR / f).is_file()]
    for name in files:
        text = (BASE_DIR / name).read_text(errors="replace")
        if found := find_secrets(text, local):
            leaks[name] = found
    assert leaks == {}
    reliability_record("hardening", "secret scan of every tracked file", len(files))


def test_no_secret_in_history(reliability_record):
    local = _local_secret_values()
    log = _git("log", "-p", "--all", f"--max-count={HISTORY_LIMIT}", "--no-color", "--format=commit %H")
    leaks = []
    commit = ""
    added: list[str] = []

    def check() -> None:
        if added and (found := find_secrets("\n".join(added), local)):
            leaks.append((commit, found))

    commits = 0
    for line in log.splitlines():
        if line.startswith("commit "):
            check()
            commit, added, commits = line.split()[1][:10], [], commits + 1
        elif line.startswith("+") and not line.startswith("+++"):
            added.append(line[1:])
    check()
    assert leaks == []
    reliability_record("hardening", "secret scan of every line added in git history (commits)", commits)
