"""What the command line needs of the Telegram side: `serve` (gcmbot run), `make_bot` and
`delivery_worker` (delivering the outbox from a CLI command), `fetch_username` (the bot's
@username for start links). The CLI imports gcmbot.bot only through this module, and its
texts only from gcmbot.render (tests/test_imports.py)."""

from __future__ import annotations

from gcmbot.bot.application import delivery_worker
from gcmbot.bot.botapi import make_bot
from gcmbot.bot.sender import fetch_username
from gcmbot.bot.serve import serve

__all__ = ["delivery_worker", "fetch_username", "make_bot", "serve"]
