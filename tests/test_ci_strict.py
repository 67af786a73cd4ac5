"""The shipped content passes `gcmbot content check --strict` (what .ci/run runs): every
user-visible field has its es, fr and ar translation."""

from __future__ import annotations

from pathlib import Path

from gcmbot.cli import main as cli
from gcmbot.content.loader import check_content

from conftest import CONTENT_DIR

ROOT = Path(__file__).resolve().parents[1]


def test_every_user_visible_field_is_translated():
    content, _ = check_content(CONTENT_DIR)
    assert [str(m) for m in content.missing] == []
    assert content.coverage and all(c["es"] == c["fr"] == c["ar"] == c["total"] for c in content.coverage.values())


def test_ci_runs_the_strict_check_and_coverage_says_100_percent(capsys):
    assert ".venv/bin/gcmbot content check --strict" in (ROOT / ".ci" / "run").read_text()
    assert cli(["content", "coverage"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("all fields") and last.count("(100 %)") == 3
