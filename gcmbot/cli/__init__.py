"""The `gcmbot` command line. Each feature adds its subcommands from its own module."""

from __future__ import annotations

import argparse
import logging
import sys

from gcmbot.cli import ask, broadcast, core
from gcmbot.config import ConfigError

# Modules with add_commands(subparsers). Each subcommand sets `func(args) -> int`.
COMMAND_MODULES = [core, ask, broadcast]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gcmbot", description="A Telegram bot for civil society following the Global Compact for Migration.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"gcmbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
