"""Zalo Official Account (Open API v3): a signed webhook in, customer-service messages out.

The webhook checks `X-ZEvent-Signature` (`mac=` sha256 of app id + raw body + timestamp + OA
secret key; the timestamp is the body's), refuses events older or newer than 10 minutes, drops
duplicates (Zalo retries deliveries) and answers 200 once the turn is stored: the replies are
sent in a background task, because Zalo retries (and may disable the webhook) when an answer is
slow or not 200. A request with no signature header at all is answered 200 and ignored: that is
the check Zalo's developer console makes when a webhook URL is saved (README, *Platforms*).

What goes out is budgeted per person (`bot.channels.zalo_quota`); the token pair is shared by
every worker (`bot.channels.zalo_tokens`) and refreshed in the background before it expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import random
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
    ConversationCore,
    Event,
    bad_request,
    error,
    read_json,
    with_message_id,
)
from bot.channels.zalo_client import Unreachable, ZaloClient, ZaloError
from bot.channels.zalo_quota import ReplyBudget, ReplyRefused, reach_book_for, remain_of, utc
from bot.channels.zalo_tokens import token_store_for
from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.settings import Settings

log = logging.getLogger(__name__)

NAME = "zalo"
WEBHOOK_PATH = f"/webhooks/{NAME}/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
REPLAY_WINDOW_MS = 10 * 60 * 1000
CHECK_TOKENS_EVERY = 300.0  # seconds between background checks of the token pair (± 20 %)
MEDIA_EVENTS = {
    "user_send_image": "media_photo",
    "user_send_sticker": "media_other",
    "user_send_gif": "media_other",
    "user_send_audio": "media_other",
    "user_send_video": "media_other",
    "user_send_file": "media_other",
    # Shared places and contact cards are answered but never read: a child's location or a
    # third person's phone number is not stored anywhere (Chatwoot reads the same payloads:
    # app/services/zalo/messages/location_service.rb, business_card_service.rb).
    "user_send_location": "media_other",
    "user_send_business_card": "media_other",
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


def _link(payload: dict[str, Any], user: str) -> Event | None:
    """A pasted link reaches the core as text, so the triage reads it (a scam, a grooming site).

    Zalo sends the link in `message.attachments[].payload.url` and usually also as the text
    (chatwoot/chatwoot app/services/zalo/messages/link_service.rb reads the same fields).
    """
    message = payload.get("message")
    if not isinstance(message, dict):
        return None
    typed = message.get("text")
    text = typed if isinstance(typed, str) else ""
    missing = [url for url in _urls(message.get("attachments"))[:3] if url not in text]
    text = " ".join([text, *missing]).strip()
    return Event(MESSAGE, IncomingMessage(NAME, user, text, {"shared": "link"})) if text else None


def _urls(attachments: Any) -> list[str]:
    """The `payload.url` of each attachment that has one."""
    found = []
    for attachment in attachments if isinstance(attachments, list) else []:
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        url = payload.get("url") if isinstance(payload, dict) else None
        if isinstance(url, str) and url:
            found.append(url)
    return found


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
    "user_send_link": _link,
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

    def __init__(
        self, settings: Settings, core: ConversationCore, *, client: ZaloClient | None = None
    ) -> None:
        """Build the client (tokens in the database, else the data folder); nothing is contacted."""
        super().__init__(settings, core)
        self.config = settings.zalo
        self.client = client or ZaloClient(self.config, token_store_for(
            settings.data_dir, self.config.app_id, self.config.refresh_token, core))  # fmt: skip
        self.budget = ReplyBudget(self.config.free_replies, self.config.reply_window_hours)
        self.reach = reach_book_for(core)
        self.recent = RecentIds()
        self.clock: Callable[[], float] = time.time
        self.check_tokens_every = CHECK_TOKENS_EVERY
        self._tasks: set[asyncio.Task[None]] = set()
        self._refresher: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        """Zalo runs when the app id, both secrets and a refresh token are set."""
        return settings.zalo.enabled

    def routes(self) -> list[BaseRoute]:
        """The webhook (GET answers 200 too: a URL check, like the console's unsigned POST)."""
        return [Route(WEBHOOK_PATH, self.webhook, methods=["POST"]),
                Route(WEBHOOK_PATH, self.check, methods=["GET"])]  # fmt: skip

    async def start(self) -> None:
        """Start the background check that refreshes the token pair before it expires."""
        self._stopping = asyncio.Event()
        self._refresher = asyncio.get_running_loop().create_task(self._keep_tokens_fresh())

    async def stop(self) -> None:
        """Stop the token check, let the replies under way finish, then close the HTTP client.

        A refresh under way is never cancelled: Zalo may already have spent the old refresh
        token, and only the stored answer keeps the chain alive.
        """
        if self._refresher is not None:
            self._stopping.set()
            await self._refresher
        await self.drain()
        await self.client.aclose()

    async def drain(self) -> None:
        """Wait for every background task started so far."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _keep_tokens_fresh(self) -> None:
        """Refresh before expiry and at least monthly, so a quiet OA keeps its token chain.

        Every worker runs it; the shared lock and re-read make only one of them refresh.
        """
        while not self._stopping.is_set():
            pause = self.check_tokens_every * random.uniform(0.8, 1.2)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)
                return
            try:
                await self.client.ensure_fresh()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive one failed check
                log.warning("zalo: background token check failed (%s)", type(exc).__name__)

    @staticmethod
    def parse(payload: dict[str, Any]) -> Event | None:  # type: ignore[override]
        """See `parse_event`."""
        return parse_event(payload)

    async def send_text(self, recipient_id: str, text: str) -> None:
        """Send one CS message, unbudgeted (`send` is the budgeted way)."""
        await self.client.send_message(recipient_id, text)

    async def send_buttons(self, recipient_id: str, text: str, buttons: Iterable[Button]) -> None:
        """Send one CS message with hidden-payload buttons, unbudgeted."""
        await self.client.send_message(recipient_id, text, buttons)

    async def send(self, address: str, messages: list[OutgoingMessage]) -> None:
        """Send within the person's budget: merged, and the last free reply kept for 111.

        Used for the bot's replies and for what the person did not just ask for (a counsellor's
        reply, a notice: `Core.deliver`).

        Raises:
            ReplyRefused: not everything could go out: no free reply is left for this person
                (the help card went with the last one, if one was left), or Zalo will not
                deliver to them (-230).
        """
        person = self.core.person_id(NAME, address)
        left = self.budget.left(self.reach.reach(person), utc(self.clock()))
        card = await self._help_card(address) if left is not None else ""
        plan = self.budget.plan(messages, left, card, self.max_text)
        for message in plan.sends:
            try:
                data = await self.client.send_message(address, message.text, message.buttons)
            except Unreachable as exc:
                self.reach.unreachable(person, int(exc.code), utc(self.clock()))
                raise ReplyRefused(f"Zalo refuses to deliver to this person (error {exc.code}) "
                                   "until they write again") from exc  # fmt: skip
            self.reach.count_sent(person, remain_of(data))
        if not plan.complete:
            raise ReplyRefused("no free Zalo reply is left for this person until they write "
                               "again; the last one carried 111 and how to reach us")  # fmt: skip

    async def check(self, request: Request) -> Response:
        """200 for a URL check (nothing is read)."""
        return _ok("ok")

    async def webhook(self, request: Request) -> Response:
        """Verify, de-duplicate, run the turn, answer 200, and send the reply in the background.

        Zalo hears 200 only once the turn is stored (a case committed, the message in the
        tracker). If the turn fails (the database or Redis down: 503), the event id is forgotten so
        that Zalo's retry is taken; the core answers a message id once, however often it comes.
        """
        header = request.headers.get(SIGNATURE_HEADER)
        if header is None:  # Zalo's console checks a URL with an unsigned request: 200, ignored
            log.info("zalo: unsigned request (a URL check) answered 200 and ignored")
            return _ok("unsigned")
        try:
            payload = await read_json(request)
            timestamp = _timestamp(payload)
        except BadPayload as exc:
            return bad_request(exc)
        body = await request.body()
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
        person = self.core.person_id(NAME, event.message.platform_id)
        self.reach.interaction(person, utc(now))  # the person wrote: a new reply window
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
        except ReplyRefused as exc:
            log.warning("zalo: reply to %s not sent (%s)", person, exc)
        except ZaloError as exc:
            log.error("zalo: reply to %s not sent (error %s)", person, exc.code)
        except Exception:
            log.exception("zalo: sending the reply to %s failed", person)

    async def _help_card(self, user: str) -> str:
        """The help card (111 and how to reach us) in the person's voice."""
        audience = await self.core.audience(NAME, user)
        return str(self.core.content.help_card(audience))


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
