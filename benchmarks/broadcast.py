"""Broadcast throughput under Telegram's limits, counted by the server.

Starts the fake Bot API (tests/fakebotapi.py) with the limits ENFORCED (30 msg/s
overall, 1/s per chat, 20/min per group: 429 + retry_after beyond them), 1 % random
502s and 1 % chats that blocked the bot; creates N subscribers in a temporary SQLite
file and broadcasts one message to all of them, three ways:

  outbox  the real path: BroadcastService.enqueue + DeliveryWorker (in process)
  ptb     for comparison: a plain `asyncio.gather(bot.send_message …)` loop through
          PTB's AIORateLimiter(max_retries=3)
  crash   the real path in a subprocess (`gcmbot broadcast send ID`), SIGKILLed at
          ~50 %, then started again until the broadcast is done

and prints, from the server's records: wall time, delivered msg/s and its ratio to
30 msg/s, 429s, duplicates, lost (a reachable chat that never got it) and sends to a
blocked chat after its first 403.

    python benchmarks/broadcast.py                      # 10 000 subscribers (~6 min per run)
    python benchmarks/broadcast.py --subscribers 1000 --runs outbox,crash
    python benchmarks/broadcast.py --runs outbox --shared 0.05   # 5 % of recipients are groups and channels

`--shared` (default 0.05) is the share of recipients that are groups and channels (half each:
channels are registered in the fake with the bot as an administrator that may post); both are
limited to 20 messages a minute per chat by the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakebotapi import FakeBotAPI  # noqa: E402

from gcmbot.app import build_services, load_content_into_db  # noqa: E402
from gcmbot.config import Settings  # noqa: E402
from gcmbot.models import OutboxMessage, Subscriber  # noqa: E402
from gcmbot.services.broadcast import CLI_ACTOR  # noqa: E402
from gcmbot.services.subscriptions import Segment  # noqa: E402

TOKEN = "123456:BENCH"
TEXT = "<b>Registration for the Geneva consultation closes Friday.</b> Details: <a href=\"https://example.org/gcm\">example.org/gcm</a>"
LIMIT = 30.0


SHARED = 0.05  # share of groups and channels among the recipients (--shared)
CHANNEL_BASE = -1_009_000_000_000


def chat_ids(n: int, shared: float | None = None) -> list[int]:
    """Mostly private chats; a share `shared` of groups and channels (alternately), evenly spread."""
    shared = SHARED if shared is None else shared
    step = max(1, round(1 / shared)) if shared > 0 else 0
    out, k = [], 0
    for i in range(n):
        if step and i % step == 7 % step:
            out.append(-(5_000_000 + i) if k % 2 == 0 else CHANNEL_BASE - i)
            k += 1
        else:
            out.append(1_000_000 + i)
    return out


def chat_type(chat_id: int) -> str:
    return "private" if chat_id > 0 else "channel" if chat_id <= CHANNEL_BASE else "group"


def blocked_of(chats: list[int], share: float) -> set[int]:
    step = max(1, round(1 / share)) if share > 0 else 0
    return {c for i, c in enumerate(chats) if step and i % step == 3}


def make_services(path: Path, chats: list[int]):
    settings = Settings(_env_file=None, token=TOKEN, database_url=f"sqlite:///{path}", content_dir=ROOT / "content")
    services = build_services(settings)
    services.db.upgrade(settings.migrations_dir)
    load_content_into_db(services)
    with services.db.session() as s:
        s.add_all(Subscriber(chat_id=c, chat_type=chat_type(c), menu_token="bench") for c in chats)
    return services, settings


def start_fake(blocked: set[int], error_rate: float, chats: list[int] = ()) -> FakeBotAPI:
    from fakebotapi import BOT_ID

    fake = FakeBotAPI(enforce_limits=True).start()
    fake.random_errors(error_rate, seed=42)
    for c in blocked:
        fake.block(c)
    for c in chats:
        if chat_type(c) == "channel":
            fake.add_channel(c)
            fake.set_chat_member(c, BOT_ID, "administrator")
    return fake


def server_counts(fake: FakeBotAPI, chats: list[int], blocked: set[int]) -> dict:
    delivered = Counter(m["chat"]["id"] for m in fake.sent())
    outcomes: dict[int, list[int]] = defaultdict(list)
    for method, params, code, _ in list(fake.errors):
        if method == "sendMessage" and int(params["chat_id"]) in blocked:
            outcomes[int(params["chat_id"])].append(code)
    after_403 = sum(len(codes) - codes.index(403) - 1 for codes in outcomes.values() if 403 in codes)
    return {
        "delivered": sum(1 for c in chats if delivered[c]),
        "duplicates": fake.stats["duplicates"],
        "lost": sum(1 for c in chats if c not in blocked and not delivered[c]),
        "429": fake.stats["429"],
        "5xx": sum(1 for m, _, code, _ in fake.errors if m == "sendMessage" and code >= 500),
        "blocked_after_403": after_403,
        "to_blocked": sum(1 for c in chats if c in blocked and delivered[c]),
        "shared": sum(1 for c in chats if c < 0 and delivered[c]),
        "shared_total": sum(1 for c in chats if c < 0),
    }


def report(name: str, wall: float, counts: dict, extra: str = "") -> None:
    rate = counts["delivered"] / wall if wall > 0 else 0.0
    print(
        f"\n== {name} ==\n"
        f"wall time           {wall:8.1f} s\n"
        f"delivered           {counts['delivered']:8d}\n"
        f"achieved            {rate:8.2f} msg/s  (ratio to 30 msg/s: {rate / LIMIT:.3f})\n"
        f"429s received       {counts['429']:8d}\n"
        f"5xx injected        {counts['5xx']:8d}\n"
        f"duplicates          {counts['duplicates']:8d}\n"
        f"lost                {counts['lost']:8d}\n"
        f"sends to blocked chats after their first 403: {counts['blocked_after_403']}\n"
        f"groups and channels  {counts['shared']} of {counts['shared_total']} delivered"
        + (f"\n{extra}" if extra else ""),
        flush=True,
    )


async def deliver_in_process(services, fake: FakeBotAPI, broadcast_id: int, total: int) -> float:
    from gcmbot.bot.application import delivery_worker
    from gcmbot.bot.botapi import make_bot

    services.settings.bot_api_url = fake.base_url
    async with make_bot(services.settings, db=services.db) as bot:  # the bot's own budget, shared through the database
        worker = delivery_worker(services, bot)
        start = last = time.monotonic()
        while True:
            handled = await worker.run_once()
            worker.maintain()
            [st] = services.broadcasts.status(broadcast_id)
            if st.status == "done":
                return time.monotonic() - start
            if time.monotonic() - last > 15:
                last = time.monotonic()
                print(f"  … {st.sent}/{total} sent, {st.pending} pending", flush=True)
            if not handled:
                await asyncio.sleep(0.2)


def run_outbox(args, tmp: Path) -> None:
    chats = chat_ids(args.subscribers)
    blocked = blocked_of(chats, args.blocked)
    services, _ = make_services(tmp / "outbox.db", chats)
    fake = start_fake(blocked, args.errors, chats)
    try:
        broadcast_id = services.broadcasts.enqueue(CLI_ACTOR, TEXT, Segment(), via="benchmark")
        wall = asyncio.run(deliver_in_process(services, fake, broadcast_id, len(chats)))
        [st] = services.broadcasts.status(broadcast_id)
        inactive = services.subscriptions.counts().get("inactive", 0)
        report("outbox + DeliveryWorker", wall, server_counts(fake, chats, blocked),
               f"rows: sent {st.sent} / failed {st.failed} / skipped {st.skipped}; subscribers marked inactive: {inactive}/{len(blocked)} blocked")
    finally:
        fake.stop()
        services.close()


def run_ptb(args, tmp: Path) -> None:
    from telegram.error import Forbidden, TelegramError
    from telegram.ext import AIORateLimiter, ExtBot

    chats = chat_ids(args.subscribers)
    blocked = blocked_of(chats, args.blocked)
    fake = start_fake(blocked, args.errors, chats)
    failures: Counter = Counter()

    async def main() -> float:
        async with ExtBot(TOKEN, base_url=fake.base_url, rate_limiter=AIORateLimiter(max_retries=3)) as bot:
            async def one(chat_id: int) -> None:
                try:
                    await bot.send_message(chat_id, TEXT, parse_mode="HTML")
                except Forbidden:
                    failures["403"] += 1
                except TelegramError as exc:
                    failures[type(exc).__name__] += 1

            start = time.monotonic()
            await asyncio.gather(*(one(c) for c in chats))
            return time.monotonic() - start

    try:
        wall = asyncio.run(main())
        report("plain PTB AIORateLimiter loop", wall, server_counts(fake, chats, blocked), f"client-side failures: {dict(failures)}")
    finally:
        fake.stop()


def run_crash(args, tmp: Path) -> None:
    chats = chat_ids(args.subscribers)
    blocked = blocked_of(chats, args.blocked)
    services, settings = make_services(tmp / "crash.db", chats)
    fake = start_fake(blocked, args.errors, chats)
    env = {**os.environ, "GCMBOT_DATABASE_URL": settings.database_url, "GCMBOT_TOKEN": TOKEN, "GCMBOT_BOT_API_URL": fake.base_url}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    try:
        broadcast_id = services.broadcasts.enqueue(CLI_ACTOR, TEXT, Segment(), via="benchmark")
        command = [sys.executable, "-m", "gcmbot", "broadcast", "send", str(broadcast_id)]
        start = time.monotonic()
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        target = len(chats) // 2
        while fake.stats["sent"] < target:
            if child.poll() is not None:
                raise SystemExit(f"the sender exited early with code {child.returncode}")
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        killed_at = fake.stats["sent"]
        with services.db.session() as s:
            from sqlmodel import func, select

            in_flight = s.exec(select(func.count()).where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == "sending")).one()
        print(f"  SIGKILL after {killed_at} delivered; {in_flight} row(s) left in flight; restarting", flush=True)
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if child.wait() != 0:
            raise SystemExit(f"the restarted sender failed with code {child.returncode}")
        wall = time.monotonic() - start
        [st] = services.broadcasts.status(broadcast_id)
        with services.db.session() as s:
            from sqlmodel import select

            interrupted = len(s.exec(select(OutboxMessage.id).where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.error.like("interrupted%"))).all())
        report("crash-resume (SIGKILL at ~50 %, restart)", wall, server_counts(fake, chats, blocked),
               f"rows: sent {st.sent} / failed {st.failed} (of which interrupted in flight, not resent: {interrupted}) / skipped {st.skipped}\n"
               "(wall time includes the restart and the 90 s before in-flight rows of the dead sender are given up)")
    finally:
        fake.stop()
        services.close()


RUNS = {"outbox": run_outbox, "ptb": run_ptb, "crash": run_crash}


def main() -> None:
    global SHARED
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--runs", default="outbox,ptb,crash", help="comma-separated: " + ", ".join(RUNS))
    parser.add_argument("--errors", type=float, default=0.01, help="share of sends answered 502 (default 0.01)")
    parser.add_argument("--blocked", type=float, default=0.01, help="share of chats that blocked the bot (default 0.01)")
    parser.add_argument("--shared", type=float, default=SHARED, help="share of recipients that are groups and channels (default 0.05)")
    parser.set_defaults(shared=SHARED)
    args = parser.parse_args()
    SHARED = args.shared
    import logging

    logging.basicConfig(level=logging.WARNING)
    print(f"{args.subscribers} subscribers ({args.shared:.0%} groups and channels), {args.blocked:.0%} blocked, "
          f"{args.errors:.0%} random 502s, limits enforced by the server")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.runs.split(","):
            RUNS[name.strip()](args, Path(tmp))


if __name__ == "__main__":
    main()
