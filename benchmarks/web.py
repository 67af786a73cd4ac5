"""Does the web console slow the bot down? Update-handling latency with and without console traffic.

Three processes, as in production (the bot, Telegram, a coordinator's browser):

- the bot under test: the real Application long-polling the fake Bot API, with the console
  served as `gcmbot run` serves it when GCMBOT_WEB_PORT is set (`--console process`, the
  default: a `gcmbot web` child process), or as earlier versions did (`--console loop`: uvicorn
  in the bot's event loop, each page's work in a worker thread; `--console thread`: uvicorn in
  its own thread with its own event loop, same process);
- this process: the fake Bot API (tests/fakebotapi.py) and the measurement. Private chats send
  /events, a question and /help one after the other; an update's latency is the time from
  queueing it in the fake to the bot's reply arriving;
- a load process making `--rps` console requests per second (dashboard, content list, recipient
  count, calendar feed, broadcasts, FAQ search) with a logged-in session, switched on for every
  other block of updates (so the machine's other load hits both sides alike).

    PYTHONPATH=. python benchmarks/web.py [--updates 300] [--rps 20] [--console process|loop|thread]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402

from fakebotapi import FakeBotAPI  # noqa: E402
from gcmbot.app import build_services, load_content_into_db  # noqa: E402
from gcmbot.config import Settings  # noqa: E402
from gcmbot.store import Database  # noqa: E402

ADMIN = 4242
PATHS = ["/", "/content/event", "/broadcasts/count?region=africa", "/calendar/region-africa.ics", "/broadcasts", "/content/faq?q=migration"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary(name: str, ms: list[float]) -> str:
    return f"{name}: n={len(ms)} median {statistics.median(ms):.1f} ms, p95 {pct(ms, 95):.1f} ms, p99 {pct(ms, 99):.1f} ms, max {max(ms):.1f} ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings_for(db_url: str, fake_url: str, port: int) -> Settings:
    return Settings(_env_file=None, token="123456:BENCH", database_url=db_url, admin_ids=str(ADMIN), content_dir=ROOT / "content",
                    digest_tick_seconds=0, bot_api_url=fake_url, web_port=port, web_url=f"http://127.0.0.1:{port}")


def run_bot(db_url: str, fake_url: str, port: int, console: str, ready, stop) -> None:
    """The process under test: the bot, with the console served the way `console` says."""
    from gcmbot.bot.application import build_application
    from gcmbot.web.server import ConsoleProcess, WebServer

    services = build_services(settings_for(db_url, fake_url, port))

    async def main() -> None:
        application = build_application(services, rate_limit=False)
        application.bot_data["delivery"] = False  # replies only: nothing queued here
        async with application:
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=1)
            if console == "loop":
                web: object = await WebServer(services).start()
            elif console == "thread":
                web = WebServer(services).start_in_thread()
            else:
                web = await ConsoleProcess(services.settings).start()
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
            await web.stop()  # type: ignore[attr-defined]
            await application.updater.stop()
            await application.stop()

    asyncio.run(main())


def console_load(base: str, token: str, rps: float, on, stop, results) -> None:
    """The coordinator's browser: `rps` requests a second while `on` is set."""
    times: list[float] = []
    errors = 0
    with httpx.Client(base_url=base, timeout=10) as c:
        c.post("/login", data={"token": token})
        interval, i = 1 / rps, 0
        while not stop.is_set():
            if not on.wait(0.1):
                continue
            started = time.perf_counter()
            path = PATHS[i % len(PATHS)]
            r = c.get(path, headers={"Accept": "application/json"} if "count" in path else {})
            times.append((time.perf_counter() - started) * 1000)
            errors += r.status_code != 200
            i += 1
            time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    results.put((times, errors))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=1000, help="updates measured on each side (in blocks of 100)")
    parser.add_argument("--rps", type=float, default=20)
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--console", choices=("process", "loop", "thread"), default="process")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gcmbot-bench-web-"))
    db = Database(f"sqlite:///{tmp / 'bench.db'}")
    db.upgrade(ROOT / "migrations")
    fake = FakeBotAPI().start()
    port = free_port()
    services = build_services(settings_for(db.url, fake.base_url, port), db=db)
    load_content_into_db(services)
    regions = [r for r, _ in services.subscriptions.options("region")]
    for i in range(args.subscribers):
        chat = 100_000 + i
        services.subscriptions.start(chat, "private")
        services.subscriptions.toggle(chat, "region", regions[i % len(regions)])

    ctx = mp.get_context("spawn")
    ready, stop, on = ctx.Event(), ctx.Event(), ctx.Event()
    results = ctx.Queue()
    bot = ctx.Process(target=run_bot, args=(db.url, fake.base_url, port, args.console, ready, stop), daemon=True)
    bot.start()
    if not ready.wait(120):
        raise SystemExit("the bot did not start")
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):  # the console may still be starting (a child process)
        try:
            httpx.get(base + "/login", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    loader = ctx.Process(target=console_load, args=(base, services.webauth.issue_link_token(ADMIN), args.rps, on, stop, results), daemon=True)
    loader.start()

    def measure(n: int, first_chat: int) -> list[float]:
        out = []
        texts = ["/events", "what is the global compact for migration?", "/help"]
        for i in range(n):
            chat = first_chat + i % 50
            before = len(fake.sent(chat))
            start = time.perf_counter()
            fake.send_message(chat, texts[i % len(texts)])
            while len(fake.sent(chat)) <= before:
                time.sleep(0.0005)
            out.append((time.perf_counter() - start) * 1000)
        return out

    measure(30, 200_000)  # warm up
    quiet: list[float] = []
    busy: list[float] = []
    block = 100
    busy_seconds = 0.0
    load_before = os.getloadavg()
    for b in range(max(2, 2 * args.updates // block)):
        if b % 2:
            on.set()
            time.sleep(0.3)
            started = time.perf_counter()
            busy += measure(block, 300_000 + b * 50)
            busy_seconds += time.perf_counter() - started
            on.clear()
        else:
            time.sleep(0.3)
            quiet += measure(block, 200_000 + b * 50)
    load_after = os.getloadavg()
    stop.set()
    console_ms, errors = results.get(timeout=30)
    loader.join(10)
    bot.join(20)
    fake.stop()

    print(f"console served as: {args.console}; {args.subscribers} subscribers, SQLite; {len(quiet)} + {len(busy)} updates "
          f"(/events, a question, /help) in alternating blocks of {block}; load average {load_before[0]:.2f} -> {load_after[0]:.2f}")
    print(summary("updates, console idle", quiet))
    print(summary(f"updates, console at {args.rps:g} req/s", busy))
    print(summary("console requests", console_ms) + f", about {len(console_ms) / max(busy_seconds, 1e-9):.1f} req/s during the loaded blocks, {errors} non-200")


if __name__ == "__main__":
    main()
