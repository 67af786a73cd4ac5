"""The `gcmbot` command line. Each feature adds its subcommands from its own module."""

from __future__ import annotations

import argparse
import logging
import sys

import sqlalchemy.exc

from gcmbot.cli import ask, broadcast, core, digest, feeds, ops
from gcmbot.cli import web as web_cli
from gcmbot.config import ConfigError

# Modules with add_commands(subparsers). Each subcommand sets `func(args) -> int`.
COMMAND_MODULES = [core, ask, feeds, broadcast, digest, ops]
COMMAND_MODULES.append(web_cli)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gcmbot", description="A Telegram bot for civil society following the Global Compact for Migration.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.add_commands(sub)
    return parser


def _setup_logging(verbose: bool) -> None:
    """JSON lines unless stderr is a terminal (GCMBOT_LOG_FORMAT), chat ids hashed: see gcmbot.logsetup."""
    from gcmbot.config import load_settings
    from gcmbot.logsetup import setup_logging

    try:
        settings = load_settings()
        level, fmt, secret = settings.log_level, settings.log_format, settings.token
    except ConfigError:  # reported by the command itself
        level, fmt, secret = "INFO", "auto", None
    setup_logging(logging.DEBUG if verbose else level, fmt, secret=secret)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"gcmbot: {exc}", file=sys.stderr)
        return 2
    except sqlalchemy.exc.OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        print(f"gcmbot: cannot use the database (GCMBOT_DATABASE_URL): {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
