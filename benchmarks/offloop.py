"""Handlers' database calls and the event loop (issue 21): on the loop, in a thread, or on an async engine.

Every update a handler serves reads the chat's subscriber (its language, `chat_language`)
and one in five also writes (a settings tap: a new menu token); then it "replies" (an
awaited 2 ms, the HTTP call to Telegram). Updates arrive at RATE a second from CHATS
chats for SECONDS, each chat's one at a time (like `PerChatUpdates`). The same store
functions run in the three ways handlers could call them:

  loop    a synchronous session on the event loop (gcmbot before issue 21)
  thread  a synchronous session in a worker thread: `await context.run(fn, ...)` (asyncio.to_thread)
  async   SQLAlchemy's AsyncEngine (aiosqlite / psycopg async) running the same store code through
          `AsyncSession.run_sync` (the least churn an async engine allows: the store stays as it is)

Two scenarios: `quiet` (nothing else uses the database) and `cli-writing` (another
connection takes the write lock for 200 ms every second, as `gcmbot broadcast --yes` or
`content load` writing to the same file would).

Printed: update latency (arrival → reply done) p50 / p99 / max, and the event loop's lag
(a probe sleeps 5 ms in a loop; lag = how late it wakes): p99, max, and total time
the loop was blocked (sum of lags over 5 ms). Objects alive before each run are frozen
(gc.freeze): a full collection over all that is imported stalls any mode alike (~70 ms).

    PYTHONPATH=. python benchmarks/offloop.py                        # SQLite file (needs aiosqlite for `async`)
    PYTHONPATH=. python benchmarks/offloop.py --database-url postgresql://gcmbot:gcmbot@127.0.0.1:5432/gcmbot_test_21b
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from gcmbot.models import Subscriber  # noqa: E402
from gcmbot.store import Database  # noqa: E402
from gcmbot.store import db as db_module  # noqa: E402
from gcmbot.store import subscribers as store  # noqa: E402

REPLY_SECONDS = 0.002
PROBE_SECONDS = 0.005
WRITE_SHARE = 0.2


def read(session: Session, chat_id: int):
    """What chat_language reads: the subscriber and its choices."""
    sub = store.get(session, chat_id)
    return None if sub is None else (sub.language, store.choices(session, sub.id))


def write(session: Session, chat_id: int) -> None:
    """What a settings tap writes (Subscriptions.new_menu_token)."""
    sub = store.get(session, chat_id)
    sub.menu_token = secrets.token_hex(2)
    store.save(session, sub)


class Runner:
    """Runs a store function (taking a sync Session) in one of the three ways."""

    def __init__(self, mode: str, db: Database) -> None:
        self.mode, self.db = mode, db
        self.async_engine = None
        if mode == "async":
            from sqlalchemy.ext.asyncio import create_async_engine

            url = db.url.replace("sqlite://", "sqlite+aiosqlite://", 1) if db.is_sqlite else db.url
            kwargs: dict = {"hide_parameters": True}
            if db.is_sqlite:
                kwargs["connect_args"] = {"timeout": db_module.BUSY_TIMEOUT_SECONDS}
            self.async_engine = create_async_engine(url, **kwargs)
            if db.is_sqlite:
                event.listen(self.async_engine.sync_engine, "connect", db_module._sqlite_pragmas)

    def _sync(self, fn: Callable, *args):
        with self.db.session() as s:
            return fn(s, *args)

    async def __call__(self, fn: Callable, *args):
        if self.mode == "loop":
            return self._sync(fn, *args)
        if self.mode == "thread":
            return await asyncio.to_thread(self._sync, fn, *args)
        from sqlmodel.ext.asyncio.session import AsyncSession  # its sync side is SQLModel's Session (session.exec)

        async with AsyncSession(self.async_engine, expire_on_commit=False) as s:
            result = await s.run_sync(lambda sync_session: fn(sync_session, *args))
            await s.commit()
            return result

    async def close(self) -> None:
        if self.async_engine is not None:
            await self.async_engine.dispose()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


def cli_writer(db: Database, stop: threading.Event, hold: float = 0.2, every: float = 1.0) -> None:
    """Another process writing: the write lock taken for `hold` seconds every `every` seconds."""
    while not stop.wait(every - hold):
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("BEGIN IMMEDIATE" if db.is_sqlite else "LOCK TABLE subscriber IN EXCLUSIVE MODE")
            time.sleep(hold)
        finally:
            raw.rollback()
            raw.close()


async def run_one(mode: str, db: Database, chats: list[int], *, rate: float, seconds: float, cli: bool) -> dict:
    runner = Runner(mode, db)
    rng = random.Random(21)
    latencies: list[float] = []
    lags: list[float] = []
    locks: dict[int, asyncio.Lock] = {}
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(PROBE_SECONDS)
            lags.append(time.perf_counter() - start - PROBE_SECONDS)

    async def update(chat_id: int, arrived: float, writes: bool) -> None:
        lock = locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            await runner(read, chat_id)  # chat_language
            if writes:
                await runner(write, chat_id)
            await asyncio.sleep(REPLY_SECONDS)  # the reply
        latencies.append(time.perf_counter() - arrived)

    stop = threading.Event()
    writer = threading.Thread(target=cli_writer, args=(db, stop), daemon=True) if cli else None
    prober = asyncio.create_task(probe())
    await asyncio.sleep(0.1)
    if writer:
        writer.start()
    tasks = []
    start = time.perf_counter()
    n = int(rate * seconds)
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(update(rng.choice(chats), due, rng.random() < WRITE_SHARE)))
    await asyncio.gather(*tasks)
    done.set()
    await prober
    stop.set()
    if writer:
        writer.join()
    await runner.close()
    return {
        "updates": len(latencies),
        "p50": statistics.median(latencies),
        "p99": pct(latencies, 99),
        "max": max(latencies),
        "lag_p99": pct(lags, 99),
        "lag_max": max(lags),
        "blocked": sum(lag for lag in lags if lag > PROBE_SECONDS),
    }


def prepare(url: str, n_chats: int) -> tuple[Database, list[int]]:
    db = Database(url)
    db.wipe()
    db.upgrade(ROOT / "migrations")
    chats = [1_000_000 + i for i in range(n_chats)]
    with db.session() as s:
        s.add_all(Subscriber(chat_id=c, chat_type="private", menu_token="bench", language="en") for c in chats)
    with db.engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    return db, chats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--modes", default="loop,thread,async")
    parser.add_argument("--scenarios", default="quiet,cli-writing")
    parser.add_argument("--rate", type=float, default=200.0, help="updates a second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--chats", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db, chats = prepare(url, args.chats)
        print(f"{'sqlite' if db.is_sqlite else 'postgresql'}: {args.rate:g} updates/s for {args.seconds:g} s from {args.chats} chats, "
              f"{WRITE_SHARE:.0%} with a write; latency = arrival to reply done")
        print(f"{'scenario':<12} {'mode':<7} {'updates':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'lag p99':>8} {'lag max':>8} {'blocked s':>9}")
        for scenario in args.scenarios.split(","):
            for mode in args.modes.split(","):
                if mode == "async" and db.is_sqlite:
                    try:
                        import aiosqlite  # noqa: F401
                    except ImportError:
                        print(f"{scenario:<12} {mode:<7} skipped: pip install aiosqlite")
                        continue
                gc.collect()
                gc.freeze()  # a full collection over everything imported (~70 ms here) is noise, not the database path
                r = asyncio.run(run_one(mode, db, chats, rate=args.rate, seconds=args.seconds, cli=scenario == "cli-writing"))
                print(f"{scenario:<12} {mode:<7} {r['updates']:>7} {r['p50'] * 1000:>8.1f} {r['p99'] * 1000:>8.1f} {r['max'] * 1000:>8.1f} "
                      f"{r['lag_p99'] * 1000:>8.1f} {r['lag_max'] * 1000:>8.1f} {r['blocked']:>9.2f}")
        db.dispose()


if __name__ == "__main__":
    main()
