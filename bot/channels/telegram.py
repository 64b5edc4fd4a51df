"""Telegram, through python-telegram-bot 22: long polling by default, a webhook for deployments.

PTB runs on the app's own event loop (manual `initialize/start/updater.start_polling`, or
`.updater(None)` and our route in webhook mode). One `TypeHandler` hands every update to the pure
`parse_update`, so Telegram types never go further than this module. Private chats only: in a
group the bot answers once with a link to talk privately. No media is downloaded or stored.

Updates run concurrently (`ChatOrder`: a slow send to one chat holds up nobody else), one chat's
updates one at a time in arrival order. At start the bot sets its command menu from
content/ui.yml (`commands:`) and subscribes to messages and button presses only. Updates that
arrived while the bot was down are kept and answered, oldest first (Telegram keeps them for
24 hours): someone may have written for help meanwhile. A button pressed during the downtime is
too old to acknowledge (Telegram answers 400), which is logged and does not stop its answer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections import OrderedDict
from dataclasses import replace
from typing import Any, Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.channels.base import (
    BUTTON,
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
from bot.channels.telegram_updates import ChatOrder
from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.settings import Settings

log = logging.getLogger(__name__)

NAME = "telegram"
WEBHOOK_PATH = f"/webhooks/{NAME}/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]  # never edits, channel posts or member changes
DROP_PENDING_UPDATES = False  # answer what was written while the bot was down (module docstring)
COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}")  # a command, as Telegram's menu may hold it
CAMPAIGN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what a t.me/<bot>?start= deep link may carry
SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a webhook secret
MAX_CALLBACK_BYTES = InlineKeyboardButton.MAX_CALLBACK_DATA
GROUP_CHAT = "group_chat"
MEDIA_REPLIES = {
    "photo": "media_photo",
    "document": "media_other",
    "sticker": "media_other",
    "voice": "media_other",
    "audio": "media_other",
    "video": "media_other",
    "video_note": "media_other",
    "animation": "media_other",
}
REMEMBERED = 10_000  # short button ids and groups already told, per process


def parse_update(payload: dict[str, Any]) -> Event | None:
    """What a Bot API update means for the bot; None for updates it ignores (edits, members…).

    The update id becomes the message id, so a webhook delivered twice is answered once.
    """
    return with_message_id(_parse_update(payload), payload.get("update_id"))


def _parse_update(payload: dict[str, Any]) -> Event | None:
    query = payload.get("callback_query")
    if isinstance(query, dict):
        return _parse_callback(query)
    message = payload.get("message")  # channel posts are not subscribed, nor answered
    if not isinstance(message, dict):
        return None
    chat = _dict(message.get("chat"))
    chat_id = _chat_id(chat)
    if chat_id is None:
        return None
    if chat.get("type") != "private":
        return Event(CANNED, IncomingMessage(NAME, chat_id, ""), reply=GROUP_CHAT)
    media = _media_reply(message)
    if media is not None:
        return Event(CANNED, IncomingMessage(NAME, chat_id, ""), reply=media)
    text = message.get("text")
    return _text_event(chat_id, text) if isinstance(text, str) else None


def _media_reply(message: dict[str, Any]) -> str | None:
    for key, reply in MEDIA_REPLIES.items():
        if message.get(key):
            mime = str(_dict(message.get("document")).get("mime_type") or "")
            return "media_photo" if mime.startswith("image/") else reply
    return None


def _text_event(chat_id: str, text: str) -> Event:
    command, _, rest = text.strip().partition(" ")
    command = command.split("@")[0]  # "/xoa@donghanh_bot", as a menu tap may send it
    if command != "/start":
        bare = command if COMMAND.fullmatch(command) and not rest.strip() else text
        return Event(MESSAGE, IncomingMessage(NAME, chat_id, bare))
    code = rest.strip()
    metadata = {"campaign": code} if CAMPAIGN.fullmatch(code) else {}
    return Event(MESSAGE, IncomingMessage(NAME, chat_id, "/start", metadata))


def _parse_callback(query: dict[str, Any]) -> Event | None:
    chat = _dict(_dict(query.get("message")).get("chat"))
    data = query.get("data")
    chat_id = _chat_id(chat)
    if chat.get("type") != "private" or chat_id is None:
        return None
    if not isinstance(data, str) or not data:
        return None
    return Event(BUTTON, IncomingMessage(NAME, chat_id, data))


def _dict(value: Any) -> dict[str, Any]:
    """`value` if it is an object, else an empty one (a field of the wrong type reads as absent)."""
    return value if isinstance(value, dict) else {}


def _chat_id(chat: dict[str, Any]) -> str | None:
    """The chat's integer id as text (None when absent or not an integer; JSON true is not 1)."""
    chat_id = chat.get("id")
    return str(chat_id) if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None


class PayloadMap:
    """Callback data holds at most 64 bytes: longer payloads travel as a short id mapped here."""

    PREFIX = "#p:"

    def __init__(self, capacity: int = REMEMBERED) -> None:
        self.capacity = capacity
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        """The callback data for `payload`: itself if it fits, else a short id."""
        if len(payload.encode()) <= MAX_CALLBACK_BYTES and not payload.startswith(self.PREFIX):
            return payload
        key = self.PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:24]
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self.capacity:
            self._payloads.popitem(last=False)
        return key

    def decode(self, data: str) -> str | None:
        """The payload behind callback data (None for a short id this process forgot)."""
        return self._payloads.get(data) if data.startswith(self.PREFIX) else data


class TelegramChannel(Channel):
    """A Telegram bot: private chats, inline keyboards for follow-ups, no media kept."""

    name = NAME
    max_text = 4096

    def __init__(self, settings: Settings, core: ConversationCore) -> None:
        """Build the PTB application (nothing is contacted before `start`).

        Raises:
            ValueError: webhook mode without a valid URL and secret, or an unknown mode.
        """
        super().__init__(settings, core)
        self.config = settings.telegram
        self.webhook_mode = _check_mode(self.config)
        builder = (
            Application.builder()
            .token(self.config.token)
            .base_url(f"{self.config.api_base_url}/bot")
            .base_file_url(f"{self.config.api_base_url}/file/bot")
            .rate_limiter(AIORateLimiter(max_retries=2))
            .concurrent_updates(ChatOrder())
        )
        if self.webhook_mode:
            builder = builder.updater(None)
        self.app = builder.build()
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        self.payloads = PayloadMap()
        self._groups_told: OrderedDict[str, None] = OrderedDict()

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        """Telegram runs when TELEGRAM_BOT_TOKEN is set."""
        return bool(settings.telegram.token)

    def routes(self) -> list[BaseRoute]:
        """The webhook route, in webhook mode only."""
        return [Route(WEBHOOK_PATH, self.webhook, methods=["POST"])] if self.webhook_mode else []

    async def start(self) -> None:
        """Log in (getMe), set the command menu, then poll or register the webhook."""
        await self.app.initialize()
        await self._set_commands()
        if self.webhook_mode:
            await self.app.bot.set_webhook(self.config.webhook_url, allowed_updates=ALLOWED_UPDATES,
                                           secret_token=self.config.webhook_secret,
                                           drop_pending_updates=DROP_PENDING_UPDATES)  # fmt: skip
        await self.app.start()
        if self.app.updater is not None:
            await self.app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=DROP_PENDING_UPDATES
            )
        log.info("telegram: %s as @%s", "webhook" if self.webhook_mode else "polling",
                 self.app.bot.username)  # fmt: skip

    async def _set_commands(self) -> None:
        """The menu of private chats (/start, /help, /xoa, /111), worded in content/ui.yml."""
        wording = dict(self.core.content.ui.get("commands") or {})
        commands = [BotCommand(str(name), str(text)) for name, text in wording.items()]
        if not commands:
            log.warning("telegram: content/ui.yml has no `commands:`; the menu stays empty")
            return
        try:
            await self.app.bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats())
        except TelegramError as exc:  # the bot still works without its menu
            log.warning("telegram: the command menu was not set (%s)", type(exc).__name__)

    async def stop(self) -> None:
        """Stop polling and the application."""
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    @staticmethod
    def parse(payload: dict[str, Any]) -> Event | None:  # type: ignore[override]
        """See `parse_update`."""
        return parse_update(payload)

    async def send_text(self, recipient_id: str, text: str) -> None:
        """Send one message (at most 4,096 characters)."""
        await self.app.bot.send_message(chat_id=int(recipient_id), text=text)

    async def send_buttons(self, recipient_id: str, text: str, buttons: Iterable[Button]) -> None:
        """Send text with an inline keyboard, one button per row."""
        rows = [[InlineKeyboardButton(b.title, callback_data=self.payloads.encode(b.payload))]
                for b in buttons]  # fmt: skip
        markup = InlineKeyboardMarkup(rows)
        await self.app.bot.send_message(chat_id=int(recipient_id), text=text, reply_markup=markup)

    async def answer(self, event: Event) -> list[OutgoingMessage]:
        """Groups get the link once; pressed buttons are mapped back to their payload."""
        if event.reply == GROUP_CHAT:
            return await self._group_reply(event.message.platform_id)
        if event.kind == BUTTON:
            payload = self.payloads.decode(event.message.text)
            if payload is None:
                return []
            event = replace(event, message=replace(event.message, text=payload))
        return await super().answer(event)

    async def _group_reply(self, chat_id: str) -> list[OutgoingMessage]:
        group = self.core.person_id(NAME, chat_id)  # remember groups by pseudonym only
        if group in self._groups_told:
            return []
        self._groups_told[group] = None
        while len(self._groups_told) > REMEMBERED:
            self._groups_told.popitem(last=False)
        return [
            await self.canned(chat_id, GROUP_CHAT, link=f"https://t.me/{self.app.bot.username}")
        ]

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()  # stops the button's spinner
            except TelegramError as exc:  # pressed while the bot was down: too old to answer
                log.info("telegram: a button press not acknowledged (%s)", exc)
        event = parse_update(update.to_dict())
        if event is None:
            return
        replies = await self.answer(event)
        await self.send(event.message.platform_id, replies)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error_ = context.error
        log.error("telegram: update failed (%s)", type(error_).__name__, exc_info=error_)

    async def webhook(self, request: Request) -> Response:
        """Receive an update; 403 unless the secret-token header matches."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.config.webhook_secret.encode()):
            return error(403, "wrong secret token")
        try:
            payload = await read_json(request)
            if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
                raise BadPayload("an update is an object with an integer update_id")
            update = Update.de_json(payload, self.app.bot)
            _check_ids(update)
        except BadPayload as exc:
            return bad_request(exc)
        except (KeyError, TypeError, ValueError, AttributeError):
            return error(400, "not a Telegram update")
        await self.app.update_queue.put(update)
        return Response(status_code=200)


def _check_ids(update: Update) -> None:
    """Refuse an update whose user or chat id is not an integer (PTB files it by that id).

    Raises:
        BadPayload: an id of the wrong type; with updates handled concurrently, PTB would log
            the TypeError of such an update (handled one at a time, it stopped the update loop).
    """
    for found in (update.effective_user, update.effective_chat, update.effective_sender):
        ident = getattr(found, "id", None)
        if found is not None and (not isinstance(ident, int) or isinstance(ident, bool)):
            raise BadPayload("user and chat ids are integers")


def _check_mode(config: Any) -> bool:
    """True for webhook mode; fail fast on a setting that cannot work."""
    if config.mode == "polling":
        return False
    if config.mode != "webhook":
        raise ValueError(f'TELEGRAM_MODE must be "polling" or "webhook", not {config.mode!r}')
    if not config.webhook_url.startswith("https://"):
        raise ValueError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL, an https:// URL "
                         f"ending in {WEBHOOK_PATH}")  # fmt: skip
    if not SECRET.fullmatch(config.webhook_secret):
        raise ValueError("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET: 1-256 characters "
                         "of A-Z a-z 0-9 _ - (e.g. python -c 'import secrets; "
                         "print(secrets.token_urlsafe(32))')")  # fmt: skip
    return True
