"""An installed copy works anywhere: the built wheel carries the migrations and the default content."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.packaging


def _run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_installed_wheel_upgrades_and_checks_content_from_an_empty_folder(tmp_path):
    dist = tmp_path / "dist"
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    [wheel] = dist.glob("gcmbot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gcmbot/_bundled/migrations/env.py" in names
    assert any(n.startswith("gcmbot/_bundled/migrations/versions/") for n in names)
    assert "gcmbot/_bundled/content/events.yaml" in names

    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", str(venv), cwd=tmp_path).returncode == 0
    pip = venv / "bin" / "pip"
    installed = _run(str(pip), "install", "-q", "--no-deps", "--no-index", str(wheel), cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    # The dependencies come from the test environment (a .pth file; no download), the package from the wheel only.
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GCMBOT_") and k != "PYTHONPATH"}
    env["GCMBOT_DATABASE_URL"] = f"sqlite:///{empty / 'gcmbot.db'}"
    gcmbot = str(venv / "bin" / "gcmbot")
    where = _run(str(venv / "bin" / "python"), "-c", "import gcmbot, sys; print(gcmbot.__file__)", cwd=empty, env=env)
    assert where.stdout.startswith(str(venv)), where  # not the checkout
    upgraded = _run(gcmbot, "db", "upgrade", cwd=empty, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    checked = _run(gcmbot, "content", "check", cwd=empty, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    missing = _run(gcmbot, "content", "check", cwd=empty, env={**env, "GCMBOT_CONTENT_DIR": str(empty / "nope")})
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [f"gcmbot: the content folder not found: {empty / 'nope'} is not a folder (set GCMBOT_CONTENT_DIR to the folder that holds it)"]
