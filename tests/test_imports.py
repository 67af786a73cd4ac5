"""The layers import one way (README "Map of the code"): checked on every module's syntax tree,
imports inside functions included, so a shortcut cannot hide in a function body."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gcmbot"

# Below the Telegram side and the words: nothing here knows of Telegram or builds text for people.
_LOWER = ("telegram", "gcmbot.bot", "gcmbot.render", "gcmbot.cli", "gcmbot.web", "gcmbot.app")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "gcmbot.services": _LOWER,
    "gcmbot.store": (*_LOWER, "gcmbot.services"),
    "gcmbot.models": (*_LOWER, "gcmbot.services", "gcmbot.store"),
    "gcmbot.content": (*_LOWER, "gcmbot.services", "gcmbot.store"),
    # The words: data in, text out; no Telegram objects, no database.
    "gcmbot.render": ("telegram", "gcmbot.bot", "gcmbot.store", "gcmbot.cli", "gcmbot.web", "gcmbot.app"),
    # The web console and the composition root run without Telegram (the bot starts the console, not the reverse).
    "gcmbot.web": ("telegram", "gcmbot.bot", "gcmbot.cli"),
    "gcmbot.app": ("telegram", "gcmbot.bot", "gcmbot.cli", "gcmbot.web"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports (absolute names; relative imports resolved)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from gcmbot import bot`
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if not _within(_module_name(path), layer):
            continue
        for imported in sorted(imports_of(path)):
            if any(_within(imported, f) for f in forbidden):
                out.append(f"{path.relative_to(PACKAGE.parent)} imports {imported}")
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_one_way(layer):
    assert violations(layer, FORBIDDEN[layer]) == []


def test_the_command_line_reaches_telegram_only_through_the_transport():
    """The CLI's texts come from gcmbot.render; of gcmbot.bot it uses serve, make_bot,
    delivery_worker and fetch_username, all from gcmbot.bot.transport."""
    found = [v for v in violations("gcmbot.cli", ("telegram", "gcmbot.bot")) if not v.endswith(TRANSPORT_IMPORTS)]
    assert found == []


TRANSPORT_IMPORTS = tuple(f" imports gcmbot.bot.transport{name}" for name in ("", ".serve", ".make_bot", ".delivery_worker", ".fetch_username"))


def test_the_check_sees_imports_in_function_bodies(tmp_path, monkeypatch):
    """The rule can fail: a lazy import of telegram inside a service function is caught."""
    fake = tmp_path / "gcmbot" / "services"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "sneaky.py").write_text("def f():\n    from telegram import Bot\n    from ..render import digest\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path / "gcmbot")
    assert violations("gcmbot.services", FORBIDDEN["gcmbot.services"]) == [
        "gcmbot/services/sneaky.py imports gcmbot.render",
        "gcmbot/services/sneaky.py imports gcmbot.render.digest",
        "gcmbot/services/sneaky.py imports telegram",
        "gcmbot/services/sneaky.py imports telegram.Bot",
    ]
