"""A small async client for the Zalo Official Account Open API v3 and its OAuth v4 tokens.

Zalo refresh tokens are single-use: every refresh returns a new pair and kills the old refresh
token. So refreshes run one at a time (an asyncio.Lock) and the new pair is written to disk
(atomically, mode 0600) before it is used; if the chain breaks, an OA admin must re-authorise the
app and set a new ZALO_REFRESH_TOKEN. Errors of the Open API come in-band (HTTP 200, `error` != 0).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import httpx

from bot.messages import Button
from bot.settings import ZaloSettings

log = logging.getLogger(__name__)

TOKEN_ERRORS = {-216, -220}  # invalid / expired access token: refresh once and retry
REFRESH_MARGIN = 300  # seconds: refresh when less than this is left
MAX_BUTTONS = 5
TIMEOUT = httpx.Timeout(10.0)


class ZaloError(RuntimeError):
    """The Open API or OAuth refused a call; `code` is Zalo's error number."""

    def __init__(self, code: Any, message: str) -> None:
        super().__init__(f"Zalo error {code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Tokens:
    """An access token, the refresh token that goes with it, and when the access token expires."""

    access_token: str
    refresh_token: str
    expires_at: float
    seed: str  # a hash of the ZALO_REFRESH_TOKEN this chain started from


def seed_of(refresh_token: str) -> str:
    """A short hash of a configured refresh token (never the token itself)."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]


class TokenFile:
    """The current token pair on disk (`zalo_tokens.json` in the data folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, configured_refresh_token: str) -> Tokens:
        """The saved pair; the configured refresh token when there is none or it was replaced."""
        seed = seed_of(configured_refresh_token)
        try:
            saved = Tokens(**json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            saved = None
        except (ValueError, TypeError) as exc:
            raise ZaloError("token_file", f"{self.path} is unreadable ({exc})") from None
        if saved is None or saved.seed != seed:  # first start, or an admin re-authorised
            return Tokens("", configured_refresh_token, 0.0, seed)
        return saved

    def save(self, tokens: Tokens) -> None:
        """Write the pair atomically, readable by this user only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(tokens), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


class ZaloClient:
    """Sends customer-service messages and keeps the access token fresh."""

    def __init__(
        self,
        config: ZaloSettings,
        token_file: TokenFile,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Nothing is contacted until the first send."""
        self.config = config
        self.token_file = token_file
        self.http = http or httpx.AsyncClient(timeout=TIMEOUT)
        self.clock = clock
        self._lock = asyncio.Lock()
        self._tokens: Tokens | None = None

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.http.aclose()

    async def send_message(self, user_id: str, text: str, buttons: Iterable[Button] = ()) -> dict:
        """Send one CS message (≤ 2,000 characters); buttons send their payload back as text.

        Raises:
            ZaloError: Zalo refused the message (after one refresh for an expired token).
            httpx.HTTPError: the network or Zalo's server failed.
        """
        body = message_body(user_id, text, buttons)
        token = await self.access_token()
        result = await self._post_message(token, body)
        if result.get("error") in TOKEN_ERRORS:
            log.info("zalo: access token refused (%s); refreshing once", result.get("error"))
            result = await self._post_message(await self.refresh(stale=token), body)
        if result.get("error", 0) != 0:
            raise ZaloError(result.get("error"), str(result.get("message", "")))
        return dict(result.get("data") or {})

    async def _post_message(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.config.openapi_base_url}/v3.0/oa/message/cs"
        response = await self.http.post(url, json=body, headers={"access_token": token})
        response.raise_for_status()
        return _json_object(response)

    async def access_token(self) -> str:
        """A valid access token, refreshed first when less than 5 minutes are left."""
        async with self._lock:
            tokens = self._current()
            if tokens.access_token and tokens.expires_at - self.clock() > REFRESH_MARGIN:
                return tokens.access_token
            return (await self._refresh_locked(tokens)).access_token

    async def refresh(self, *, stale: str) -> str:
        """Replace the access token `stale` (unless another task already did)."""
        async with self._lock:
            tokens = self._current()
            if tokens.access_token and tokens.access_token != stale:
                return tokens.access_token
            return (await self._refresh_locked(tokens)).access_token

    def _current(self) -> Tokens:
        if self._tokens is None:
            self._tokens = self.token_file.load(self.config.refresh_token)
        return self._tokens

    async def _refresh_locked(self, tokens: Tokens) -> Tokens:
        url = f"{self.config.oauth_base_url}/v4/oa/access_token"
        form = {"refresh_token": tokens.refresh_token, "app_id": self.config.app_id,
                "grant_type": "refresh_token"}  # fmt: skip
        response = await self.http.post(
            url, data=form, headers={"secret_key": self.config.app_secret}
        )
        response.raise_for_status()
        result = _json_object(response)
        if not result.get("access_token") or not result.get("refresh_token"):
            log.error("zalo: token refresh refused; an OA admin may need to re-authorise the app")
            reason = result.get("error_description") or result.get("error_name") or "no token"
            raise ZaloError(result.get("error"), str(reason))
        lifetime = _seconds(result.get("expires_in"))
        fresh = Tokens(str(result["access_token"]), str(result["refresh_token"]),
                       self.clock() + lifetime, tokens.seed)  # fmt: skip
        self.token_file.save(fresh)  # before anything uses it: the old refresh token is dead now
        self._tokens = fresh
        return fresh


def message_body(user_id: str, text: str, buttons: Iterable[Button] = ()) -> dict[str, Any]:
    """The JSON of a CS message; buttons are `oa.query.show` with the Rasa payload."""
    message: dict[str, Any] = {"text": text}
    shown = [{"type": "oa.query.show", "title": b.title, "payload": b.payload}
             for b in list(buttons)[:MAX_BUTTONS]]  # fmt: skip
    if shown:
        message["attachment"] = {"type": "template", "payload": {"buttons": shown}}
    return {"recipient": {"user_id": user_id}, "message": message}


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        result = response.json()
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python allows
        raise ZaloError("bad_response", f"not JSON (HTTP {response.status_code})") from None
    if not isinstance(result, dict):
        raise ZaloError("bad_response", "not a JSON object")
    return result


def _seconds(value: Any) -> float:
    """`expires_in` (a string of seconds, 25 h today); one hour if Zalo sends something odd."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 3600.0
    return max(seconds, 0.0) if math.isfinite(seconds) else 3600.0  # "nan", "inf" are odd too
