"""Rendering: every text and Telegram HTML a person reads, made from the data services return.

No I/O, no decisions, no Telegram objects. Bot handlers, the delivery path (through the
renderers `gcmbot.app` hands to services) and the CLI import it; it imports only i18n,
content, models and the data types of `gcmbot.services` — never `telegram`, `gcmbot.bot`
or `gcmbot.store` (tests/test_imports.py enforces it).
"""
