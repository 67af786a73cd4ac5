"""The Telegram side: thin handlers that parse updates, call services and reply with texts and
keyboards from gcmbot.render; the outbox's Telegram sender; make_bot and its rate limiter.

May import render, services, store (through services), models, i18n and config; nothing below
imports it, and the CLI only through gcmbot.bot.transport (tests/test_imports.py).
"""

import os

# Durations from python-telegram-bot as datetime.timedelta (RetryAfter.retry_after included): the
# behaviour PTB 23 makes the default, opted into now instead of reading deprecated int values.
os.environ.setdefault("PTB_TIMEDELTA", "true")
