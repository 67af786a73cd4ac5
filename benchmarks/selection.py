"""How long does "select recipients for region=X, constituency=Y, topic=Z" take?

    python benchmarks/selection.py [--subscribers 100000] [--database-url URL]

Creates N subscribers with random choices in a fresh database (a SQLite temp
file by default; pass a PostgreSQL URL to measure there — its tables are
dropped and recreated), then times select_recipients for random segments.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text

from gcmbot.content import load_content
from gcmbot.models import Subscriber, SubscriberChoice, utcnow
from gcmbot.services.subscriptions import Subscriptions
from gcmbot.store import Database
from gcmbot.store.content import sync_content

ROOT = Path(__file__).resolve().parent.parent


def populate(db: Database, n: int, content, rng: random.Random) -> None:
    regions = [r.id for r in content.regions]
    constituencies = [c.id for c in content.constituencies]
    topics = [t.id for t in content.topics]
    now = utcnow()
    subs, choices = [], []
    for i in range(1, n + 1):
        flags = {}
        for kind, values in (("region", regions), ("constituency", constituencies), ("topic", topics)):
            if rng.random() < 0.3:  # 30 % follow everything in a dimension
                flags[kind] = True
                continue
            flags[kind] = False
            for value in rng.sample(values, rng.randint(1, 3)):
                choices.append({"subscriber_id": i, "kind": kind, "value": value})
        subs.append(
            dict(id=i, chat_id=10_000_000 + i, chat_type="private", language="en", timezone="UTC",
                 status="active" if rng.random() < 0.9 else "stopped", all_regions=flags["region"],
                 all_constituencies=flags["constituency"], all_topics=flags["topic"], digest_weekday=0, digest_hour=9,
                 send_empty_digest=False, alerts=False, reminders=True, reminder_days=3, menu_token="", created_at=now, updated_at=now)
        )
    with db.engine.begin() as conn:
        for start in range(0, len(subs), 5000):
            conn.execute(insert(Subscriber), subs[start : start + 5000])
        for start in range(0, len(choices), 5000):
            conn.execute(insert(SubscriberChoice), choices[start : start + 5000])
        conn.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    db = Database(url)
    db.wipe()
    db.upgrade(ROOT / "migrations")
    content = load_content(ROOT / "content")
    with db.session() as s:
        sync_content(s, content)
    rng = random.Random(42)
    t0 = time.perf_counter()
    populate(db, args.subscribers, content, rng)
    print(f"database: {db.url.split('@')[-1]}")
    print(f"created {args.subscribers} subscribers in {time.perf_counter() - t0:.1f} s")

    service = Subscriptions(db)
    timings, sizes = [], []
    for _ in range(args.queries):
        segment = dict(
            regions=[rng.choice(content.regions).id],
            constituencies=[rng.choice(content.constituencies).id],
            topics=[rng.choice(content.topics).id],
        )
        t = time.perf_counter()
        sizes.append(len(service.select_recipients(**segment)))
        timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    print(
        f"select_recipients(region, constituency, topic) over {args.queries} random segments: "
        f"median {statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, "
        f"max {timings[-1]:.1f} ms; median recipients {int(statistics.median(sizes))}"
    )
    t = time.perf_counter()
    everyone = len(service.select_recipients())
    print(f"select_recipients() (everyone active): {everyone} chats in {(time.perf_counter() - t) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
