"""Text matching building blocks: folding (Arabic too), tokens, Snowball stemmers per language, typo correction, BM25.

Pure and deterministic: no I/O, no clocks, no randomness. Used by the question
answering service (services/questions.py) to match FAQ entries and events.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import snowballstemmer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

_TOKEN = re.compile(r"[a-z0-9\u0621-\u064a]+")  # Latin (folded) and Arabic letters

# Arabic: letters that are written several ways. NFKD already turns أ إ آ into ا and ؤ ئ
# into و ي (the hamza is a combining mark); these have no decomposition.
_ARABIC_FOLD = str.maketrans({
    "\u0640": None,  # tatweel (kashida), only stretches a word
    "\u0671": "\u0627",  # alef wasla → alef
    "\u0649": "\u064a",  # alef maqsura → ya
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Eastern Arabic-Indic digits
})


def fold(text: str) -> str:
    """Lower case, accents and Arabic diacritics removed, Arabic letter variants merged,
    apostrophes dropped: "Genève's" → "geneves", "الإعلانُ" → "الاعلان".

    Ta marbuta (ة) is left to the Arabic stemmer, which removes it with other endings.
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.translate(_ARABIC_FOLD).lower().replace("'", "").replace("’", "")


def words(text: str) -> list[str]:
    """Folded word tokens, stopwords included (for phrases and typo correction)."""
    return _TOKEN.findall(fold(text))


# Function words of English (and the commonest Spanish/French ones). Question words
# (when, where, who) are here too: the event matcher looks at them separately.
STOPWORDS = frozenset(fold(w) for w in (
    """
    a about above after again all also am an and any are as at be been being but by can could
    did do does doing done for from had has have having he her here hers him his how i if in into
    is it its itself just me more most my myself no nor not of off on once only or other our ours
    out over own please s same she should so some such t tell than that the their theirs them then
    there these they this those through to too under until up very was we were what whats which
    while who whom why will with would you your yours yourself know let lets want wanna im ive id
    dont doesnt isnt cant thing things something anything much many when where whens wheres
    one ones get got us hey hi hello thanks thank pls plz go goes going gonna
    el la los las de del que en y es un una por para con se lo le al como qué cuál cuándo dónde
    le les des du et est une pour avec sur au aux ce qui quoi quand où ou
    cual cuales cuando donde quien quienes son su sus sobre dice ya muy hay puede pueden este esta estos
    sont il elle ils elles dit qu ne pas se sa ses leur leurs nous vous votre notre je mon ma cette ces peut
    ont quest cest
    ما هو هي من في على عن الى هل كيف متى اين ماذا لماذا هذا هذه ذلك التي الذي او مع كل
    """.split()
))


# --- stemming: Snowball, per language -------------------------------------------------

LANGS = ("en", "es", "fr", "ar")
_SNOWBALL = {"en": "english", "es": "spanish", "fr": "french", "ar": "arabic"}
_stemmers = {lang: snowballstemmer.stemmer(name) for lang, name in _SNOWBALL.items()}
_stem_lock = threading.Lock()  # Snowball stemmer objects keep state while they work
_ARABIC = re.compile(r"[\u0621-\u064a]")

# Words that tell a Spanish or French question from an English one (folded).
_LANG_MARKERS = {
    "es": frozenset("el los las del es por para con una como cual cuales cuando donde hay puede pueden son sobre esta este pacto "
                    "sociedad migracion migrantes ninos quien quienes".split()),
    "fr": frozenset("le les des du est une pour avec sur au aux ce qui quoi quand ou sont dit pacte societe migrations "
                    "quel quelle quelles quels enfants ont lieu quest cest signifie".split()),
}


def guess_lang(tokens: Sequence[str]) -> str:
    """en, es, fr or ar: the language a question (folded tokens) is most likely in. English when unsure."""
    if any(_ARABIC.match(t) for t in tokens):
        return "ar"
    es, fr = (sum(t in _LANG_MARKERS[lang] for t in tokens) for lang in ("es", "fr"))
    if es == fr:
        return "en"
    return "es" if es > fr else "fr"


@lru_cache(maxsize=100_000)
def stem(word: str, lang: str = "en") -> str:
    """The Snowball stem of a folded word in `lang` (Arabic script always gets the Arabic stemmer).

    English spellings with -iz- are merged with -is- first ("regularization"/"regularisation").
    """
    if word.isdigit() or len(word) <= 2:
        return word
    if _ARABIC.match(word):
        lang = "ar"
    elif lang == "en":
        word = word.replace("iz", "is")
    stemmer = _stemmers.get(lang, _stemmers["en"])
    with _stem_lock:
        return stemmer.stemWord(word)


def terms(text: str, lang: str = "en") -> list[str]:
    """Stemmed content terms of a text in `lang` (stopwords removed)."""
    return [stem(w, lang) for w in words(text) if w not in STOPWORDS]


# --- typo correction ------------------------------------------------------------


class Speller:
    """Corrects words not in the vocabulary to the closest known word (rapidfuzz).

    Only unknown words are touched, and only when a known word is close enough
    for the word's length, so real words never get "corrected" into others.
    """

    def __init__(self, vocabulary: Iterable[str], counts: Counter | None = None, targets: Iterable[str] | None = None) -> None:
        self.known = frozenset(w for w in vocabulary if w)
        self.known_stems = frozenset(stem(w) for w in self.known)
        self.counts = counts or Counter()
        # What an unknown word may be corrected into (default: any known word).
        self._choices = sorted(self.known if targets is None else {w for w in targets if w})
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
        # A typo in a short word rarely changes its first letter: "bien" is not "lien" (Arabic
        # letters are left alone: a prefixed article or preposition changes the first one).
        found = [f for f in found if len(word) > 5 or not word[0].isascii() or f[0][0] == word[0]]
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
        # The same postings as arrays: documents, and each one's BM25 weight for the term (a
        # question then costs a few numpy additions instead of a Python loop over documents).
        self.arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for t, posting in self.postings.items():
            docs = np.fromiter((i for i, _ in posting), dtype=np.int64, count=len(posting))
            tf = np.fromiter((c for _, c in posting), dtype=np.float64, count=len(posting))
            lengths = np.fromiter((self.lengths[i] for i, _ in posting), dtype=np.float64, count=len(posting))
            norm = tf + self.k1 * (1 - self.b + self.b * lengths / self.avgdl)
            self.arrays[t] = (docs, self.idf[t] * tf * (self.k1 + 1) / norm)

    def score_array(self, query: Iterable[str]) -> np.ndarray:
        """The score of every document (0 for those sharing no term with the query)."""
        out = np.zeros(len(self.docs), dtype=np.float64)
        for t in set(query):
            found = self.arrays.get(t)
            if found is not None:
                out[found[0]] += found[1]  # a term's documents are distinct: a plain indexed add
        return out

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
