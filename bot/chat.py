"""A conversation in the terminal: `donghanh chat`. Buttons are shown as numbered options."""

from __future__ import annotations

import uuid
from typing import Any, Callable

from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.nlu.textnorm import nfc

QUIT_WORDS = {"/quit", "/exit", "/thoat"}
CHANNEL = "terminal"


def render(message: OutgoingMessage) -> str:
    """Text of one bot message with its buttons as numbered lines."""
    return message.as_numbered_text()


def pick(text: str, buttons: tuple[Button, ...]) -> str:
    """Turn "2" into the payload of the second button shown; anything else is sent as typed."""
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return buttons[int(text) - 1].payload
    return text


async def chat(
    core: Any,
    *,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    platform_id: str | None = None,
) -> None:
    """Talk with the bot through the conversation core until end of input or /quit."""
    person = platform_id or uuid.uuid4().hex[:12]
    buttons: tuple[Button, ...] = ()
    write("Đồng Hành — gõ tin nhắn rồi Enter (/quit để thoát). Gặp nguy hiểm: gọi 111.")
    while True:
        try:
            text = nfc(read("Bạn: "))
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if text in QUIT_WORDS:
            return
        if not text:
            continue
        replies = await core.handle(IncomingMessage(CHANNEL, person, pick(text, buttons)))
        buttons = ()
        for reply in replies:
            buttons = reply.buttons or buttons
            write(f"Đồng Hành: {render(reply)}")
