"""Digest cost for 10 000 subscribers spread over realistic segments.

Run: python -m benchmarks.digest [--subscribers N]   (or python benchmarks/digest.py)

Builds a SQLite database in a temporary folder, loads the shipped content, adds
subscribers (most follow everything or one or two regions; some narrow by
constituency and topic; timezones of their regions) and a week of feed items,
then measures:

1. a scheduling tick with every subscriber due: load subscribers, decide who is
   due, select + render (once per segment and UTC offset), queue every message;
2. an idle tick (everyone already done this week): what the bot pays every minute;
3. the peak memory of a full tick (measured apart: tracemalloc slows things down).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gcmbot.app import build_services, load_content_into_db  # noqa: E402
from gcmbot.config import Settings  # noqa: E402
from gcmbot.store import digest as digest_store  # noqa: E402
from gcmbot.store import outbox  # noqa: E402
from gcmbot.store import subscribers as sub_store  # noqa: E402

NOW = datetime(2030, 1, 8, 12, tzinfo=timezone.utc)  # a Tuesday: every Monday slot has passed everywhere


def populate(services, n: int, rng: random.Random) -> None:
    regions = [vid for vid, _ in services.subscriptions.options("region")]
    constituencies = [vid for vid, _ in services.subscriptions.options("constituency")]
    topics = [vid for vid, _ in services.subscriptions.options("topic")]
    zones = dict(services.subscriptions.timezones_for_regions())
    zone_list = [z for names in zones.values() for z in names] or ["UTC"]
    created = NOW - timedelta(days=30)
    with services.db.session() as s:
        for i in range(n):
            narrow_regions = rng.random() < 0.6
            sub = sub_store.create(
                s, chat_id=10_000_000 + i, chat_type="private" if rng.random() < 0.8 else "group",
                timezone=rng.choice(zone_list), digest_weekday=0, digest_hour=rng.choice((7, 8, 9, 10)),
                all_regions=not narrow_regions, all_constituencies=rng.random() < 0.7, all_topics=rng.random() < 0.8,
                created_at=created, send_empty_digest=rng.random() < 0.2,
            )
            if narrow_regions:
                sub_store.set_choices(s, sub.id, "region", rng.sample(regions, rng.choice((1, 1, 2))))
            if not sub.all_constituencies:
                sub_store.set_choices(s, sub.id, "constituency", rng.sample(constituencies, 1))
            if not sub.all_topics:
                sub_store.set_choices(s, sub.id, "topic", rng.sample(topics, rng.choice((1, 2, 3))))
    add_items(services, NOW, rng)


def add_items(services, now: datetime, rng: random.Random, n: int = 40) -> None:
    """A week's worth of UN/IOM documents, before `now`."""
    regions = [vid for vid, _ in services.subscriptions.options("region")]
    topics = [vid for vid, _ in services.subscriptions.options("topic")]
    with services.db.session() as s:
        feeds = list(digest_store.feed_names(s))
        for j in range(n):
            seen = now - timedelta(hours=rng.uniform(30, 160))
            digest_store.add_feed_item(
                s, feed_id=rng.choice(feeds), key=f"item-{now:%Y%m%d}-{j}", title=f"IOM/UN document {j} on migration & <governance>",
                link=f"https://www.iom.int/news/{j}", published_at=seen, first_seen_at=seen,
                regions=rng.sample(regions, rng.choice((0, 0, 1))), topics=rng.sample(topics, rng.choice((0, 1, 2))),
            )


def measure(label: str, fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<36} wall {wall:6.2f} s   cpu {cpu:6.2f} s")
    return result


def peak_memory(label: str, fn):
    """Peak Python memory of fn (tracemalloc slows it down, so it runs apart from the timing)."""
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<36} peak traced memory {peak / 2**20:6.1f} MiB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(48)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp}/bench.db", token="1:x")
        services = build_services(settings)
        services.db.upgrade(settings.migrations_dir)
        load_content_into_db(services)
        t = time.perf_counter()
        populate(services, args.subscribers, rng)
        print(f"setup: {args.subscribers} subscribers, 40 feed items in {time.perf_counter() - t:.1f} s")

        report = measure("1. full tick, everyone due", lambda: services.digest.send_due(NOW))
        print(f"   {report}")
        with services.db.session() as s:
            print(f"   outbox now holds {outbox.backlog(s)} pending message(s)")

        measure("2. idle tick (all done this week)", lambda: services.digest.send_due(NOW + timedelta(minutes=1)))
        add_items(services, NOW + timedelta(days=7), rng)
        later = peak_memory("3. full tick a week later, memory", lambda: services.digest.send_due(NOW + timedelta(days=7)))
        print(f"   {later}")
        print(f"peak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        services.close()


if __name__ == "__main__":
    main()
