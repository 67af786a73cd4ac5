"""The Telegram side: thin handlers that parse updates, call services and render replies.

May import services, store (through services), models, i18n and config; nothing below imports it.
"""

import os

# Durations from python-telegram-bot as datetime.timedelta (RetryAfter.retry_after included): the
# behaviour PTB 23 makes the default, opted into now instead of reading deprecated int values.
os.environ.setdefault("PTB_TIMEDELTA", "true")
