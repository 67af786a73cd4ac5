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
import re
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


def comma(lang: str | None = None) -> str:
    """The list separator of a language: "، " in Arabic, ", " otherwise ("Geneva, Switzerland")."""
    return "، " if (normalize(lang) or DEFAULT) == "ar" else ", "


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


# --- right-to-left: Unicode isolates around Latin runs in Arabic text --------------------------

RTL_LANGUAGES = frozenset({"ar"})
FSI, PDI = "\u2068", "\u2069"  # FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE
_RTL_CHAR = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
# A run of left-to-right matter inside right-to-left text: Latin words and names, numbers, dates
# and ranges ("8–9", "2017–2018"), codes ("A/71/L.1"), commands ("/start"), handles, links and
# e-mail addresses. It starts and ends with a letter or digit (or an opening /, @, #, +, $).
_LTR_RUN = re.compile(
    r"(?:[/@#+$]|\.(?=[A-Za-z]))?[A-Za-z0-9\u00c0-\u024f]"
    r"(?:[A-Za-z0-9\u00c0-\u024f.,:;/\\\-–—'’&()?!=_%+@#~*\u00a0\u202f ]*[A-Za-z0-9\u00c0-\u024f)%])?"
)
_ISOLATED = re.compile(f"{FSI}[^{PDI}]*{PDI}")
_TAG = re.compile(r"(<[^>]*>)")


_PLAIN_NUMBER = re.compile(r"^[0-9]+(?:[.,\u00a0\u202f][0-9]+)*$")


def _wrap(match: re.Match) -> str:
    run = match.group(0)
    if _PLAIN_NUMBER.match(run):  # "2017", "86", "11.7": a lone number already reads right in Arabic
        return run
    if run.endswith(")") and run.count("(") < run.count(")"):  # "(GCM)": the brackets belong to the Arabic text
        return _wrap_text(run[:-1]) + ")"
    return f"{FSI}{run}{PDI}"


def _wrap_text(text: str) -> str:
    pieces, last = [], 0
    for done in _ISOLATED.finditer(text):  # already isolated: leave as it is (idempotent)
        pieces.append(_LTR_RUN.sub(_wrap, text[last:done.start()]))
        pieces.append(done.group(0))
        last = done.end()
    pieces.append(_LTR_RUN.sub(_wrap, text[last:]))
    return "".join(pieces)


def isolate(text: str, lang: str | None = None) -> str:
    """Plain text for a right-to-left reader: in Arabic text, each left-to-right run (a Latin name,
    a date or number, a code, a command, a link) is wrapped in FSI … PDI, so Telegram shows it
    in one piece, in its own order ("8–9" not "9–8", "/start" not "start/"), and neighbouring
    punctuation stays where the Arabic sentence puts it. Text without Arabic letters, and any
    language but Arabic, is returned unchanged."""
    if (normalize(lang) or DEFAULT) not in RTL_LANGUAGES or not text or not _RTL_CHAR.search(text):
        return text
    return _wrap_text(text)


def isolate_html(message: str, lang: str | None = None) -> str:
    """`isolate` for Telegram HTML: only text between tags changes (never a tag, attribute or link
    target), and entities stay whole (the text is unescaped, isolated, then escaped again)."""
    if (normalize(lang) or DEFAULT) not in RTL_LANGUAGES or not message or not _RTL_CHAR.search(message):
        return message
    import html as _html

    parts = _TAG.split(message)
    for i in range(0, len(parts), 2):  # even indexes are text, odd ones tags
        if parts[i]:
            parts[i] = _html.escape(_wrap_text(_html.unescape(parts[i])), quote=False)
    return "".join(parts)
