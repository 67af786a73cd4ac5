"""Question answering: accuracy per category on tests/data/questions.yaml, and latency.

    python benchmarks/faq.py [--verbose]

Latency is measured on the shipped content and on the shipped FAQ plus synthetic
entries (500 in all), since the target is p99 < 20 ms for 500 entries.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from gcmbot.content import load_content  # noqa: E402
from gcmbot.services.knowledge import FaqDoc, Knowledge  # noqa: E402
from gcmbot.services.questions import answer_question, knowledge_from_content  # noqa: E402

EVAL_FILE = ROOT / "tests" / "data" / "questions.yaml"


def load_eval() -> tuple[date, list[dict]]:
    data = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))
    return data["today"], data["questions"]


def is_correct(answer, expect) -> bool:
    """An answer meets an expectation (or any of a list of acceptable ones)."""
    if isinstance(expect, list):
        return any(is_correct(answer, e) for e in expect)
    if expect == "decline":
        return answer.outcome == "declined"
    if "faq" in expect:
        if answer.faq is not None:
            return answer.faq.id == expect["faq"]
        return answer.outcome == "suggested" and answer.suggestions[0].id == expect["faq"]
    if "events" in expect:
        return answer.kind == "events" and {e.id for e in answer.events} == set(expect["events"])
    if "intent" in expect:
        return answer.intent == expect["intent"]
    raise ValueError(f"unknown expectation {expect!r}")


def evaluate(knowledge: Knowledge, verbose: bool = False) -> tuple[dict[str, tuple[int, int]], float]:
    today, items = load_eval()
    per: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        answer = answer_question(item["q"], knowledge, item.get("today", today))
        ok = is_correct(answer, item["expect"])
        per[item["category"]].append(ok)
        if verbose and not ok:
            got = answer.faq.id if answer.faq else [e.id for e in answer.events] or answer.intent or [s.id for s in answer.suggestions]
            top = [(c.id, c.confidence) for c in answer.candidates[:3]]
            print(f"MISS [{item['category']}] {item['q']!r}: {answer.outcome} {got} expected {item['expect']} top={top}")
    counts = {cat: (sum(oks), len(oks)) for cat, oks in per.items()}
    total = sum(c for c, _ in counts.values()) / sum(n for _, n in counts.values())
    return counts, total


def synthetic(knowledge_faqs: list[FaqDoc], n: int) -> list[FaqDoc]:
    rng = random.Random(7)
    vocab = sorted({w for f in knowledge_faqs for w in (f.question + " " + f.answer).lower().split() if w.isalpha()})
    out = list(knowledge_faqs)
    for i in range(n - len(out)):
        q = " ".join(rng.choice(vocab) for _ in range(8)) + "?"
        a = " ".join(rng.choice(vocab) for _ in range(80))
        out.append(FaqDoc(f"synthetic-{i}", q, a, tuple(" ".join(rng.choice(vocab) for _ in range(5)) for _ in range(4))))
    return out


def latency(knowledge: Knowledge, rounds: int = 5) -> tuple[float, float]:
    today, items = load_eval()
    times = []
    for _ in range(rounds):
        for item in items:
            t0 = time.perf_counter()
            answer_question(item["q"], knowledge, today)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main() -> None:
    content = load_content(ROOT / "content")
    knowledge = knowledge_from_content(content)
    counts, total = evaluate(knowledge, verbose="--verbose" in sys.argv)
    print(f"evaluation set: {sum(n for _, n in counts.values())} questions")
    for cat, (ok, n) in sorted(counts.items()):
        print(f"  {cat:14s} {ok:3d}/{n:<3d} {100 * ok / n:5.1f}%")
    print(f"  {'overall':14s} {100 * total:5.1f}%")
    p50, p99 = latency(knowledge)
    print(f"latency, {len(knowledge.faqs)} FAQ entries: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    t0 = time.perf_counter()
    big = Knowledge(faqs=synthetic(knowledge.faqs, 500), events=knowledge.events, topics=knowledge.topics, regions=knowledge.regions)
    build = (time.perf_counter() - t0) * 1000
    p50, p99 = latency(big)
    print(f"latency, {len(big.faqs)} FAQ entries: p50 {p50:.2f} ms, p99 {p99:.2f} ms (index built in {build:.0f} ms)")


if __name__ == "__main__":
    main()
