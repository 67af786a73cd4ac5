"""Serve the console with uvicorn: inside the bot's event loop (`gcmbot run`) or alone (`gcmbot web`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

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

    async def stop(self, timeout: float = 3) -> None:
        if self.task is None:
            return
        self.server.should_exit = True
        try:
            await asyncio.wait_for(self.task, timeout)
        except (asyncio.TimeoutError, SystemExit):
            self.task.cancel()
        self.task = None


def attach(application, services) -> None:
    """Start the console with the bot (post_init) and stop it before the bot's own shutdown (post_stop)."""
    before_init, before_stop = application.post_init, application.post_stop

    async def post_init(app) -> None:
        if before_init:
            await before_init(app)
        app.bot_data["web_server"] = await WebServer(services).start()

    async def post_stop(app) -> None:
        server = app.bot_data.pop("web_server", None)
        if server is not None:
            await server.stop()
        if before_stop:
            await before_stop(app)

    application.post_init, application.post_stop = post_init, post_stop


def run_alone(services, *, host: str | None = None, port: int | None = None) -> None:
    """`gcmbot web`: the console only, until SIGINT/SIGTERM (then it finishes open requests and returns)."""
    import signal

    settings = services.settings

    async def main() -> None:
        # Handlers first: a SIGTERM that arrives while the server is starting (it may already
        # answer requests) must stop it cleanly, not kill the process.
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        server = await WebServer(services, host=host, port=port or settings.web_port or 8080).start()
        serving = asyncio.ensure_future(server.task)
        await asyncio.wait([serving, asyncio.ensure_future(done.wait())], return_when=asyncio.FIRST_COMPLETED)
        await server.stop()

    asyncio.run(main())
