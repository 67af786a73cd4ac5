"""Pieces of HTML the templates use: the SVG chart, Telegram-HTML previews."""

from __future__ import annotations

import re
from html import escape

import nh3
from markupsafe import Markup

# Telegram's HTML subset, as a browser shows it. The text was validated by services/telegram_html
# first; nh3 still cleans it, so a preview can never carry script or styles into the console.
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "span"}
_TG = re.compile(r"<(/?)tg-spoiler>")


def telegram_preview(text: str) -> Markup:
    text = _TG.sub(lambda m: f"<{m.group(1)}span>" if m.group(1) else '<span class="tg-spoiler">', text)
    clean = nh3.clean(
        text, tags=_TAGS, attributes={"a": {"href"}, "span": {"class"}, "code": {"class"}},
        url_schemes={"http", "https", "tg"}, link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


def bar_chart(series: list[tuple[str, str, list[int]]], labels: list[str], *, title: str, height: int = 180) -> Markup:
    """A grouped bar chart as inline SVG: `series` = (name, css class, values per label)."""
    n, groups = len(series), len(labels)
    top = max([1] + [v for _, _, values in series for v in values])
    bar, gap, left, bottom = 10, 8, 34, 34
    width = left + groups * (n * bar + gap) + gap
    scale = (height - bottom - 10) / top
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" preserveAspectRatio="xMinYMin meet">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for tick in sorted({0, top // 2, top}):
        y = height - bottom - tick * scale
        out.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="axis">{tick}</text>')
    for g, label in enumerate(labels):
        x0 = left + gap + g * (n * bar + gap)
        for i, (name, css, values) in enumerate(series):
            v = values[g]
            h = v * scale
            out.append(
                f'<rect x="{x0 + i * bar}" y="{height - bottom - h:.1f}" width="{bar - 1}" height="{h:.1f}" class="{css}">'
                f"<title>{escape(name)}, week of {escape(label)}: {v}</title></rect>"
            )
        if g % 2 == 0 or groups <= 8:
            out.append(f'<text x="{x0 + n * bar / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" class="axis">{escape(label)}</text>')
    legend_x = left
    for name, css, _ in series:
        out.append(f'<rect x="{legend_x}" y="{height - 12}" width="10" height="10" class="{css}"/>')
        out.append(f'<text x="{legend_x + 14}" y="{height - 3}" class="axis">{escape(name)}</text>')
        legend_x += 14 + 8 * len(name) + 16
    out.append("</svg>")
    return Markup("".join(out))
