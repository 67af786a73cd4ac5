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

  processes  the measurement of the issue: while `gcmbot run` is up (here: in
          process), two `gcmbot broadcast send ID` and two `gcmbot digest send-due`
          processes deliver three broadcasts to N subscribers (default 1 200: 3 600
          sends) and 300 people write to the bot over 10 s: 429s (target 0),
          duplicates, lost, "database is locked" in the processes' output

Latency is measured by the server: from the moment an update is queued to the
moment the reply arrives.

    PYTHONPATH=. python benchmarks/updates.py                    # both scenarios, 5 000 subscribers
    PYTHONPATH=. python benchmarks/updates.py --scenarios below --subscribers 2000
    PYTHONPATH=. python benchmarks/updates.py --scenarios processes --subscribers 1200
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
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

    subscribers = subscriber_ids(args.subscribers or (1_200 if scenario == "processes" else 5_000))
    services = make_services(tmp / f"{scenario}.db", subscribers)
    fake = FakeBotAPI(enforce_limits=True).start()
    services.settings.bot_api_url = fake.base_url
    application = build_application(services)
    for job in application.job_queue.jobs():  # no feed polls (they would go to the internet) or leader checks
        job.schedule_removal()
    if scenario == "processes":
        people = 300
        plan = [(i / 30, PEOPLE + i, "/help" if i % 2 else QUESTION) for i in range(people)]
        expected = dict.fromkeys(range(PEOPLE, PEOPLE + people), 1)
    elif scenario == "below":
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
            children: list[subprocess.Popen] = []
            if scenario == "processes":
                others = [services.broadcasts.enqueue(CLI_ACTOR, f"{TEXT} ({n})", Segment(), via="benchmark") for n in (2, 3)]
                env = {**os.environ, "GCMBOT_DATABASE_URL": services.settings.database_url, "GCMBOT_TOKEN": TOKEN,
                       "GCMBOT_BOT_API_URL": fake.base_url, "GCMBOT_CONTENT_DIR": str(ROOT / "content"),
                       "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
                commands = [["broadcast", "send", str(b)] for b in others] + [["digest", "send-due"]] * 2
                children = [subprocess.Popen([sys.executable, "-m", "gcmbot", *c], cwd=tmp, env=env,
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in commands]
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
            if scenario in ("below", "processes"):
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
            if scenario in ("above", "processes"):
                ids = [broadcast_id, *(others if scenario == "processes" else [])]
                while time.monotonic() < deadline + args.timeout:
                    if all(st.status == "done" for b in ids for st in services.broadcasts.status(b)):
                        break
                    await asyncio.sleep(0.5)
                for child in children:
                    child.wait(timeout=60)
                for b in ids:
                    [st] = services.broadcasts.status(b)
                    print(f"broadcast #{b}             {st.status}: sent {st.sent}, pending {st.pending}, failed {st.failed}; "
                          f"done {time.monotonic() - flood_start:.1f} s after the flood began")
                per_chat = Counter(m["chat"]["id"] for m in fake.sent() if isinstance(m["chat"]["id"], int) and m["chat"]["id"] < PEOPLE)
                lost = sum(max(0, len(ids) - per_chat[c]) for c in subscribers)
                print(f"broadcast messages lost  {lost:8d}  (of {len(ids) * len(subscribers)})")
                if children:
                    output = "".join(child.stdout.read() for child in children if child.stdout)
                    codes = [child.returncode for child in children]
                    print(f"CLI processes            exit codes {codes}; 'database is locked' in their output: {output.count('database is locked')}")
                    sends_total = fake.stats["sent"]
                    print(f"all sends (whole run)    {sends_total:8d}; 429s (whole run) {fake.stats['429']}")
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
    parser.add_argument("--subscribers", type=int, default=None, help="default 5 000 (processes: 1 200)")
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
