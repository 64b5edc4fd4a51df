"""The anonymous web chat: a page at `/` and Rasa's REST channel at `/webhooks/rest/webhook`.

A student opens the page, talks, and leaves no account behind. The page asks the server for a
chat id (`POST /webhooks/rest/session`): 128 random bits signed with the project's key, so no
client can pick an id (a short guessable one, or someone else's), and any id the server did not
issue is refused. The page keeps it in sessionStorage (no cookie) and sends it in the JSON body of
a message and in the `X-Chat-Id` header of a poll, never in a URL (proxies and access logs keep
URLs). The server sees it only as a platform id, which the core turns into a pseudonym. The web
cannot push, so a counsellor's replies reach the page when it polls `/webhooks/rest/updates`,
which reads them from the Rasa tracker store.

Each message also carries where it came from, for the per-address limits (`bot.limits`): the
client's address (behind a trusted proxy, its forwarded one) as a keyed hash, never the address.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, Signer
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.channels.base import (
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
from bot.limits import MESSAGE_SOURCE, client_address
from bot.messages import IncomingMessage
from bot.pseudonym import load_key

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_SENDER_CHARS = 128
CHAT_ID_HEADER = "x-chat-id"
BAD_ID = '"sender" must be a chat id from POST /webhooks/rest/session'
# The page loads nothing from elsewhere and cannot be framed (quick exit must always work).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


class SecureStaticFiles(StaticFiles):
    """Static files with the page's security headers."""

    async def get_response(self, path: str, scope: Any) -> Response:
        """Serve the file and add the headers."""
        response = await super().get_response(path, scope)
        response.headers.update({k: v for k, v in PAGE_HEADERS.items() if k != "Cache-Control"})
        return response


class WebChannel(Channel):
    """The web chat page and the Rasa-compatible REST endpoint."""

    name = "web"
    max_text = 100_000  # the page shows any length
    can_push = False  # the page polls /webhooks/rest/updates instead

    def __init__(self, settings: Any, core: ConversationCore) -> None:
        """Load the page templates; derive the keys of chat ids and address hashes."""
        super().__init__(settings, core)
        self.templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
        key = load_key(settings.secret_key, settings.data_dir, production=settings.production)
        self.ids = ChatIds(hmac.new(key, b"web-chat-id", hashlib.sha256).digest())
        self._source_key = hmac.new(key, b"web-source", hashlib.sha256).digest()

    def source(self, request: Request) -> str:
        """A keyed hash of the address the request came from (`bot.limits.client_address`)."""
        client = (request.client.host, request.client.port) if request.client else None
        address = client_address(client, dict(request.headers.items()), self.settings.limits)
        return "a-" + hmac.new(self._source_key, address.encode(), hashlib.sha256).hexdigest()[:24]

    def routes(self) -> list[BaseRoute]:
        """The page, the neutral exit page, static files and the REST endpoints."""
        return [
            Route("/", self.page, methods=["GET"]),
            Route("/thoi-tiet", self.neutral_page, methods=["GET"]),
            Route("/favicon.ico", self.no_icon, methods=["GET"]),
            Route("/webhooks/rest/session", self.new_session, methods=["POST"]),
            Route("/webhooks/rest/webhook", self.webhook, methods=["POST"]),
            Route("/webhooks/rest/updates", self.updates, methods=["GET"]),
            Mount("/static", SecureStaticFiles(directory=str(WEB_DIR / "static")), name="static"),
        ]

    @staticmethod
    def parse(payload: dict[str, Any]) -> Event:  # type: ignore[override]
        """Read Rasa's REST body `{"sender": str, "message": str}` (`BadPayload` otherwise)."""
        if not isinstance(payload, dict):
            raise BadPayload("the body must be a JSON object")
        sender, text = payload.get("sender"), payload.get("message")
        if not isinstance(sender, str) or not isinstance(text, str):
            raise BadPayload('"sender" and "message" must be strings')
        if not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise BadPayload(f'"sender" must have 1 to {MAX_SENDER_CHARS} characters')
        message_id = payload.get("message_id")
        if message_id is not None and not isinstance(message_id, str):
            raise BadPayload('"message_id" must be a string')
        event = Event(MESSAGE, IncomingMessage(WebChannel.name, sender.strip(), text))
        return with_message_id(event, message_id) or event

    async def send_text(self, recipient_id: str, text: str) -> None:
        """The web cannot push: the page polls `/webhooks/rest/updates` for counsellor replies."""
        raise NotImplementedError("the web chat cannot push messages")

    async def page(self, request: Request) -> Response:
        """The chat page."""
        return self.templates.TemplateResponse(request, "chat.html", headers=PAGE_HEADERS)

    async def neutral_page(self, request: Request) -> Response:
        """Where "Thoát nhanh" leads: a page with nothing about the bot."""
        return self.templates.TemplateResponse(request, "neutral.html", headers=PAGE_HEADERS)

    async def no_icon(self, request: Request) -> Response:
        """No icon: a tab showing a chat logo would give the visit away."""
        return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})

    async def new_session(self, request: Request) -> Response:
        """A new chat id: `{"sender": "<id>"}` (nothing is stored until a message arrives)."""
        return JSONResponse({"sender": self.ids.issue()}, headers={"Cache-Control": "no-store"})

    async def webhook(self, request: Request) -> Response:
        """Answer one message: `{"sender","message"}` → `[{"recipient_id","text","buttons"}]`.

        `sender` must be a chat id this server issued (400 otherwise).
        """
        try:
            event = self.parse(await read_json(request))
        except BadPayload as exc:
            return bad_request(exc)
        if not self.ids.valid(event.message.platform_id):
            return error(400, BAD_ID)
        MESSAGE_SOURCE.set(self.source(request))
        replies = await self.answer(event)
        sender = event.message.platform_id
        return JSONResponse([reply.to_rest(sender) for reply in replies])

    async def updates(self, request: Request) -> Response:
        """Counsellor replies newer than `after` (a tracker timestamp) for the `X-Chat-Id` chat."""
        sender = request.headers.get(CHAT_ID_HEADER, "").strip()
        if not self.ids.valid(sender):
            return error(400, "the X-Chat-Id header must be a chat id from /webhooks/rest/session")
        try:
            after = float(request.query_params.get("after", "0"))
        except ValueError:
            return error(400, '"after" must be a number')
        if not math.isfinite(after):
            return error(400, '"after" must be a finite number')
        return JSONResponse(await self.operator_messages(sender, after))

    async def operator_messages(self, sender: str, after: float) -> list[dict[str, Any]]:
        """The operator's replies and the bot's notices (a timeout) newer than `after`."""
        lines = await self.core.operator_messages(self.name, sender, after)
        return [
            {"recipient_id": sender, "text": line.text, "timestamp": line.timestamp,
             "notice": bool(line.metadata.get("notice")),
             "buttons": list(line.data.get("buttons") or [])}
            for line in lines
        ]  # fmt: skip


class ChatIds:
    """Web chat ids: 128 random bits and their HMAC (itsdangerous), ~60 characters."""

    def __init__(self, key: bytes) -> None:
        """Sign with `key` (derived from DONGHANH_SECRET_KEY)."""
        self.signer = Signer(key, salt="donghanh-web-chat")

    def issue(self) -> str:
        """A new id."""
        return self.signer.sign(secrets.token_hex(16)).decode("ascii")

    def valid(self, value: str) -> bool:
        """Whether `value` is an id this server issued (with this key)."""
        if not value or len(value) > MAX_SENDER_CHARS:
            return False
        try:
            self.signer.unsign(value)
        except (BadSignature, UnicodeError, ValueError):
            return False
        return True
