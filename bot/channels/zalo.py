"""Zalo Official Account (Open API v3): a signed webhook in, customer-service messages out.

The webhook checks `X-ZEvent-Signature` (`mac=` sha256 of app id + raw body + timestamp + OA
secret key; the timestamp is the body's), refuses events older or newer than 10 minutes, drops
duplicates (Zalo retries deliveries) and answers 200 at once: the bot's work runs in a background
task, because Zalo retries (and may disable the webhook) when an answer is slow or not 200.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections import OrderedDict
from typing import Any, Callable, Coroutine, Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.base import (
    CANNED,
    MESSAGE,
    BadPayload,
    Channel,
    Event,
    bad_request,
    error,
    read_json,
    with_message_id,
)
from bot.channels.zalo_client import TokenFile, ZaloClient, ZaloError
from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.settings import Settings

log = logging.getLogger(__name__)

NAME = "zalo"
WEBHOOK_PATH = f"/webhooks/{NAME}/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
REPLAY_WINDOW_MS = 10 * 60 * 1000
TOKEN_FILE = "zalo_tokens.json"
MEDIA_EVENTS = {
    "user_send_image": "media_photo",
    "user_send_sticker": "media_other",
    "user_send_gif": "media_other",
    "user_send_audio": "media_other",
    "user_send_video": "media_other",
    "user_send_file": "media_other",
}


def signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The hex digest Zalo sends as `mac=<hex>` (plain SHA-256, not an HMAC)."""
    return hashlib.sha256(
        app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()
    ).hexdigest()


def verify_signature(header: str, app_id: str, body: bytes, timestamp: str, secret: str) -> bool:
    """Whether the `X-ZEvent-Signature` header matches the raw body (constant-time compare)."""
    given = header.strip()
    given = given[4:] if given.lower().startswith("mac=") else given
    expected = signature(app_id, body, timestamp, secret)
    return hmac.compare_digest(given.lower().encode(), expected.encode())


def _user(payload: dict[str, Any], key: str) -> str | None:
    user = (payload.get(key) or {}).get("id") if isinstance(payload.get(key), dict) else None
    return str(user) if isinstance(user, (str, int)) and str(user) else None


def _message_id(payload: dict[str, Any]) -> str:
    message = payload.get("message")
    return str(message.get("msg_id") or "") if isinstance(message, dict) else ""


Handler = Callable[[dict[str, Any], str], "Event | None"]


def _text(payload: dict[str, Any], user: str) -> Event | None:
    message = payload.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str):
        return None
    return Event(MESSAGE, IncomingMessage(NAME, user, text))


def _greet(payload: dict[str, Any], user: str) -> Event:
    return Event(MESSAGE, IncomingMessage(NAME, user, "/greet"))


def _ignore(payload: dict[str, Any], user: str) -> None:
    return None


def _media(reply: str) -> Handler:
    def handler(payload: dict[str, Any], user: str) -> Event:
        return Event(CANNED, IncomingMessage(NAME, user, ""), reply=reply)

    return handler


HANDLERS: dict[str, Handler] = {
    "user_send_text": _text,
    "follow": _greet,
    "unfollow": _ignore,  # nothing may be sent to someone who left
    **{name: _media(reply) for name, reply in MEDIA_EVENTS.items()},
}


def parse_event(payload: dict[str, Any]) -> Event | None:
    """What a Zalo webhook event means for the bot; None for events it ignores."""
    handler = HANDLERS.get(str(payload.get("event_name")))
    user = _user(payload, "follower") or _user(payload, "sender")
    if handler is None or user is None:
        return None
    # msg_id as the message id: a retry reaching another worker is still answered once.
    return with_message_id(handler(payload, user), _message_id(payload) or None)


class RecentIds:
    """The last `capacity` event ids seen within `ttl` seconds (to drop Zalo's retries)."""

    def __init__(self, capacity: int = 10_000, ttl: float = 3600.0) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._seen: OrderedDict[str, float] = OrderedDict()

    def add(self, key: str, now: float) -> bool:
        """Remember `key`; False if it was already seen (a duplicate)."""
        while self._seen and next(iter(self._seen.values())) < now - self.ttl:
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True

    def discard(self, key: str) -> None:
        """Forget `key`: the event was not handled, its retry must be taken."""
        self._seen.pop(key, None)


class ZaloChannel(Channel):
    """A Zalo Official Account."""

    name = NAME
    max_text = 2000

    def __init__(self, settings: Settings, core: Any, *, client: ZaloClient | None = None) -> None:
        """Build the client (tokens live in the data folder); nothing is contacted yet."""
        super().__init__(settings, core)
        self.config = settings.zalo
        self.client = client or ZaloClient(self.config, TokenFile(settings.data_dir / TOKEN_FILE))
        self.recent = RecentIds()
        self.clock: Callable[[], float] = time.time
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        """Zalo runs when the app id, both secrets and a refresh token are set."""
        return settings.zalo.enabled

    def routes(self) -> list[BaseRoute]:
        """The webhook."""
        return [Route(WEBHOOK_PATH, self.webhook, methods=["POST"])]

    async def stop(self) -> None:
        """Let the replies under way finish, then close the HTTP client."""
        await self.drain()
        await self.client.aclose()

    async def drain(self) -> None:
        """Wait for every background task started so far."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @staticmethod
    def parse(payload: dict[str, Any]) -> Event | None:  # type: ignore[override]
        """See `parse_event`."""
        return parse_event(payload)

    async def send_text(self, recipient_id: str, text: str) -> None:
        """Send one CS message."""
        await self.client.send_message(recipient_id, text)

    async def send_buttons(self, recipient_id: str, text: str, buttons: Iterable[Button]) -> None:
        """Send one CS message with `oa.query.show` buttons."""
        await self.client.send_message(recipient_id, text, buttons)

    async def webhook(self, request: Request) -> Response:
        """Verify, de-duplicate, run the turn, answer 200, and send the reply in the background.

        Zalo hears 200 only once the turn is stored (a case committed, the message in the
        tracker). If the turn fails (the database or Redis down: 503), the event id is forgotten so
        that Zalo's retry is taken; the core answers a message id once, however often it comes.
        """
        try:
            payload = await read_json(request)
            timestamp = _timestamp(payload)
        except BadPayload as exc:
            return bad_request(exc)
        body = await request.body()
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not verify_signature(
            header, self.config.app_id, body, timestamp, self.config.oa_secret_key
        ):
            log.warning("zalo: webhook with a bad signature refused")
            return error(401, "bad signature")
        now = self.clock()
        if abs(now * 1000 - int(timestamp)) > REPLAY_WINDOW_MS:
            log.warning("zalo: event outside the replay window dropped")
            return _ok("stale")
        event = parse_event(payload)
        if event is None:
            return _ok("ignored")
        key = _message_id(payload) or header
        if not self.recent.add(key, now):
            return _ok("duplicate")
        try:
            replies = await self.answer(event)
        except Exception:
            self.recent.discard(key)
            raise  # the app answers 503 while storage is down (500 otherwise)
        self._spawn(self._send_replies(event, replies))
        return _ok("accepted")

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_replies(self, event: Event, replies: list[OutgoingMessage]) -> None:
        person = self.core.person_id(NAME, event.message.platform_id)
        try:
            await self.send(event.message.platform_id, replies)
        except ZaloError as exc:
            log.error("zalo: reply to %s not sent (error %s)", person, exc.code)
        except Exception:
            log.exception("zalo: sending the reply to %s failed", person)


def _timestamp(payload: Any) -> str:
    if not isinstance(payload, dict):
        raise BadPayload("an event is a JSON object")
    timestamp = payload.get("timestamp")
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        timestamp = str(timestamp)
    if not isinstance(timestamp, str) or not (timestamp.isascii() and timestamp.isdigit()):
        raise BadPayload('"timestamp" must be a string of digits (unix milliseconds)')
    if len(timestamp) > 18:  # int() refuses over 4,300 digits; no real timestamp has 19
        raise BadPayload('"timestamp" is too long for unix milliseconds')
    return timestamp


def _ok(status: str) -> JSONResponse:
    return JSONResponse({"status": status})
