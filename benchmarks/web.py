"""Does the web console slow the bot down? Update-handling latency with and without console traffic.

The real Application long-polls the fake Bot API (tests/fakebotapi.py) while the console runs in
the same event loop (as `gcmbot run` with GCMBOT_WEB_PORT does). Private chats send /events and a
question one after the other; the latency of an update is the time from the fake receiving it to
the bot's reply arriving. Then the same again while another thread makes 20 console requests per
second (dashboard, content list, recipient count, calendar feed, broadcasts) with a logged-in session.

    PYTHONPATH=. python benchmarks/web.py [--updates 300] [--rps 20]
"""

from __future__ import annotations

import argparse
import asyncio
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--rps", type=float, default=20)
    parser.add_argument("--subscribers", type=int, default=2000)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gcmbot-bench-web-"))
    db = Database(f"sqlite:///{tmp / 'bench.db'}")
    db.upgrade(ROOT / "migrations")
    fake = FakeBotAPI().start()
    settings = Settings(_env_file=None, token="123456:BENCH", database_url=db.url, admin_ids=str(ADMIN), content_dir=ROOT / "content",
                        digest_tick_seconds=0, bot_api_url=fake.base_url, web_port=0)
    services = build_services(settings, db=db)
    load_content_into_db(services)
    regions = [r for r, _ in services.subscriptions.options("region")]
    for i in range(args.subscribers):
        chat = 100_000 + i
        services.subscriptions.start(chat, "private")
        services.subscriptions.toggle(chat, "region", regions[i % len(regions)])

    from gcmbot.bot.application import build_application
    from gcmbot.web.server import WebServer

    ready = threading.Event()
    stop = threading.Event()
    state: dict = {}

    async def run_bot() -> None:
        application = build_application(services, rate_limit=False)
        application.bot_data["delivery"] = False  # replies only: nothing queued here
        async with application:
            await application.start()
            await application.updater.start_polling(poll_interval=0, timeout=1)
            server = await WebServer(services, port=0).start()
            settings.web_url = f"http://127.0.0.1:{server.port}"
            state["port"] = server.port
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
            await server.stop()
            await application.updater.stop()
            await application.stop()

    bot_thread = threading.Thread(target=lambda: asyncio.run(run_bot()), daemon=True)
    bot_thread.start()
    ready.wait(30)
    base = f"http://127.0.0.1:{state['port']}"

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

    # Alternate blocks with and without console traffic, so the machine's other load hits both alike.
    console_ms: list[float] = []
    errors = [0]
    load_on = threading.Event()

    def console_load() -> None:
        token = services.webauth.issue_link_token(ADMIN)
        with httpx.Client(base_url=base, timeout=10) as c:
            c.post("/login", data={"token": token})
            interval, i = 1 / args.rps, 0
            while not stop.is_set():
                if not load_on.wait(0.1):
                    continue
                started = time.perf_counter()
                path = PATHS[i % len(PATHS)]
                r = c.get(path, headers={"Accept": "application/json"} if "count" in path else {})
                console_ms.append((time.perf_counter() - started) * 1000)
                errors[0] += r.status_code != 200
                i += 1
                time.sleep(max(0.0, interval - (time.perf_counter() - started)))

    loader = threading.Thread(target=console_load, daemon=True)
    loader.start()
    quiet: list[float] = []
    busy: list[float] = []
    block = 100
    busy_seconds = 0.0
    for b in range(max(2, 2 * args.updates // block)):
        if b % 2:
            load_on.set()
            time.sleep(0.3)
            started = time.perf_counter()
            busy += measure(block, 300_000 + b * 50)
            busy_seconds += time.perf_counter() - started
            load_on.clear()
        else:
            time.sleep(0.3)
            quiet += measure(block, 200_000 + b * 50)
    stop.set()
    loader.join(10)
    bot_thread.join(10)
    fake.stop()
    elapsed = busy_seconds

    print(f"{args.subscribers} subscribers, SQLite; {len(quiet)} + {len(busy)} updates (/events, a question, /help) in alternating blocks of {block}")
    print(summary("updates, console idle", quiet))
    print(summary(f"updates, console at {args.rps:g} req/s", busy))
    print(summary("console requests", console_ms) + f", about {len(console_ms) / max(elapsed, 1e-9):.1f} req/s during the loaded blocks, {errors[0]} non-200")


if __name__ == "__main__":
    main()
