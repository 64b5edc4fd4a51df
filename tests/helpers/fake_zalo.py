"""A local fake of Zalo's Open API (CS messages) and OAuth v4 (token refresh), on 127.0.0.1.

Point the bot at it with `ZALO_OPENAPI_BASE_URL=fake.url` and `ZALO_OAUTH_BASE_URL=fake.url`.
Like Zalo, it reports errors in-band (HTTP 200, `error` != 0) and its refresh tokens are
single-use. `signed(...)` builds a webhook request the way Zalo signs it.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from typing import Any, Callable

from aiohttp import web

APP_ID = "1234567890123456789"
APP_SECRET = "app-secret-for-tests"
OA_SECRET_KEY = "oa-secret-key-for-tests"
FIRST_REFRESH_TOKEN = "rt-0"
MAX_TEXT = 2000


class FakeZalo:
    """The fake server; `messages` are the accepted CS bodies, `refreshes` the OAuth forms."""

    def __init__(self) -> None:
        self.access_tokens: set[str] = set()
        self.refresh_tokens = {FIRST_REFRESH_TOKEN}
        self.messages: list[dict[str, Any]] = []
        self.refreshes: list[dict[str, str]] = []
        self.refused: list[int] = []
        self._ids = itertools.count(1)
        self._token_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Listen on 127.0.0.1 (random port); return the base URL."""
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._message)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far becomes invalid (Zalo answers -216)."""
        self.access_tokens.clear()

    async def wait_until(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `check()` is true (fails the test after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the fake Zalo server")
            await asyncio.sleep(0.02)

    async def _message(self, request: web.Request) -> web.Response:
        if request.headers.get("access_token") not in self.access_tokens:
            self.refused.append(-216)
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        body = await request.json()
        user = (body.get("recipient") or {}).get("user_id")
        text = (body.get("message") or {}).get("text")
        if not isinstance(user, str) or not isinstance(text, str) or len(text) > MAX_TEXT:
            self.refused.append(-201)
            return web.json_response({"error": -201, "message": "Parameters are invalid"})
        self.messages.append(body)
        data = {"message_id": f"m{next(self._ids)}", "user_id": user,
                "quota": {"quota_type": "reply", "remain": "7", "total": "8"}}  # fmt: skip
        return web.json_response({"error": 0, "message": "Success", "data": data})

    async def _refresh(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.refreshes.append(form)
        valid = (request.headers.get("secret_key") == APP_SECRET and form.get("app_id") == APP_ID
                 and form.get("grant_type") == "refresh_token"
                 and form.get("refresh_token") in self.refresh_tokens)  # fmt: skip
        if not valid:
            return web.json_response({"error": -14014, "error_name": "Invalid parameter",
                                      "error_description": "Invalid refresh token"})  # fmt: skip
        self.refresh_tokens.discard(form["refresh_token"])  # single-use
        n = next(self._token_ids)
        access, refresh = f"at-{n}", f"rt-{n}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return web.json_response({"access_token": access, "refresh_token": refresh,
                                  "expires_in": "90000"})  # fmt: skip


def event(name: str, user_id: str, *, text: str | None = None, msg_id: str | None = None,
          timestamp_ms: int | None = None) -> dict[str, Any]:  # fmt: skip
    """A webhook event body as Zalo sends it (the timestamp is a string of unix ms)."""
    body: dict[str, Any] = {"app_id": APP_ID, "user_id_by_app": "7000000000000000001",
                            "event_name": name, "sender": {"id": user_id},
                            "recipient": {"id": "5000000000000000001"},
                            "timestamp": str(timestamp_ms or int(time.time() * 1000))}  # fmt: skip
    if text is not None or msg_id is not None:
        body["message"] = {"msg_id": msg_id or f"msg{time.monotonic_ns()}", "text": text or ""}
    return body


def signed(
    body: dict[str, Any] | bytes, *, secret: str = OA_SECRET_KEY
) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of a webhook request, signed the way Zalo does."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    timestamp = json.loads(raw)["timestamp"]
    mac = hashlib.sha256(APP_ID.encode() + raw + str(timestamp).encode() + secret.encode())
    headers = {"content-type": "application/json", "X-ZEvent-Signature": f"mac={mac.hexdigest()}"}
    return raw, headers
