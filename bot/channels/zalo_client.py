"""A small async client for the Zalo Official Account Open API v3 and its OAuth v4 tokens.

Zalo refresh tokens are single-use: every refresh returns a new pair and kills the old refresh
token. The pair lives in a `bot.channels.zalo_tokens.TokenStore` every worker shares; each refresh
runs under the store's lock and re-reads the pair first, so a worker never sends a refresh token
another worker already used. The new pair is stored before it is used; if Zalo refuses the
refresh token the chain is marked broken (an OA admin must re-authorise the app and set a new
ZALO_REFRESH_TOKEN). Errors of the Open API come in-band (HTTP 200, `error` != 0): token errors
are refreshed once and retried, -230/-232/-227 mean Zalo will not deliver to that person.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Callable, Iterable

import httpx

from bot.channels.zalo_tokens import (
    FileTokenStore,
    TokenFile,
    Tokens,
    TokenStore,
    ZaloError,
    seed_of,
)
from bot.messages import Button
from bot.settings import ZaloSettings

log = logging.getLogger(__name__)

# Invalid (-216, and -124 as Zalo's ZNS API and several integrations report it) or expired (-220)
# access token: refresh once and retry. Zalo's table: docs.zaloplatforms.com/docs/OA/phu-luc/ma-loi
TOKEN_ERRORS = {-216, -220, -124}
# The person cannot be reached until they write again: -230 no interaction in the last 7 days,
# -232 no interaction or it expired, -227 the account is banned or inactive for over 45 days.
UNREACHABLE_ERRORS = {-230, -232, -227}
REFRESH_MARGIN = 300  # seconds: a send refreshes first when less than this is left
REFRESH_AHEAD = 3600  # seconds: the background check refreshes when less than this is left
MAX_TOKEN_AGE = 30 * 24 * 3600  # and at least monthly (refresh tokens die after 3 months)
RETRY_BROKEN = 600  # a refused refresh token is not sent again for this long
MAX_BUTTONS = 5
TIMEOUT = httpx.Timeout(10.0)

__all__ = ["TokenFile", "Tokens", "ZaloError", "seed_of", "ZaloClient", "message_body"]


class Unreachable(ZaloError):
    """Zalo will not deliver to this person until they write to the OA again."""


class ChainBroken(ZaloError):
    """Zalo refused the refresh token: an OA admin must re-authorise the app."""


class ZaloClient:
    """Sends customer-service messages and keeps the shared access token fresh."""

    def __init__(
        self,
        config: ZaloSettings,
        tokens: TokenStore | TokenFile,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Nothing is contacted until the first send; a bare `TokenFile` is locked with flock."""
        self.config = config
        self.store = tokens if isinstance(tokens, TokenStore) else FileTokenStore(
            tokens, config.refresh_token)  # fmt: skip
        self.http = http or httpx.AsyncClient(timeout=TIMEOUT)
        self.clock = clock

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.http.aclose()

    async def send_message(self, user_id: str, text: str, buttons: Iterable[Button] = ()) -> dict:
        """Send one CS message (≤ 2,000 characters); buttons send their payload back unseen.

        Returns:
            Zalo's `data`: `message_id`, `user_id`, `sent_time` and `quota`.

        Raises:
            Unreachable: Zalo will not deliver to this person (-230, -232, -227).
            ChainBroken: the refresh token was refused; nothing can be sent until re-authorised.
            ZaloError: Zalo refused the message (after one refresh for a token error).
            httpx.HTTPError: the network or Zalo's server failed.
        """
        body = message_body(user_id, text, buttons)
        token = await self.access_token()
        result = await self._post_message(token, body)
        if result.get("error") in TOKEN_ERRORS:
            log.info("zalo: access token refused (%s); refreshing once", result.get("error"))
            result = await self._post_message(await self.refresh(stale=token), body)
        code = result.get("error", 0)
        if code != 0:
            error = Unreachable if code in UNREACHABLE_ERRORS else ZaloError
            raise error(code, str(result.get("message", "")))
        return dict(result.get("data") or {})

    async def _post_message(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.config.openapi_base_url}/v3.0/oa/message/cs"
        response = await self.http.post(url, json=body, headers={"access_token": token})
        response.raise_for_status()
        return _json_object(response)

    async def access_token(self) -> str:
        """A valid access token: the shared one, refreshed first when it is about to expire."""
        tokens = self.store.load()  # re-read: another worker may have refreshed
        if tokens.access_token and not self._expiring(tokens):
            return tokens.access_token
        return await self.refresh(stale=tokens.access_token)

    async def refresh(self, *, stale: str) -> str:
        """Replace the access token `stale`, unless another worker already did."""
        return await self._refresh_if(
            lambda t: not t.access_token or t.access_token == stale or self._expiring(t)
        )

    async def ensure_fresh(self) -> bool:
        """Refresh when less than an hour is left or the pair is a month old (background)."""
        if not self._due(self.store.load()):
            return False
        await self._refresh_if(self._due)
        return True

    async def _refresh_if(self, due: Callable[[Tokens], bool]) -> str:
        async with self.store.lock():
            tokens = self.store.load()  # re-read under the lock: never re-send a used token
            if not due(tokens):
                return tokens.access_token
            return (await self._refresh_locked(tokens)).access_token

    def _expiring(self, tokens: Tokens) -> bool:
        return tokens.expires_at - self.clock() <= _margin(tokens, REFRESH_MARGIN)

    def _due(self, tokens: Tokens) -> bool:
        now = self.clock()
        return (not tokens.access_token
                or tokens.expires_at - now <= _margin(tokens, REFRESH_AHEAD, share=4)
                or now - tokens.refreshed_at >= MAX_TOKEN_AGE)  # fmt: skip

    async def _refresh_locked(self, tokens: Tokens) -> Tokens:
        broken = self.store.broken_at()
        if broken is not None and self.clock() - broken < RETRY_BROKEN:
            raise ChainBroken("chain_broken", "the refresh token was refused; re-authorise")
        url = f"{self.config.oauth_base_url}/v4/oa/access_token"
        form = {"refresh_token": tokens.refresh_token, "app_id": self.config.app_id,
                "grant_type": "refresh_token"}  # fmt: skip
        response = await self.http.post(
            url, data=form, headers={"secret_key": self.config.app_secret}
        )
        response.raise_for_status()
        result = _json_object(response)
        if not result.get("access_token") or not result.get("refresh_token"):
            reason = str(result.get("error_description") or result.get("error_name") or "no token")
            self.store.mark_broken(f"{result.get('error')}: {reason}", self.clock())
            log.error("zalo: the token chain is broken (refresh refused: %s); an OA admin must "
                      "re-authorise the app and set a new ZALO_REFRESH_TOKEN", reason)  # fmt: skip
            raise ChainBroken(result.get("error"), reason)
        now = self.clock()
        lifetime = _seconds(result.get("expires_in"))
        fresh = Tokens(str(result["access_token"]), str(result["refresh_token"]),
                       now + lifetime, tokens.seed, now)  # fmt: skip
        self.store.save(fresh)  # before anything uses it: the old refresh token is dead now
        return fresh


def _margin(tokens: Tokens, seconds: float, share: int = 10) -> float:
    """`seconds`, or a `share`-th of the token's lifetime when that is shorter (short tokens)."""
    lifetime = tokens.expires_at - tokens.refreshed_at
    return min(seconds, lifetime / share) if tokens.refreshed_at and lifetime > 0 else seconds


def message_body(user_id: str, text: str, buttons: Iterable[Button] = ()) -> dict[str, Any]:
    """The JSON of a CS message; buttons are `oa.query.hide` with the Rasa payload.

    A pressed `oa.query.hide` button sends its payload to the webhook like a typed message, but the
    person's chat does not show it (`oa.query.show` would post `/ask_scam{...}` as their own
    message). Both kinds: zaloplatform/zalo-php-sdk `MessageBuilder::buildActionQueryHide`,
    ZaloDotNetSDK `QueryHideButton`.
    """
    message: dict[str, Any] = {"text": text}
    shown = [{"type": "oa.query.hide", "title": b.title, "payload": b.payload}
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
