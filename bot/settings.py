"""Typed settings, read once from the environment (and a `.env` file in the project root).

Secrets (tokens, keys) come only from the environment or `.env`, never from files in the repo.
Every name read here is listed in the README's settings table (a test checks it).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REDIS_KEY_PREFIX = "donghanh:"


def _read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines of a .env file; the real environment wins over it."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class TelegramSettings:
    """Telegram is served when `token` is set."""

    token: str
    api_base_url: str
    mode: str  # "polling" or "webhook"
    webhook_url: str
    webhook_secret: str

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "TelegramSettings":
        """Read the TELEGRAM_* variables."""
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", ""),
            api_base_url=env.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org").rstrip("/"),
            mode=env.get("TELEGRAM_MODE", "polling"),
            webhook_url=env.get("TELEGRAM_WEBHOOK_URL", ""),
            webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
        )


@dataclass(frozen=True)
class ZaloSettings:
    """Zalo OA is served when the app id, the OA secret key and a refresh token are set."""

    app_id: str
    app_secret: str
    oa_secret_key: str
    refresh_token: str
    openapi_base_url: str
    oauth_base_url: str
    reply_window_hours: int
    free_replies: int = 8  # free CS replies per interaction; 0 = no limit (bot.channels.zalo_quota)

    @property
    def enabled(self) -> bool:
        """True when every key needed to receive and send is present."""
        return bool(self.app_id and self.oa_secret_key and self.app_secret and self.refresh_token)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "ZaloSettings":
        """Read the ZALO_* variables."""
        return cls(
            app_id=env.get("ZALO_APP_ID", ""),
            app_secret=env.get("ZALO_APP_SECRET", ""),
            oa_secret_key=env.get("ZALO_OA_SECRET_KEY", ""),
            refresh_token=env.get("ZALO_REFRESH_TOKEN", ""),
            openapi_base_url=env.get("ZALO_OPENAPI_BASE_URL", "https://openapi.zalo.me").rstrip(
                "/"
            ),
            oauth_base_url=env.get("ZALO_OAUTH_BASE_URL", "https://oauth.zaloapp.com").rstrip("/"),
            reply_window_hours=int(env.get("ZALO_REPLY_WINDOW_HOURS", "48")),
            free_replies=int(env.get("ZALO_FREE_REPLIES", "8")),
        )


@dataclass(frozen=True)
class ConsoleSettings:
    """The operator console and the handoff rules."""

    claim_timeout_minutes: int
    opening_hours: str  # "" = always open, else "HH:MM-HH:MM" in `timezone`
    timezone: str
    cookie_secure: bool
    max_failed_logins: int  # failures of one account (from unknown browsers) before back-off
    lockout_minutes: int  # the longest back-off, and how long failures are remembered
    login_failures_per_address: int  # failures from one address before back-off
    login_failures_per_minute: int  # failures from everywhere per minute before back-off
    session_hours: int  # a console session ends this long after login, however active

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "ConsoleSettings":
        """Read the console variables."""
        return cls(
            claim_timeout_minutes=int(env.get("DONGHANH_CLAIM_TIMEOUT_MINUTES", "10")),
            opening_hours=env.get("DONGHANH_OPENING_HOURS", ""),
            timezone=env.get("DONGHANH_TIMEZONE", "Asia/Ho_Chi_Minh"),
            cookie_secure=_flag(env.get("DONGHANH_COOKIE_SECURE", "true")),
            max_failed_logins=int(env.get("DONGHANH_MAX_FAILED_LOGINS", "5")),
            lockout_minutes=int(env.get("DONGHANH_LOCKOUT_MINUTES", "15")),
            login_failures_per_address=int(env.get("DONGHANH_LOGIN_FAILURES_PER_ADDRESS", "10")),
            login_failures_per_minute=int(env.get("DONGHANH_LOGIN_FAILURES_PER_MINUTE", "60")),
            session_hours=int(env.get("DONGHANH_SESSION_HOURS", "12")),
        )


@dataclass(frozen=True)
class LimitSettings:
    """Limits no client can dodge by changing its sender id (see README, *Security*)."""

    trusted_proxies: tuple[str, ...]  # addresses or networks whose forwarded header is believed
    forwarded_header: str
    new_conversations_per_address: int  # per minute; 0 = no limit
    new_conversations_per_minute: int  # from everywhere; 0 = no limit
    cases_per_address: int  # new cases per minute from one address before they are grouped
    cases_per_minute: int  # new non-urgent cases per minute before they are grouped

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "LimitSettings":
        """Read the per-address and global limits."""
        proxies = env.get("DONGHANH_TRUSTED_PROXIES", "")
        return cls(
            trusted_proxies=tuple(p.strip() for p in proxies.split(",") if p.strip()),
            forwarded_header=env.get("DONGHANH_FORWARDED_HEADER", "x-forwarded-for").lower(),
            new_conversations_per_address=int(
                env.get("DONGHANH_NEW_CONVERSATIONS_PER_ADDRESS", "60")
            ),
            new_conversations_per_minute=int(
                env.get("DONGHANH_NEW_CONVERSATIONS_PER_MINUTE", "300")
            ),
            cases_per_address=int(env.get("DONGHANH_CASES_PER_ADDRESS", "3")),
            cases_per_minute=int(env.get("DONGHANH_CASES_PER_MINUTE", "30")),
        )


@dataclass(frozen=True)
class ServerSettings:
    """What `donghanh run` asks of uvicorn against slow or too many clients."""

    header_timeout_seconds: float  # a connection must send its request headers within this
    max_connections: int  # more open connections or requests than this get 503

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "ServerSettings":
        """Read the server variables."""
        return cls(
            header_timeout_seconds=float(env.get("DONGHANH_HEADER_TIMEOUT_SECONDS", "10")),
            max_connections=int(env.get("DONGHANH_MAX_CONNECTIONS", "500")),
        )


@dataclass(frozen=True)
class Settings:
    """Everything the bot can be configured with. See the README's settings table."""

    root: Path
    models_dir: Path
    data_dir: Path
    database_url: str
    max_message_chars: int
    min_urgent_recall: float
    production: bool
    secret_key: str
    max_body_bytes: int
    retention_days: int
    rate_limit_per_minute: int
    redis_url: str
    redis_key_prefix: str  # every Redis key starts with it: "<prefix>lock:…", "<prefix>rate:…"
    debug: bool
    telegram: TelegramSettings
    zalo: ZaloSettings
    console: ConsoleSettings
    limits: LimitSettings
    server: ServerSettings

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """Build settings from `env` (default: .env overlaid by os.environ)."""
        if env is None:
            env = {**_read_dotenv(ROOT / ".env"), **os.environ}
        data_dir = Path(env.get("DONGHANH_DATA_DIR", str(ROOT / "data")))
        return cls(
            root=ROOT,
            models_dir=Path(env.get("DONGHANH_MODELS_DIR", str(ROOT / "models"))),
            data_dir=data_dir,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'donghanh.db'}",
            max_message_chars=int(env.get("DONGHANH_MAX_MESSAGE_CHARS", "4000")),
            min_urgent_recall=float(env.get("DONGHANH_MIN_URGENT_RECALL", "1.0")),
            production=env.get("DONGHANH_ENV", "development") == "production",
            secret_key=env.get("DONGHANH_SECRET_KEY", ""),
            max_body_bytes=int(env.get("DONGHANH_MAX_BODY_BYTES", str(64 * 1024))),
            retention_days=int(env.get("DONGHANH_RETENTION_DAYS", "90")),
            rate_limit_per_minute=int(env.get("DONGHANH_RATE_LIMIT_PER_MINUTE", "20")),
            redis_url=env.get("REDIS_URL", ""),
            redis_key_prefix=env.get("REDIS_KEY_PREFIX", DEFAULT_REDIS_KEY_PREFIX),
            debug=_flag(env.get("DONGHANH_DEBUG", "false")),
            telegram=TelegramSettings.from_env(env),
            zalo=ZaloSettings.from_env(env),
            console=ConsoleSettings.from_env(env),
            limits=LimitSettings.from_env(env),
            server=ServerSettings.from_env(env),
        )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use (never at import time)."""
    return Settings.from_env()
