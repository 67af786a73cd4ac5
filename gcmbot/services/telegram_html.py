"""Validate text written in Telegram's HTML subset before it is queued.

Telegram rejects a whole message when its markup is wrong, and a broadcast would
then fail for every recipient. So admin texts are checked here first, with an
error that says what is wrong and where (line and column, 1-based).

Supported (https://core.telegram.org/bots/api#html-style): b, strong, i, em, u,
ins, s, strike, del, a href (http, https, tg links), code (class="language-…"
inside pre), pre, tg-spoiler, span class="tg-spoiler", blockquote (optionally
expandable). Every <, > and & that is not markup must be written &lt; &gt; &amp;.
Only the entities &lt; &gt; &amp; &quot; and numeric ones (&#33; &#x21;) exist.
"""

from __future__ import annotations

import re

MAX_LENGTH = 4096  # characters after entity parsing (counted like Telegram, in UTF-16 units)

SIMPLE_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "pre", "blockquote", "code", "span", "a"})
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ATTR_RE = re.compile(r"""\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]*);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_LINK_SCHEMES = ("http://", "https://", "tg://")


class InvalidHTML(ValueError):
    """The text is not valid Telegram HTML. str() is a one-line explanation with the position."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message, self.line, self.column = message, line, column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(where + message)


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def _attributes(raw: str) -> dict[str, str | None] | None:
    attrs: dict[str, str | None] = {}
    pos = 0
    raw = raw.rstrip()
    while pos < len(raw):
        m = _ATTR_RE.match(raw, pos)
        if not m or m.end() == pos:
            return None
        value = m.group(2)
        if value is not None and value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs[m.group(1).lower()] = value
        pos = m.end()
    return attrs


def _check_attributes(name: str, attrs: dict[str, str | None], parents: list[str]) -> str | None:
    """An error message, or None when the tag's attributes are fine."""
    if name == "a":
        href = attrs.get("href")
        if set(attrs) - {"href"} or not href:
            return '<a> needs exactly one attribute, href="https://…"'
        link = _unescape(href).strip()
        if not link.lower().startswith(_LINK_SCHEMES):
            return f"link {link[:60]!r} is not allowed: links must start with http://, https:// or tg://"
        return None
    if name == "span":
        if attrs != {"class": "tg-spoiler"}:
            return '<span> is only allowed as <span class="tg-spoiler">'
        return None
    if name == "code":
        if not attrs:
            return None
        cls = attrs.get("class") or ""
        if set(attrs) == {"class"} and re.fullmatch(r"language-[A-Za-z0-9_+#-]+", cls) and parents[-1:] == ["pre"]:
            return None
        return '<code> takes no attributes (only <code class="language-…"> directly inside <pre>)'
    if name == "blockquote":
        if set(attrs) <= {"expandable"} and attrs.get("expandable") is None:
            return None
        return "<blockquote> takes no attributes except expandable"
    if attrs:
        return f"<{name}> takes no attributes"
    return None


def _unescape(text: str) -> str:
    def repl(m: re.Match) -> str:
        name = m.group(1)
        if name.startswith(("#x", "#X")):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _NAMED[name.lower()]

    return _ENTITY_RE.sub(repl, text)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def plain_text(text: str) -> str:
    """What the recipient reads: tags removed, entities decoded (text assumed valid)."""
    return _unescape(_TAG_RE.sub("", text))


# Invisible control characters (tab and line breaks are fine) and lone UTF-16 surrogates, which are no
# UTF-8 at all: Telegram drops or refuses them and PostgreSQL cannot store NUL.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def validate(text: str, *, max_length: int = MAX_LENGTH) -> str:
    """Return `text` unchanged if Telegram will accept it; raise InvalidHTML otherwise."""
    control = _CONTROL_RE.search(text)
    if control is not None:
        raise InvalidHTML(f"an invisible control character (U+{ord(control.group()):04X}) cannot be sent: delete it "
                          "(it often comes with text pasted from another program)", *_position(text, control.start()))
    stack: list[tuple[str, int]] = []  # (tag name, index where it opened)
    plain: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "<":
            m = _TAG_RE.match(text, i)
            if m is None:
                raise InvalidHTML("a bare '<' that does not start a tag: write &lt; for a literal <", *_position(text, i))
            closing, name, raw_attrs, self_closing = m.group(1) == "/", m.group(2).lower(), m.group(3), m.group(4)
            here = _position(text, i)
            if name not in SIMPLE_TAGS:
                hint = " (use a new line instead)" if name in ("br", "p", "div") else ""
                raise InvalidHTML(
                    f"<{name}> is not supported by Telegram{hint}; allowed: b, i, u, s, a, code, pre, blockquote, tg-spoiler, "
                    'span class="tg-spoiler" (and strong, em, ins, strike, del)', *here)
            if self_closing:
                raise InvalidHTML(f"<{name}/> cannot be self-closing: write <{name}>…</{name}>", *here)
            if closing:
                if raw_attrs.strip():
                    raise InvalidHTML(f"closing tag </{name}> cannot have attributes", *here)
                if not stack:
                    raise InvalidHTML(f"</{name}> closes a tag that was never opened", *here)
                open_name, opened_at = stack[-1]
                if open_name != name:
                    line, column = _position(text, opened_at)
                    raise InvalidHTML(f"</{name}> does not match <{open_name}> opened at line {line}, column {column}: close that one first", *here)
                stack.pop()
            else:
                attrs = _attributes(raw_attrs)
                if attrs is None:
                    raise InvalidHTML(f"cannot read the attributes of <{name}>", *here)
                parents = [t for t, _ in stack]
                problem = _check_attributes(name, attrs, parents)
                if problem:
                    raise InvalidHTML(problem, *here)
                if parents and parents[-1] in ("code", "pre") and not (parents[-1] == "pre" and name == "code"):
                    raise InvalidHTML(f"<{name}> cannot be inside <{parents[-1]}>: code and pre hold plain text only", *here)
                if name == "a" and "a" in parents:
                    raise InvalidHTML("a link cannot be inside another link", *here)
                if name == "blockquote" and "blockquote" in parents:
                    raise InvalidHTML("a blockquote cannot be inside another blockquote", *here)
                stack.append((name, i))
            i = m.end()
        elif ch == "&":
            m = _ENTITY_RE.match(text, i)
            if m is None:
                raise InvalidHTML("a bare '&': write &amp; for a literal &", *_position(text, i))
            name = m.group(1)
            if not name.startswith("#") and name.lower() not in _NAMED:
                raise InvalidHTML(f"&{name}; is not supported: Telegram knows only &lt; &gt; &amp; &quot; and numeric entities like &#8212;", *_position(text, i))
            if name.startswith("#"):
                code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
                if not 0 < code <= 0x10FFFF:
                    raise InvalidHTML(f"&{name}; is not a valid character", *_position(text, i))
            plain.append(_unescape(m.group(0)))
            i = m.end()
        elif ch == ">":
            raise InvalidHTML("a bare '>': write &gt; for a literal >", *_position(text, i))
        else:
            j = i
            while j < n and text[j] not in "<&>":
                j += 1
            plain.append(text[i:j])
            i = j
    if stack:
        name, opened_at = stack[-1]
        raise InvalidHTML(f"<{name}> is never closed: add </{name}>", *_position(text, opened_at))
    readable = "".join(plain)
    if not readable.strip():
        raise InvalidHTML("the message is empty")
    length = _utf16_len(readable)
    if length > max_length:
        raise InvalidHTML(f"the message is {length} characters long without markup; Telegram allows at most {max_length}")
    return text
