"""The command line's answers to bad configuration: one line, a non-zero exit, no traceback."""

from __future__ import annotations

import pytest

from gcmbot.cli import main as cli


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for name in ("GCMBOT_TOKEN", "GCMBOT_DATABASE_URL", "GCMBOT_ADMIN_IDS", "GCMBOT_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_run_without_token_says_what_to_set(clean_env, capsys):
    assert cli(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "GCMBOT_TOKEN is not set" in err[0]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GCMBOT_DATABASE_URL", "mysql://x", "GCMBOT_DATABASE_URL must be sqlite"),
        ("GCMBOT_ADMIN_IDS", "12,abc", "'abc' is not a numeric Telegram user id"),
        ("GCMBOT_TIMEZONE", "Mars/Base", "is not an IANA timezone name"),
    ],
)
def test_bad_settings_are_one_line_errors(clean_env, capsys, name, value, message):
    clean_env.setenv(name, value)
    assert cli(["db", "upgrade"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_unreachable_database_is_one_line(clean_env, capsys, tmp_path):
    clean_env.setenv("GCMBOT_DATABASE_URL", f"sqlite:///{tmp_path}/no/such/dir/x.db")
    assert cli(["db", "upgrade"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot use the database" in err[0]


def test_db_upgrade_creates_the_schema(clean_env, capsys, tmp_path):
    clean_env.setenv("GCMBOT_DATABASE_URL", f"sqlite:///{tmp_path}/bot.db")
    assert cli(["db", "upgrade"]) == 0
    assert "database at revision" in capsys.readouterr().out
    assert (tmp_path / "bot.db").exists()
