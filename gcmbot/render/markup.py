"""Telegram HTML building blocks: escaping, safe links, Telegram's length, and HTML → plain text."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

LIMIT = 4096  # Telegram's maximum message length


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); counting the raw HTML over-estimates, safely."""
    return len(text.encode("utf-16-le")) // 2


def esc(text: object, max_len: int = 10_000) -> str:
    """Escape for Telegram HTML, with whitespace collapsed, and clip so the *escaped* text fits max_len."""
    plain = " ".join(str(text or "").split())
    out = html.escape(plain)
    if len(out) <= max_len:
        return out
    pieces: list[str] = []
    size = 0
    for ch in plain:
        e = html.escape(ch)
        if size + len(e) > max_len - 1:
            break
        pieces.append(e)
        size += len(e)
    return "".join(pieces).rstrip() + "…"


def safe_url(url: str | None, max_len: int = 600) -> str | None:
    """An escaped href for http(s) links only; anything else (javascript:, data:, garbage) → None."""
    url = (url or "").strip()
    if not url or any(c.isspace() for c in url) or any(c in url for c in "<>\"'`"):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    href = html.escape(url, quote=True)
    return href if len(href) <= max_len else None


_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)


def html_to_text(message: str) -> str:
    """Readable plain text from our Telegram HTML (for the command line)."""
    text = _LINK.sub(lambda m: f"{m.group(2)} <{html.unescape(m.group(1))}>", message)
    text = _TAG.sub(lambda m: m.group(0) if m.group(0).startswith("<http") else "", text)
    return html.unescape(text)
