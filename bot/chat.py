"""A conversation in the terminal: `donghanh chat`. Buttons are shown as numbered options."""

from __future__ import annotations

import uuid
from typing import Any, Callable

from bot.nlu.textnorm import nfc

QUIT_WORDS = {"/quit", "/exit", "/thoat"}


def render(message: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """Text of one bot message with its buttons as numbered lines, and the buttons."""
    buttons = list(message.get("buttons") or [])
    lines = [message.get("text") or ""]
    lines += [f"  {i}. {b['title']}" for i, b in enumerate(buttons, start=1)]
    return "\n".join(line for line in lines if line), buttons


def pick(text: str, buttons: list[dict[str, str]]) -> str:
    """Turn "2" into the payload of the second button shown; anything else is sent as typed."""
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return buttons[int(text) - 1]["payload"]
    return text


async def chat(
    agent: Any,
    *,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    sender_id: str | None = None,
) -> None:
    """Talk with the bot until end of input or /quit."""
    sender = sender_id or f"terminal-{uuid.uuid4().hex[:12]}"
    buttons: list[dict[str, str]] = []
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
        replies = await agent.handle_text(pick(text, buttons), sender_id=sender) or []
        buttons = []
        for reply in replies:
            shown, buttons_here = render(reply)
            buttons = buttons_here or buttons
            write(f"Đồng Hành: {shown}")
