"""Text matching building blocks: folding, tokens, a light stemmer, typo correction, BM25.

Pure and deterministic: no I/O, no clocks, no randomness. Used by the question
answering service (services/questions.py) to match FAQ entries and events.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

_TOKEN = re.compile(r"[a-z0-9\u0621-\u064a]+")  # Latin (folded) and Arabic letters

# Function words of English (and the commonest Spanish/French ones). Question words
# (when, where, who) are here too: the event matcher looks at them separately.
STOPWORDS = frozenset(
    """
    a about above after again all also am an and any are as at be been being but by can could
    did do does doing done for from had has have having he her here hers him his how i if in into
    is it its itself just me more most my myself no nor not of off on once only or other our ours
    out over own please s same she should so some such t tell than that the their theirs them then
    there these they this those through to too under until up very was we were what whats which
    while who whom why will with would you your yours yourself know let lets want wanna im ive id
    dont doesnt isnt cant thing things something anything much many when where whens wheres
    one ones get got us hey hi hello thanks thank pls plz
    el la los las de del que en y es un una por para con se lo le al como qué cuál cuándo dónde
    le les des du et est une pour avec sur au aux ce qui quoi quand où ou
    cual cuales cuando donde quien quienes son su sus sobre dice ya muy hay puede pueden este esta estos
    sont il elle ils elles dit qu ne pas se sa ses leur leurs nous vous votre notre je mon ma cette ces peut
    """.split()
)


def fold(text: str) -> str:
    """Lower case, accents removed, apostrophes dropped: "Genève's" → "geneves"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.lower().replace("'", "").replace("’", "")


def words(text: str) -> list[str]:
    """Folded word tokens, stopwords included (for phrases and typo correction)."""
    return _TOKEN.findall(fold(text))


def stem(word: str) -> str:
    """A small suffix stripper: good enough to make "consultations"/"consultation"/"consult" meet."""
    w = word.replace("iz", "is")
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ation", "ition", "ings", "ing", "ion", "ment", "ed", "ly", "ate", "ive"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    return w


def terms(text: str) -> list[str]:
    """Stemmed content terms of a text (stopwords removed)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


# --- typo correction ------------------------------------------------------------


class Speller:
    """Corrects words not in the vocabulary to the closest known word (rapidfuzz).

    Only unknown words are touched, and only when a known word is close enough
    for the word's length, so real words never get "corrected" into others.
    """

    def __init__(self, vocabulary: Iterable[str], counts: Counter | None = None) -> None:
        self.known = frozenset(w for w in vocabulary if w)
        self.known_stems = frozenset(stem(w) for w in self.known)
        self.counts = counts or Counter()
        self._choices = sorted(self.known)
        self._cache: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        """The known word this one is meant to be, or None when nothing is close."""
        if word in self.known or word.isdigit() or stem(word) in self.known_stems:
            return word
        if len(word) < 3:
            return None
        if word in self._cache:
            return self._cache[word]
        # fuzz.ratio, and OSA which counts a swap of two letters ("waht") as one edit; both native.
        cutoff = 75 if len(word) <= 4 else 80
        found = process.extract(word, self._choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5)
        found += [(c, 100 * s, i) for c, s, i in process.extract(
            word, self._choices, scorer=OSA.normalized_similarity, score_cutoff=cutoff / 100, limit=5)]
        if len(word) <= 4:  # short words: only common targets ("wen" → "when", never "find" → "inde")
            found = [f for f in found if self.counts.get(f[0], 0) >= 3]
        best = None
        if found:
            # Highest similarity; on ties the commoner word, then the alphabetical first (deterministic).
            best = min(found, key=lambda f: (-f[1], -self.counts.get(f[0], 0), f[0]))[0]
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[word] = best
        return best

    def correct_words(self, tokens: Sequence[str]) -> tuple[list[str], list[str]]:
        """(corrected tokens, unknown tokens). Unknown tokens are kept as they are."""
        out, unknown = [], []
        for token in tokens:
            fixed = self.correct(token)
            if fixed is None:
                unknown.append(token)
                out.append(token)
            else:
                out.append(fixed)
        return out, unknown


# --- BM25 -----------------------------------------------------------------------


@dataclass
class BM25:
    """Okapi BM25 over pre-tokenised documents."""

    docs: list[list[str]]
    k1: float = 1.2
    b: float = 0.75
    df: Counter = field(init=False)
    idf: dict[str, float] = field(init=False)
    tfs: list[Counter] = field(init=False)
    lengths: list[int] = field(init=False)
    avgdl: float = field(init=False)

    def __post_init__(self) -> None:
        self.tfs = [Counter(d) for d in self.docs]
        self.lengths = [len(d) for d in self.docs]
        self.avgdl = (sum(self.lengths) / len(self.docs)) if self.docs else 1.0
        self.df = Counter(t for tf in self.tfs for t in tf)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in self.df.items()}
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, tf in enumerate(self.tfs):
            for t, c in tf.items():
                self.postings.setdefault(t, []).append((i, c))

    def scores(self, query: Iterable[str]) -> dict[int, float]:
        """Score of every document sharing a term with the query (sparse)."""
        out: dict[int, float] = {}
        for t in set(query):
            idf = self.idf.get(t)
            if idf is None:
                continue
            for i, c in self.postings[t]:
                norm = c + self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avgdl)
                out[i] = out.get(i, 0.0) + idf * c * (self.k1 + 1) / norm
        return out
