"""The services the in-process custom actions reach: set once when the bot starts.

Rasa builds action objects itself, so they cannot take constructor arguments; the app (or a test)
calls `install(...)` before the first message, and actions call `services()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.content import Content
from bot.settings import Settings
from bot.storage.api import StoreAPI


@dataclass
class Services:
    """What an action may use."""

    settings: Settings
    content: Content
    store: StoreAPI
    handoff: Any = None  # bot.handoff.Handoff when the console is running


_current: Services | None = None


def install(services: Services) -> None:
    """Make `services` the ones actions see."""
    global _current
    _current = services


def services() -> Services:
    """The installed services (raises if the bot was not started through `bot.core`)."""
    if _current is None:
        raise RuntimeError("bot.runtime.install() was not called before the first action ran")
    return _current
