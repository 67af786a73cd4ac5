"""Tagging feed items with topics and regions from content/'s keyword rules. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from gcmbot.services.feed_parse import ParsedItem


def _is_acronym(word: str) -> bool:
    return word.isupper() and len(word) <= 6


def _alternation(words: Iterable[str], flags: str) -> re.Pattern | None:
    words = sorted(set(words), key=len, reverse=True)  # longest first: "South Sudan" before "Sudan"
    if not words:
        return None
    return re.compile(rf"(?{flags}:(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w))")


@dataclass
class TagRules:
    """Keyword rules from content/: topic keywords and region aliases (plus the region's name).

    Whole words only; ALL-CAPS acronyms (EU, UK, USA) match case-sensitively, the rest in any case.
    One pass over the text finds every rule word; a lookup maps it to its topics / regions.
    """

    folded: re.Pattern | None = None
    exact: re.Pattern | None = None
    lookup: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # word → {(kind, id)}
    order: dict[tuple[str, str], int] = field(default_factory=dict)  # content order of the tags

    @classmethod
    def build(cls, topics: Iterable[tuple[str, Iterable[str]]], regions: Iterable[tuple[str, Iterable[str]]]) -> TagRules:
        lookup: dict[str, set[tuple[str, str]]] = {}
        order: dict[tuple[str, str], int] = {}
        for kind, rules in (("topic", topics), ("region", regions)):
            for tid, words in rules:
                order.setdefault((kind, tid), len(order))
                for word in words:
                    word = " ".join(word.split())
                    if word:
                        lookup.setdefault(word if _is_acronym(word) else word.casefold(), set()).add((kind, tid))
        return cls(
            _alternation([w for w in lookup if not _is_acronym(w)], "i"),
            _alternation([w for w in lookup if _is_acronym(w)], ""),
            lookup,
            order,
        )

    def tag(self, item: ParsedItem, *, feed_topics: Iterable[str] = (), feed_regions: Iterable[str] = ()) -> tuple[list[str], list[str]]:
        text = " ".join(" ".join((item.title, item.summary, *item.places)).split())
        found: set[tuple[str, str]] = set()
        if self.folded is not None:
            for match in self.folded.finditer(text):
                found |= self.lookup.get(match.group(0).casefold(), set())
        if self.exact is not None:
            for match in self.exact.finditer(text):
                found |= self.lookup.get(match.group(0), set())
        ranked = sorted(found, key=lambda t: self.order.get(t, 0))
        topics = list(dict.fromkeys([*feed_topics, *(i for k, i in ranked if k == "topic")]))
        regions = list(dict.fromkeys([*feed_regions, *(i for k, i in ranked if k == "region")]))
        return topics, regions
