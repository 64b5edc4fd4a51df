"""A local fake of Zalo's Open API (CS messages) and OAuth v4 (token refresh), on 127.0.0.1.

Point the bot at it with `ZALO_OPENAPI_BASE_URL=fake.url` and `ZALO_OAUTH_BASE_URL=fake.url`.
It behaves as Zalo documents (docs.zaloplatforms.com, quoted in the README's *Platforms*):

- errors in-band (HTTP 200, `error` != 0);
- access tokens live `expires_in` seconds (a string, "90000" = 25 h): -220 once expired, -216 for
  one never issued or revoked; refresh tokens live 3 months and are single-use: a reused one is
  refused (error -14014) and recorded in `reused`;
- each person may get `free_replies` free replies per interaction, within 48 h of it; the answer
  carries `quota` ({"quota_type": "reply", "remain", "total"} while they last); later messages
  are charged (`quota_type` "sub_quota", recorded in `charged`); after 7 days without
  interaction a send is refused with -230;
- what the person sees is kept per person in `seen`: the OA's messages, and the payload of a
  pressed `oa.query.show` button posted as their own message (`oa.query.hide` posts nothing).

`signed(...)` builds a webhook request the way Zalo signs it.
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
REFRESH_LIFETIME = 90 * 24 * 3600  # "3 tháng"
FREE_WINDOW = 48 * 3600
REACH_WINDOW = 7 * 24 * 3600


class FakeZalo:
    """The fake server; `messages` are the accepted CS bodies, `refreshes` the OAuth forms."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        expires_in: int = 90000,
        free_replies: int = 8,
        revoke_on_refresh: bool = False,
    ) -> None:
        self.clock = clock
        self.expires_in = expires_in
        self.free_replies = free_replies
        self.revoke_on_refresh = revoke_on_refresh
        self.access_tokens: dict[str, float] = {}  # token: expires at
        self.refresh_tokens: dict[str, float] = {FIRST_REFRESH_TOKEN: clock() + REFRESH_LIFETIME}
        self.used_refresh_tokens: set[str] = set()
        self.reused: list[str] = []
        self.messages: list[dict[str, Any]] = []
        self.refreshes: list[dict[str, str]] = []
        self.refused: list[int] = []
        self.charged: list[dict[str, Any]] = []
        self.interactions: dict[str, float] = {}  # user: last interaction
        self.replies: dict[str, int] = {}  # user: replies since it
        self.seen: dict[str, list[str]] = {}  # user: what their chat shows
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

    def saw(self, body: dict[str, Any]) -> None:
        """A webhook event the person caused: an interaction (their reply window restarts)."""
        user = (body.get("sender") or body.get("follower") or {}).get("id")
        if str(body.get("event_name", "")).startswith(("user_send", "follow")) and user:
            self.interactions[str(user)] = self.clock()
            self.replies[str(user)] = 0
            text = (body.get("message") or {}).get("text")
            if body.get("event_name") == "user_send_text" and text and not body.get("_hidden"):
                self.seen.setdefault(str(user), []).append(f"> {text}")

    def press(self, user: str, title: str) -> dict[str, Any]:
        """The person taps a button of the OA's last message to them: the event Zalo sends.

        An `oa.query.show` button also posts its payload in the person's chat; `oa.query.hide`
        sends it to the webhook only.
        """
        last = [m for m in self.messages if m["recipient"]["user_id"] == user][-1]
        buttons = last["message"]["attachment"]["payload"]["buttons"]
        [button] = [b for b in buttons if b["title"] == title]
        body = event("user_send_text", user, text=button["payload"])
        if button["type"] == "oa.query.hide":
            body["_hidden"] = True
        return body

    async def wait_until(self, check: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `check()` is true (fails the test after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the fake Zalo server")
            await asyncio.sleep(0.02)

    def _refuse(self, code: int, message: str) -> web.Response:
        self.refused.append(code)
        return web.json_response({"error": code, "message": message})

    async def _message(self, request: web.Request) -> web.Response:
        expires = self.access_tokens.get(request.headers.get("access_token", ""))
        if expires is None:
            return self._refuse(-216, "Access token is invalid")
        if expires <= self.clock():
            return self._refuse(-220, "access_token is expired or removed")
        body = await request.json()
        user = (body.get("recipient") or {}).get("user_id")
        text = (body.get("message") or {}).get("text")
        if not isinstance(user, str) or not isinstance(text, str) or len(text) > MAX_TEXT:
            return self._refuse(-201, "Parameters are invalid")
        since = self.clock() - self.interactions.get(user, self.clock())
        if since > REACH_WINDOW:
            return self._refuse(-230, "User has not interacted with the OA in the past 7 days")
        self.messages.append(body)
        self.seen.setdefault(user, []).append(text)
        return web.json_response({"error": 0, "message": "Success", "data": {
            "message_id": f"m{next(self._ids)}", "user_id": user,
            "sent_time": str(int(self.clock() * 1000)), "quota": self._quota(user, since, body),
        }})  # fmt: skip

    def _quota(self, user: str, since: float, body: dict[str, Any]) -> dict[str, str]:
        used = self.replies.get(user, 0)
        if since <= FREE_WINDOW and used < self.free_replies:
            self.replies[user] = used + 1
            return {"quota_type": "reply", "remain": str(self.free_replies - used - 1),
                    "total": str(self.free_replies)}  # fmt: skip
        self.charged.append(body)
        return {"quota_type": "sub_quota"}

    async def _refresh(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.refreshes.append(form)
        token = form.get("refresh_token", "")
        if token in self.used_refresh_tokens:
            self.reused.append(token)
        valid = (request.headers.get("secret_key") == APP_SECRET and form.get("app_id") == APP_ID
                 and form.get("grant_type") == "refresh_token"
                 and self.refresh_tokens.get(token, 0) > self.clock())  # fmt: skip
        if not valid:
            return web.json_response({"error": -14014, "error_name": "Invalid parameter",
                                      "error_description": "Invalid refresh token"})  # fmt: skip
        del self.refresh_tokens[token]  # single-use
        self.used_refresh_tokens.add(token)
        if self.revoke_on_refresh:
            self.access_tokens.clear()
        n = next(self._token_ids)
        access, refresh = f"at-{n}", f"rt-{n}"
        self.access_tokens[access] = self.clock() + self.expires_in
        self.refresh_tokens[refresh] = self.clock() + REFRESH_LIFETIME
        return web.json_response({"access_token": access, "refresh_token": refresh,
                                  "expires_in": str(self.expires_in)})  # fmt: skip


def event(name: str, user_id: str, *, text: str | None = None, msg_id: str | None = None,
          timestamp_ms: int | None = None,
          attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    """A webhook event body as Zalo sends it (the timestamp is a string of unix ms)."""
    body: dict[str, Any] = {"app_id": APP_ID, "user_id_by_app": "7000000000000000001",
                            "event_name": name, "sender": {"id": user_id},
                            "recipient": {"id": "5000000000000000001"},
                            "timestamp": str(timestamp_ms or int(time.time() * 1000))}  # fmt: skip
    if text is not None or msg_id is not None or attachments is not None:
        body["message"] = {"msg_id": msg_id or f"msg{time.monotonic_ns()}"}
        if text is not None or attachments is None:
            body["message"]["text"] = text or ""
        if attachments is not None:
            body["message"]["attachments"] = attachments
    return body


def signed(
    body: dict[str, Any] | bytes, *, secret: str = OA_SECRET_KEY
) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of a webhook request, signed the way Zalo does."""
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if not k.startswith("_")}  # test-only markers
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    timestamp = json.loads(raw)["timestamp"]
    mac = hashlib.sha256(APP_ID.encode() + raw + str(timestamp).encode() + secret.encode())
    headers = {"content-type": "application/json", "X-ZEvent-Signature": f"mac={mac.hexdigest()}"}
    return raw, headers
