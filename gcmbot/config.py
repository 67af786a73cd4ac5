"""Settings: every knob is an environment variable (or a line in `.env`).

The variable names are a public interface (see the README table); keep them stable.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing import Annotated

PACKAGE_DIR = Path(__file__).resolve().parent


def _project_dir(name: str) -> Path:
    """Find a top-level project folder (content/, migrations/).

    In a checkout or an editable install it sits next to the package; the Docker
    image puts it in the working directory (/app); an installed wheel carries a copy
    inside the package (gcmbot/_bundled/, added by setup.py's build hook), so the
    installed `gcmbot` works from any folder.
    """
    for base in (PACKAGE_DIR.parent, Path.cwd(), PACKAGE_DIR / "_bundled"):
        if (base / name).is_dir():
            return base / name
    return PACKAGE_DIR / "_bundled" / name


def require_dir(path: Path, what: str, variable: str | None = None) -> Path:
    """`path` if it is a folder, else a one-line ConfigError saying what is missing and how to fix it."""
    if not path.is_dir():
        hint = f" (set {variable} to the folder that holds it)" if variable else ""
        raise ConfigError(f"{what} not found: {path} is not a folder{hint}")
    return path


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GCMBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: str | None = None
    database_url: str = "sqlite:///gcmbot.db"
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    bot_api_url: str | None = None
    content_dir: Path = Field(default_factory=lambda: _project_dir("content"))
    timezone: str = "UTC"
    # Days before an event that new subscribers get a reminder (each subscriber keeps their own value).
    reminder_days: int = Field(default=3, ge=1, le=30)
    # How often the bot checks for due digests and reminders; 0 turns the in-bot schedule
    # off (for deployments that run `gcmbot digest send-due` from cron instead).
    digest_tick_seconds: int = Field(default=60, ge=0)
    # ReliefWeb API v2 needs a pre-approved appname; without it reliefweb feeds are skipped.
    reliefweb_appname: str | None = None
    # Not in the foundation table, but useful to operators and tests.
    log_level: str = "INFO"
    # Deployment (issue 10): webhook mode, health/metrics endpoint, log format.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    log_format: str = "auto"  # auto (JSON when stderr is not a terminal), json, text
    # Web console (issue 14): off unless a port is set; public base URL for login and calendar links.
    web_port: int | None = None
    web_listen: str = "127.0.0.1"
    web_url: str | None = None
    # Questions by meaning (issue 13): the sentence encoder (use, e5, off) and where FAQ vectors are cached.
    encoder: str = "use"
    cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/gcmbot or ~/.cache/gcmbot

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> frozenset[int]:
        if value is None or value == "":
            return frozenset()
        if isinstance(value, str):
            ids = set()
            for part in value.replace(";", ",").split(","):
                part = part.strip()
                if not part:
                    continue
                try:
                    ids.add(int(part))
                except ValueError:
                    raise ValueError(f"GCMBOT_ADMIN_IDS: {part!r} is not a numeric Telegram user id") from None
            return frozenset(ids)
        return frozenset(int(v) for v in value)  # type: ignore[union-attr]

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url

        try:
            backend = make_url(value).get_backend_name()
        except Exception:
            backend = None
        if backend not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                "GCMBOT_DATABASE_URL must be sqlite:///path/to/file.db or postgresql://user:password@host/dbname"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"GCMBOT_TIMEZONE: {value!r} is not an IANA timezone name (e.g. Europe/Geneva)") from None
        return value

    @field_validator("webhook_url", "webhook_secret", "metrics_port", "web_port", "web_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("encoder")
    @classmethod
    def _check_encoder(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("use", "e5", "off"):
            raise ValueError(f"GCMBOT_ENCODER: {value!r} is not one of use, e5, off")
        return value

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _empty_cache_dir(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("log_format")
    @classmethod
    def _check_log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("auto", "json", "text"):
            raise ValueError(f"GCMBOT_LOG_FORMAT: {value!r} is not one of auto, json, text")
        return value

    def require_webhook(self) -> tuple[str, str]:
        """(url, secret) for webhook mode; a one-line ConfigError if they are unusable."""
        import re
        from urllib.parse import urlsplit

        url = self.webhook_url or ""
        if urlsplit(url).scheme not in ("https", "http") or not urlsplit(url).hostname:
            raise ConfigError(f"GCMBOT_WEBHOOK_URL: {url!r} is not a URL; use the public https address Telegram should call, e.g. https://bot.example.org/telegram")
        if not self.webhook_secret:
            raise ConfigError("GCMBOT_WEBHOOK_SECRET is not set: webhook mode needs a secret (1-256 characters A-Z a-z 0-9 _ -), e.g. GCMBOT_WEBHOOK_SECRET=$(openssl rand -hex 32)")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.webhook_secret):
            raise ConfigError("GCMBOT_WEBHOOK_SECRET may only contain A-Z a-z 0-9 _ - (1-256 characters), e.g. $(openssl rand -hex 32)")
        return url, self.webhook_secret

    @field_validator("web_url")
    @classmethod
    def _check_web_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"GCMBOT_WEB_URL: {value!r} is not a URL; use the console's public address, e.g. https://console.example.org")
        return value.rstrip("/")

    @property
    def web_base_url(self) -> str:
        """Where people reach the console: GCMBOT_WEB_URL, else the local address."""
        return self.web_url or f"http://{self.web_listen}:{self.web_port or 8080}"

    def as_environment(self) -> dict[str, str | None]:
        """These settings as GCMBOT_* variables (None: unset), for a child process: the console of `gcmbot run`."""
        env: dict[str, str | None] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, frozenset):
                value = ",".join(str(v) for v in sorted(value))
            env[f"GCMBOT_{name.upper()}"] = None if value is None else str(value)
        return env

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError("GCMBOT_TOKEN is not set: export the token BotFather gave you, e.g. GCMBOT_TOKEN=123456:ABC... gcmbot run")
        return self.token

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    @property
    def migrations_dir(self) -> Path:
        return require_dir(_project_dir("migrations"), "the database migrations")


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, turning validation errors into one-line ConfigErrors."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = str(first.get("msg", exc)).removeprefix("Value error, ")
        raise ConfigError(msg) from None
