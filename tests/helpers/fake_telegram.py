"""A local fake of the Telegram Bot API (aiohttp on 127.0.0.1, a random port).

Point python-telegram-bot at it with `TELEGRAM_API_BASE_URL=fake.url`. It implements what the bot
uses: getMe, getUpdates (long poll over `push`ed updates), deleteWebhook, setWebhook, sendMessage,
sendChatAction, answerCallbackQuery and setMyCommands, and records every call. PTB posts form
fields, each JSON-encoded unless it is a string; `STRING_FIELDS` are kept as sent.

As Telegram does: updates pushed before the bot polls wait for it (and `deleteWebhook` with
`drop_pending_updates` drops them); a callback query older than Telegram's answer window
(`expire_queries`) is refused with 400; `slow_chats` makes sendMessage to a chat take that long.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any, Callable

from aiohttp import web

TOKEN = "123456:TEST-token"
USERNAME = "donghanh_test_bot"
STRING_FIELDS = {"text", "callback_query_id", "url", "secret_token", "parse_mode"}
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Dong Hanh", "username": USERNAME,
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}  # fmt: skip


class FakeBotAPI:
    """The fake server; `calls` is every (method, fields) in order."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.expired_queries: set[str] = set()
        self.slow_chats: dict[int, float] = {}
        self.delivered: list[int] = []  # chat ids, in the order their sendMessage completed
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Listen on 127.0.0.1 (random port); return the base URL."""
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Release long polls and close the server."""
        self._closing = True
        self._changed.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates (an update_id is assigned); return its id."""
        update_id = next(self._ids)
        self.updates.append({**update, "update_id": update_id})
        self._changed.set()
        return update_id

    def sent(self) -> list[dict[str, Any]]:
        """The fields of every sendMessage call."""
        return [fields for method, fields in self.calls if method == "sendMessage"]

    def called(self, method: str) -> list[dict[str, Any]]:
        """The fields of every call of `method`."""
        return [fields for name, fields in self.calls if name == method]

    async def wait_until(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `check()` is true (fails the test after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {[m for m, _ in self.calls]}")
            await asyncio.sleep(0.02)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _fail(401, "Unauthorized")
        method = request.match_info["method"]
        fields = await _fields(request)
        self.calls.append((method, fields))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _fail(404, "Not Found")
        result = await handler(fields)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, fields: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_getUpdates(self, fields: dict[str, Any]) -> Any:
        offset = int(fields.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + float(fields.get("timeout") or 0)
        while not self.updates and not self._closing and time.monotonic() < deadline:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                break
        return list(self.updates)

    async def _api_deleteWebhook(self, fields: dict[str, Any]) -> Any:
        self.webhook = None
        if fields.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _api_setMyCommands(self, fields: dict[str, Any]) -> Any:
        commands = fields.get("commands") or []
        for command in commands:
            if not (1 <= len(command.get("command", "")) <= 32
                    and 1 <= len(command.get("description", "")) <= 256):  # fmt: skip
                return _fail(400, "Bad Request: BOT_COMMAND_INVALID")
        return True

    async def _api_setWebhook(self, fields: dict[str, Any]) -> Any:
        self.webhook = fields
        return True

    async def _api_sendChatAction(self, fields: dict[str, Any]) -> Any:
        return True

    async def _api_answerCallbackQuery(self, fields: dict[str, Any]) -> Any:
        if fields.get("callback_query_id") in self.expired_queries:
            return _fail(400, "Bad Request: query is too old and response timeout expired or "
                              "query ID is invalid")  # fmt: skip
        return True

    async def _api_sendMessage(self, fields: dict[str, Any]) -> Any:
        chat_id = fields["chat_id"]
        if chat_id in self.slow_chats:
            await asyncio.sleep(self.slow_chats[chat_id])
        self.delivered.append(chat_id)
        message = {"message_id": next(self._message_ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                   "from": BOT_USER, "text": fields["text"]}  # fmt: skip
        if "reply_markup" in fields:
            message["reply_markup"] = fields["reply_markup"]
        return message


async def _fields(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    return {key: _decode(key, str(value)) for key, value in form.items()}


def _decode(key: str, value: str) -> Any:
    if key in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _fail(status: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description}
    return web.json_response(body, status=status)


# Builders of updates, as the Bot API sends them (ids and names are made up).
USER_ID = 100000001


def private_chat(chat_id: int = USER_ID) -> dict[str, Any]:
    """A private chat object."""
    return {"id": chat_id, "type": "private", "first_name": "Test"}


def message_update(text: str | None = None, *, chat: dict[str, Any] | None = None,
                   **extra: Any) -> dict[str, Any]:  # fmt: skip
    """A `message` update (text, or media given as keyword arguments)."""
    chat = chat or private_chat()
    sender = {"id": abs(chat["id"]), "is_bot": False, "first_name": "Test"}
    message = {"message_id": 1, "date": int(time.time()), "chat": chat, "from": sender, **extra}
    if text is not None:
        message["text"] = text
    return {"message": message}


def callback_update(data: str, *, chat_id: int = USER_ID, query_id: str = "q1") -> dict[str, Any]:
    """A button press on one of the bot's messages."""
    return {"callback_query": {
        "id": query_id, "chat_instance": "ci", "data": data,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Test"},
        "message": {"message_id": 1000, "date": int(time.time()), "chat": private_chat(chat_id),
                    "from": BOT_USER, "text": "…"},
    }}  # fmt: skip
