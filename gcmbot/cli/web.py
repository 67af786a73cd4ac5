"""`gcmbot web`: the web console alone (the bot, started elsewhere, sends the login links)."""

from __future__ import annotations

import argparse

from gcmbot.app import build_services
from gcmbot.config import load_settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve the web console only (GCMBOT_WEB_LISTEN:GCMBOT_WEB_PORT, default 127.0.0.1:8080)")
    p.add_argument("--port", type=int, help="port (default GCMBOT_WEB_PORT, else 8080)")
    p.add_argument("--listen", help="address to bind (default GCMBOT_WEB_LISTEN)")
    p.add_argument("--exit-with-parent", action="store_true", help=argparse.SUPPRESS)  # the child of `gcmbot run`
    p.set_defaults(func=cmd_web)


def cmd_web(args: argparse.Namespace) -> int:
    from gcmbot.web.server import run_alone

    services = build_services(load_settings())
    try:
        services.db.upgrade(services.settings.migrations_dir)
        run_alone(services, host=args.listen, port=args.port, exit_with_parent=args.exit_with_parent)
    finally:
        services.close()
    return 0
