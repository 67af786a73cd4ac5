"""Translations of the interface (gettext catalogues in gcmbot/locale, managed with Babel).

`translator(lang)` returns a gettext-like object (`.gettext`, `.ngettext`) for one of
LANGUAGES; anything else gets English. The compiled .mo is used when it is present and
newer than its .po (CI runs `pybabel compile -d gcmbot/locale`); otherwise the .po is
compiled in memory, so a fresh checkout works without a build step.

Messages use `{name}` placeholders (str.format); tests check every catalogue keeps them.
Module-level texts are marked with `N_` (extracted, translated at use with `_(CONSTANT)`).
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("en", "es", "fr", "ar")
DEFAULT = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français", "ar": "العربية"}


def N_(message: str) -> str:
    """Mark a text for extraction; translate it where it is shown."""
    return message


def normalize(code: str | None) -> str | None:
    """"es-419" → "es"; None when the code is not one of LANGUAGES."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def pick(*codes: str | None) -> str:
    """The first of `codes` that is one of LANGUAGES (a stored language, then Telegram's), else English."""
    for code in codes:
        found = normalize(code)
        if found:
            return found
    return DEFAULT


def _path(lang: str, ext: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.{ext}"


@lru_cache(maxsize=None)
def translator(lang: str | None) -> gettext.NullTranslations:
    """gettext/ngettext for `lang` (English for unknown codes or a missing catalogue)."""
    lang = normalize(lang) or DEFAULT
    po, mo = _path(lang, "po"), _path(lang, "mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return Translations(f, domain=DOMAIN)
    if po.exists():
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang, domain=DOMAIN)
        buf = BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return Translations(buf, domain=DOMAIN)
    return gettext.NullTranslations()


def gettext_for(lang: str | None):
    """Shortcut: the `_` function of `lang`."""
    return translator(lang).gettext


# --- numbers and moments in a language (Babel) ------------------------------------------------


def number(value: float | int, lang: str | None = None, decimals: int | None = None) -> str:
    """`12 345,6` (fr), `12.345,6` (es), `12,345.6` (en, ar): Babel's grouping and decimal sign."""
    from babel.numbers import format_decimal

    lang = normalize(lang) or DEFAULT
    pattern = None if decimals is None else "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=lang)


def moment(value, lang: str | None = None) -> str:
    """A UTC timestamp for admins: "2026-12-04 20:05 UTC" in English, "4 dic 2026, 20:05 UTC" in Spanish…"""
    from babel.dates import format_skeleton

    lang = normalize(lang) or DEFAULT
    if lang == DEFAULT:
        return f"{value:%Y-%m-%d %H:%M} UTC"
    day = format_skeleton("yMMMd", value, locale=lang, fuzzy=True)
    return f"{day}, {value:%H:%M} UTC"
