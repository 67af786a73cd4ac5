"""Serve the console with uvicorn: `gcmbot web` alone, or as a child process of `gcmbot run`.

`gcmbot run` with GCMBOT_WEB_PORT starts `gcmbot web` as its child (ConsoleProcess) rather than
serving the console in its own event loop: rendering pages and reading the database in the
bot's process, even in worker threads, holds the interpreter lock the bot's handlers need.
benchmarks/web.py measures the three ways (child process, same loop, own thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import threading
import time

import uvicorn

from gcmbot.web.app import create_app

log = logging.getLogger(__name__)


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT/SIGTERM to its host (the bot stops it in post_stop)."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


class WebServer:
    """The console on host:port as a task of the running event loop."""

    def __init__(self, services, *, host: str | None = None, port: int | None = None, app=None) -> None:
        settings = services.settings
        config = uvicorn.Config(
            app or create_app(services), host=host or settings.web_listen, port=settings.web_port if port is None else port,
            log_level="warning", access_log=False,  # no access log: login links carry their token in the path
            lifespan="off", server_header=False, proxy_headers=False,
        )
        self.server = _QuietServer(config)
        self.task: asyncio.Task | None = None

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    async def start(self) -> WebServer:
        self.task = asyncio.create_task(self.server.serve(), name="gcmbot-web")
        while not self.server.started:
            if self.task.done():  # e.g. the port is taken: uvicorn logged why
                self.task.result()
                raise RuntimeError("the web console could not start (see the log above)")
            await asyncio.sleep(0.02)
        log.info("web console on http://%s:%d/", self.server.config.host, self.port)
        return self

    def start_in_thread(self) -> WebServer:
        """The console in its own thread with its own event loop (measured in benchmarks/web.py:
        it shares the bot's interpreter lock, so a child process does better)."""
        started = threading.Event()
        self._thread = threading.Thread(target=lambda: self.server.run(), name="gcmbot-web", daemon=True)
        self._thread.start()
        while not self.server.started and self._thread.is_alive():
            started.wait(0.02)
        if not self.server.started:
            raise RuntimeError("the web console could not start (see the log above)")
        return self

    async def stop(self, timeout: float = 3) -> None:
        thread = getattr(self, "_thread", None)
        if thread is not None:
            self.server.should_exit = True
            await asyncio.to_thread(thread.join, timeout)
            self._thread = None
            return
        if self.task is None:
            return
        self.server.should_exit = True
        try:
            await asyncio.wait_for(self.task, timeout)
        except (asyncio.TimeoutError, SystemExit):
            self.task.cancel()
        self.task = None


class ConsoleProcess:
    """`gcmbot web` as a child of the bot, with the bot's settings; restarted if it dies, stopped with the bot.

    The child exits by itself when its parent is gone (even after a SIGKILL of the bot).
    """

    RESTART_SECONDS = 5.0

    def __init__(self, settings, *, start_timeout: float = 60) -> None:
        if not settings.web_port:
            raise ValueError("the console's child process needs a fixed GCMBOT_WEB_PORT")
        self.settings, self.start_timeout = settings, start_timeout
        self.proc: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task | None = None
        self._stopping = False

    @property
    def port(self) -> int:
        return int(self.settings.web_port)

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for name, value in self.settings.as_environment().items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def _answers(self) -> bool:
        host = self.settings.web_listen
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        try:
            with socket.create_connection((host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    async def _spawn(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gcmbot", "web", "--exit-with-parent", env=self._environment(), stdin=asyncio.subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.start_timeout
        while not await asyncio.to_thread(self._answers):
            if self.proc.returncode is not None:
                raise RuntimeError(f"the web console exited with status {self.proc.returncode} while starting (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the web console did not answer on port {self.port} within {self.start_timeout:g} s")
            await asyncio.sleep(0.1)

    async def start(self) -> ConsoleProcess:
        await self._spawn()
        log.info("web console (process %d) on http://%s:%d/", self.proc.pid if self.proc else 0, self.settings.web_listen, self.port)
        self._watch = asyncio.create_task(self._keep_running(), name="gcmbot-web-watch")
        return self

    async def _keep_running(self) -> None:
        while not self._stopping:
            assert self.proc is not None
            code = await self.proc.wait()
            if self._stopping:
                return
            log.error("the web console stopped (status %s); starting it again in %g s", code, self.RESTART_SECONDS)
            await asyncio.sleep(self.RESTART_SECONDS)
            try:
                await self._spawn()
            except (OSError, RuntimeError):
                log.exception("the web console could not be started again")

    async def stop(self, timeout: float = 5) -> None:
        """SIGTERM (the console finishes open requests), then SIGKILL after `timeout`."""
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()


def attach(application, services) -> None:
    """Start the console with the bot (post_init) and stop it before the bot's own shutdown (post_stop)."""
    before_init, before_stop = application.post_init, application.post_stop

    async def post_init(app) -> None:
        if before_init:
            await before_init(app)
        app.bot_data["web_server"] = await ConsoleProcess(services.settings).start()

    async def post_stop(app) -> None:
        server = app.bot_data.pop("web_server", None)
        if server is not None:
            await server.stop()
        if before_stop:
            await before_stop(app)

    application.post_init, application.post_stop = post_init, post_stop


def run_alone(services, *, host: str | None = None, port: int | None = None, exit_with_parent: bool = False) -> None:
    """`gcmbot web`: the console only, until SIGINT/SIGTERM (then it finishes open requests and returns).

    With `exit_with_parent` (the child of `gcmbot run`) it also stops when its parent process is gone."""
    import signal

    settings = services.settings

    async def main() -> None:
        # Handlers first: a SIGTERM that arrives while the server is starting (it may already
        # answer requests) must stop it cleanly, not kill the process.
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        parent = os.getppid()

        async def orphaned() -> None:
            while os.getppid() == parent:
                await asyncio.sleep(1)
            log.warning("the bot (process %d) is gone: the web console stops too", parent)

        server = await WebServer(services, host=host, port=port or settings.web_port or 8080).start()
        waits = [asyncio.ensure_future(server.task), asyncio.ensure_future(done.wait())]
        if exit_with_parent:
            waits.append(asyncio.ensure_future(orphaned()))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits[1:]:
            waiting.cancel()
        await server.stop()

    asyncio.run(main())
