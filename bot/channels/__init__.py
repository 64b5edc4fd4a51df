"""The channels the bot is reachable on, by name (the name is also the webhook URL prefix)."""

from __future__ import annotations

from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel
from bot.channels.web import WebChannel
from bot.channels.zalo import ZaloChannel

CHANNELS: dict[str, type[Channel]] = {c.name: c for c in (WebChannel, TelegramChannel, ZaloChannel)}

__all__ = ["CHANNELS", "Channel"]
