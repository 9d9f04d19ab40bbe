import stat
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from auctioneer.env_file import read_values


def run(env_file: Path) -> str:
    out = StringIO()
    call_command("ensure_secret_key", env_file=str(env_file), stdout=out)
    return out.getvalue()


def test_writes_a_random_key_once_beside_the_other_lines(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# local\nDJANGO_DEBUG=true\nOAUTH_CLIENT_ID=abc\n")

    first = run(env_file)
    written = env_file.read_text()
    second = run(env_file)

    key = read_values(env_file)["DJANGO_SECRET_KEY"]
    assert "written to" in first
    assert second == ""
    assert env_file.read_text() == written
    assert written.startswith("# local\nDJANGO_DEBUG=true\nOAUTH_CLIENT_ID=abc\n")
    assert written.count("DJANGO_SECRET_KEY=") == 1
    assert len(key) >= 50
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_each_checkout_gets_a_key_of_its_own(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run(tmp_path / "a" / ".env")
    run(tmp_path / "b" / ".env")

    keys = {read_values(tmp_path / name / ".env")["DJANGO_SECRET_KEY"] for name in ("a", "b")}
    assert len(keys) == 2


def test_an_empty_key_is_replaced(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DJANGO_SECRET_KEY=\n")

    run(env_file)

    assert read_values(env_file)["DJANGO_SECRET_KEY"]
    assert env_file.read_text().count("DJANGO_SECRET_KEY=") == 1
