"""The contract every channel implements, and the helpers they share.

A channel turns platform payloads into `bot.messages.IncomingMessage`s for the conversation core
and sends the core's `OutgoingMessage`s back. Platform types never leave the channel's module.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Iterable, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from bot.content import Content
from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.settings import Settings

# What an update means for the bot (see `Event.kind`).
MESSAGE = "message"  # text for the conversation core
BUTTON = "button"  # a pressed button: its payload goes to the core
CANNED = "canned"  # answered with a content key, without the core (media, group chats)

_SENTENCE_END = re.compile(r"[.!?…](?=\s)")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # an escaped UTF-16 surrogate


class ConversationCore(Protocol):
    """What a channel may ask of the conversation core (`bot.core.Core`), and nothing more.

    Conversations are the core's: a channel never reads Rasa's tracker store, it asks.
    """

    content: Content

    def person_id(self, channel: str, platform_id: str) -> str:
        """The pseudonym of a person on a channel."""

    def register_sender(self, sender: Any) -> None:
        """Let the core push messages on this channel."""

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        """Answer one message."""

    async def audience(self, channel: str, platform_id: str) -> str | None:
        """Who is writing (the conversation's `audience`), if known."""

    async def operator_messages(self, channel: str, platform_id: str, after: float) -> list[Any]:
        """The counsellors' replies and the bot's notices newer than `after`."""


class BadPayload(ValueError):
    """A request the channel cannot read (malformed JSON, missing fields, wrong types)."""


@dataclass(frozen=True)
class Event:
    """One platform update, reduced to what the bot does with it."""

    kind: str
    message: IncomingMessage
    reply: str | None = None  # the content key of a CANNED answer


MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,80}")


def with_message_id(event: Event | None, platform_message_id: object) -> Event | None:
    """The event with the platform's own message id, so a retried delivery is recognised.

    The core answers each message id once (see `Core._run`); without an id a message gets a random
    one and is always answered.
    """
    if event is None or event.kind == CANNED or not isinstance(platform_message_id, (str, int)):
        return event
    message_id = f"{event.message.channel}:{platform_message_id}"
    if isinstance(platform_message_id, bool) or not MESSAGE_ID.fullmatch(message_id):
        return event
    return replace(event, message=replace(event.message, message_id=message_id))


class Channel(ABC):
    """A messaging platform the bot is reachable on."""

    name: ClassVar[str]
    max_text: ClassVar[int] = 4096  # longer texts are split before `send_text`
    can_push: ClassVar[bool] = True  # can send without being asked (counsellor replies)

    def __init__(self, settings: Settings, core: ConversationCore) -> None:
        """Keep the settings and the conversation core."""
        self.settings = settings
        self.core = core

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        """Whether the settings hold what this channel needs to run."""
        return True

    def routes(self) -> list[BaseRoute]:
        """The HTTP routes the channel serves (webhooks, pages)."""
        return []

    async def start(self) -> None:
        """Connect to the platform once the app starts (default: nothing to do)."""
        return None

    async def stop(self) -> None:
        """Disconnect when the app stops (default: nothing to do)."""
        return None

    @abstractmethod
    def parse(self, payload: dict[str, Any]) -> Event | None:
        """Must be implemented by a subclass: None for updates the bot ignores."""

    @abstractmethod
    async def send_text(self, recipient_id: str, text: str) -> None:
        """Must be implemented by a subclass."""

    async def send_buttons(self, recipient_id: str, text: str, buttons: Iterable[Button]) -> None:
        """Send text with buttons; by default the buttons become numbered lines."""
        await self.send_text(recipient_id, OutgoingMessage(text, tuple(buttons)).as_numbered_text())

    async def send(self, address: str, messages: list[OutgoingMessage]) -> None:
        """Send the core's messages, long texts split; buttons go with the last part."""
        for message in messages:
            *head, last = split_text(message.text, self.max_text) or [""]
            for part in head:
                await self.send_text(address, part)
            if message.buttons:
                await self.send_buttons(address, last, message.buttons)
            elif last:
                await self.send_text(address, last)

    async def answer(self, event: Event) -> list[OutgoingMessage]:
        """What the bot says to an event: the core's answer, or a canned reply."""
        if event.kind == CANNED and event.reply:
            return [await self.canned(event.message.platform_id, event.reply)]
        return list(await self.core.handle(event.message))

    async def canned(self, platform_id: str, key: str, **values: str) -> OutgoingMessage:
        """A reply from content/conversation.yml in the person's voice (parent's if unknown)."""
        audience = await self.core.audience(self.name, platform_id)
        return OutgoingMessage(self.core.content.say(key, audience, **values))


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into parts of at most `limit` characters.

    Cuts at the last line break of the window, else at the last sentence end, else at the last
    space, and only mid-word when a single word is longer than the limit.
    """
    parts: list[str] = []
    text = text.strip()
    while len(text) > limit:
        cut = _cut_point(text[: limit + 1], limit)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def _cut_point(window: str, limit: int) -> int:
    newline = window.rfind("\n", 0, limit)
    if newline > 0:
        return newline
    sentences = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit]
    if sentences:
        return sentences[-1]
    space = window.rfind(" ", 0, limit)
    return space if space > 0 else limit


async def read_json(request: Request) -> Any:
    """The request's JSON body; `BadPayload` on a non-JSON content type or malformed JSON.

    Raises:
        UnsupportedMediaType: the content type is not JSON.
        BadPayload: the body is not valid UTF-8 JSON.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(media_type or "none")
    return parse_json(await request.body())


def parse_json(body: bytes) -> Any:
    """Decode a JSON body (`BadPayload` when it is not UTF-8 JSON that Python can hold).

    Also refused, rather than left to fail later with a 500: nesting deeper than the recursion
    limit, integers over Python's 4,300-digit limit and escaped lone surrogates (a JSON
    escape of D800-DFFF without its pair), which no UTF-8 text can carry.
    """
    try:
        value = json.loads(body.decode("utf-8"))
        if _SURROGATE_ESCAPE.search(body):
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeError are ValueErrors
        raise BadPayload(f"malformed JSON: {exc}") from None


class UnsupportedMediaType(BadPayload):
    """The request's content type is not JSON (HTTP 415)."""


def error(status: int, detail: str) -> JSONResponse:
    """A JSON error response."""
    return JSONResponse({"error": detail}, status_code=status)


def bad_request(exc: BadPayload) -> JSONResponse:
    """400 for a malformed payload, 415 for a non-JSON content type."""
    if isinstance(exc, UnsupportedMediaType):
        return error(415, f"expected application/json, got {exc}")
    return error(400, str(exc))
