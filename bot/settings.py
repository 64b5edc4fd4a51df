"""Typed settings, read once from the environment (and a `.env` file in the project root)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


@dataclass(frozen=True)
class Settings:
    """Everything the bot can be configured with. See the README's settings table."""

    root: Path
    models_dir: Path
    data_dir: Path
    database_url: str
    max_message_chars: int
    min_urgent_recall: float

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
        )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use (never at import time)."""
    return Settings.from_env()
