"""People first: how fast the bot answers people while a broadcast is going out.

Starts the fake Bot API (tests/fakebotapi.py) with Telegram's limits ENFORCED
(30 messages/s for the whole bot, 1/s per chat, 20/min per group: 429 +
retry_after beyond them), runs the real bot (`build_application`, long polling,
with its delivery worker) on a temporary SQLite file holding N subscribers,
queues a broadcast to all of them and, once it is under way, sends updates from
people who are not subscribers (from a separate thread, "from outside"):

  below   15 updates a second for 10 s (150 people; /help or a question):
          targets: every update answered, p99 reply < 1.5 s, all sends together
          >= 0.9 of 30/s during the flood, 429s < 0.5 % of sends
  above   2 000 people send /start and a question within 10 s (more replies than
          the cap allows): targets: every update answered, the last reply within
          1.1 x (reply messages / 30) + 2 s of the flood's start, the broadcast
          held back meanwhile, then finishing with 0 lost and 0 duplicates

Latency is measured by the server: from the moment an update is queued to the
moment the reply arrives.

    PYTHONPATH=. python benchmarks/updates.py                    # both scenarios, 5 000 subscribers
    PYTHONPATH=. python benchmarks/updates.py --scenarios below --subscribers 2000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakebotapi import FakeBotAPI  # noqa: E402

from gcmbot.app import build_services, load_content_into_db  # noqa: E402
from gcmbot.config import Settings  # noqa: E402
from gcmbot.models import Subscriber  # noqa: E402
from gcmbot.services.broadcast import CLI_ACTOR  # noqa: E402
from gcmbot.services.subscriptions import Segment  # noqa: E402

TOKEN = "123456:BENCH"
LIMIT = 30.0
TEXT = "<b>Registration for the Geneva consultation closes Friday.</b>"
QUESTION = "When is the Geneva consultation?"
PEOPLE = 2_000_000  # chat ids of the people who write to the bot (not subscribers)


def subscriber_ids(n: int) -> list[int]:
    """Mostly private chats, every 20th a group."""
    return [-(5_000_000 + i) if i % 20 == 7 else 1_000_000 + i for i in range(n)]


def make_services(path: Path, chats: list[int]):
    settings = Settings(_env_file=None, token=TOKEN, database_url=f"sqlite:///{path}", content_dir=ROOT / "content",
                        digest_tick_seconds=0)
    services = build_services(settings)
    services.db.upgrade(settings.migrations_dir)
    load_content_into_db(services)
    with services.db.session() as s:
        s.add_all(Subscriber(chat_id=c, chat_type="group" if c < 0 else "private", menu_token="bench") for c in chats)
    return services


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def inject(fake: FakeBotAPI, plan: list[tuple[float, int, str]], sent_at: dict[int, list[float]]) -> None:
    """Send the planned updates at their times (seconds after the start), from this thread."""
    start = time.monotonic()
    for offset, chat_id, text in plan:
        delay = start + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent_at.setdefault(chat_id, []).append(time.monotonic())
        fake.send_message(chat_id, text)


def replies_by_chat(fake: FakeBotAPI, since: float) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for t, chat in list(fake.send_log):
        if t >= since and isinstance(chat, int) and chat >= PEOPLE:
            out.setdefault(chat, []).append(t)
    return out


async def run(args, scenario: str, tmp: Path) -> None:
    from gcmbot.bot.application import build_application

    subscribers = subscriber_ids(args.subscribers)
    services = make_services(tmp / f"{scenario}.db", subscribers)
    fake = FakeBotAPI(enforce_limits=True).start()
    services.settings.bot_api_url = fake.base_url
    application = build_application(services)
    for job in application.job_queue.jobs():  # no feed polls (they would go to the internet) or leader checks
        job.schedule_removal()
    if scenario == "below":
        people = 150
        plan = [(i / 15, PEOPLE + i, "/help" if i % 2 else QUESTION) for i in range(people)]
        expected = dict.fromkeys(range(PEOPLE, PEOPLE + people), 1)
    else:
        people = args.people
        plan = []
        for i in range(people):
            plan += [(i * 10 / people, PEOPLE + i, "/start"), (i * 10 / people, PEOPLE + i, QUESTION)]
        expected = dict.fromkeys(range(PEOPLE, PEOPLE + people), 3)  # welcome + settings menu, answer
    sent_at: dict[int, list[float]] = {}
    try:
        async with application:
            await application.post_init(application)
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=1)
            broadcast_id = services.broadcasts.enqueue(CLI_ACTOR, TEXT, Segment(), via="benchmark")
            await fake.wait_for(lambda: fake.stats["sent"] >= 90, timeout=60)  # broadcast under way (~3 s)
            sends_before, errors_before = fake.stats["sent"], fake.stats["429"]
            flood_start = time.monotonic()
            injector = threading.Thread(target=inject, args=(fake, plan, sent_at), daemon=True)
            injector.start()
            deadline = flood_start + args.timeout

            def answered() -> int:
                got = replies_by_chat(fake, flood_start)
                return sum(1 for chat, n in expected.items() if len(got.get(chat, [])) >= n)

            while answered() < people and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            injector.join(timeout=15)
            done_at = time.monotonic()
            got = replies_by_chat(fake, flood_start)
            sends = [t for t, _ in list(fake.send_log) if t >= flood_start]
            print(f"\n== {scenario}: {len(plan)} updates from {people} people during a {len(subscribers)}-subscriber broadcast ==")
            print(f"answered                 {answered():8d} of {people} people ({sum(len(v) for v in got.values())} reply messages)")
            if scenario == "below":
                latencies = [got[chat][0] - sent_at[chat][0] for chat in expected if chat in got and chat in sent_at]
                flood_end = flood_start + 10
                in_flood = sum(1 for t in sends if t <= flood_end)
                print(f"reply latency            p50 {pct(latencies, 50):6.2f} s   p99 {pct(latencies, 99):6.2f} s   max {max(latencies, default=float('nan')):6.2f} s")
                print(f"all sends during flood   {in_flood / 10:8.2f} msg/s  (ratio to 30 msg/s: {in_flood / 10 / LIMIT:.3f})")
            else:
                last = max((v[n - 1] for chat, n in expected.items() if len(v := got.get(chat, [])) >= n), default=float("nan"))
                replies = sum(len(v) for v in got.values())
                bound = 1.1 * replies / LIMIT + 2
                broadcast_during = sum(1 for t, chat in list(fake.send_log)
                                       if flood_start <= t <= last and isinstance(chat, int) and chat < PEOPLE)
                firsts = [got[c][0] - sent_at[c][0] for c in expected if c in got and c in sent_at]
                print(f"last reply after         {last - flood_start:8.1f} s  (target <= 1.1 x {replies} / 30 + 2 = {bound:.1f} s)")
                print(f"first reply latency      p50 {pct(firsts, 50):6.2f} s   p99 {pct(firsts, 99):6.2f} s")
                print(f"broadcast sends meanwhile {broadcast_during:7d}")
            total_sends = fake.stats["sent"] - sends_before
            errors = fake.stats["429"] - errors_before
            print(f"429s                     {errors:8d}  ({errors / max(1, total_sends + errors):.2%} of {total_sends + errors} send attempts since the flood began)")
            if scenario == "above":
                while time.monotonic() < deadline + args.timeout:
                    [st] = services.broadcasts.status(broadcast_id)
                    if st.status == "done":
                        break
                    await asyncio.sleep(0.5)
                [st] = services.broadcasts.status(broadcast_id)
                delivered = Counter(m["chat"]["id"] for m in fake.sent() if isinstance(m["chat"]["id"], int) and m["chat"]["id"] < PEOPLE)
                lost = sum(1 for c in subscribers if not delivered[c])
                dups = sum(n - 1 for n in delivered.values() if n > 1)
                print(f"broadcast                {st.status}: sent {st.sent}, pending {st.pending}, failed {st.failed}; "
                      f"finished {time.monotonic() - flood_start:.1f} s after the flood began; lost {lost}, duplicates {dups}")
            else:
                print(f"(checked {done_at - flood_start:.1f} s after the flood began; the broadcast goes on)")
            print(f"duplicates (server)      {fake.stats['duplicates']:8d}", flush=True)
            await application.updater.stop()
            await application.stop()
    finally:
        fake.stop()
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5_000)
    parser.add_argument("--people", type=int, default=2_000, help="people in the 'above' scenario")
    parser.add_argument("--scenarios", default="below,above")
    parser.add_argument("--timeout", type=float, default=400.0, help="give up waiting for replies after this many seconds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in args.scenarios.split(","):
            asyncio.run(run(args, scenario.strip(), Path(tmp)))


if __name__ == "__main__":
    main()
