"""The channel-neutral message model: every channel converts to and from these, nothing else."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.textnorm import nfc


@dataclass(frozen=True)
class Button:
    """A follow-up the person can pick; `payload` is an ASCII Rasa payload such as `/ask_scam`."""

    title: str
    payload: str


@dataclass(frozen=True)
class IncomingMessage:
    """One message from a person, as it arrived on a channel (text is NFC and stripped).

    `platform_id` is the raw id on the channel (a Telegram chat id, a Zalo user id, a web-chat
    random id). It never reaches storage or logs: `bot.core` turns it into a pseudonym first.
    """

    channel: str
    platform_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", nfc(self.text or "").strip())
        object.__setattr__(self, "platform_id", str(self.platform_id))


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to a person: text and optional buttons."""

    text: str
    buttons: tuple[Button, ...] = ()
    notice_at: float | None = None  # a notice written outside a turn (timeout): its tracker time

    @classmethod
    def from_rasa(cls, message: dict[str, Any]) -> "OutgoingMessage":
        """Build from one of Rasa's collected bot messages (`{"text", "buttons"}`)."""
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in message.get("buttons") or []
        )
        return cls(text=str(message.get("text") or ""), buttons=buttons)

    def as_numbered_text(self) -> str:
        """The text with its buttons as numbered lines, for channels without buttons."""
        lines = [self.text] + [f"{i}. {b.title}" for i, b in enumerate(self.buttons, start=1)]
        return "\n".join(line for line in lines if line)

    def to_rest(self, recipient_id: str) -> dict[str, Any]:
        """The Rasa REST channel's shape: `{"recipient_id", "text", "buttons"}`."""
        out: dict[str, Any] = {"recipient_id": recipient_id, "text": self.text}
        if self.buttons:
            out["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.notice_at is not None:
            out["notice_at"] = self.notice_at
        return out
