"""Login throttling without an oracle: back-off per address, per account and in total.

A hard lock after a few failures let anyone lock a counsellor out, and answered differently while
locked, so the right password could be told from a wrong one. Instead:

- every failed attempt counts, including those refused because of a back-off;
- a key that failed too often must wait, twice as long after each further failure, up to
  `DONGHANH_LOCKOUT_MINUTES`: the address (`DONGHANH_LOGIN_FAILURES_PER_ADDRESS`), the account
  name (`DONGHANH_MAX_FAILED_LOGINS`, any name, existing or not) and everyone together
  (`DONGHANH_LOGIN_FAILURES_PER_MINUTE`, failures without a one-minute pause);
- a browser where an account logged in before carries a signed *device cookie* for it; there the
  account's and the global back-off do not apply (an attacker elsewhere cannot lock the counsellor
  out of her own browser), only the device's own;
- while a key waits, the password is not even checked, and the answer is the same whatever the
  account or password (429); otherwise a wrong password, an unknown name and a disabled account
  get the same 401.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

from bot.limits import Backoff, client_address
from bot.settings import Settings

DEVICE_COOKIE = "donghanh_device"
DEVICE_DAYS = 30
MAX_DEVICE_ACCOUNTS = 8
GLOBAL_WINDOW_SECONDS = 60.0


@dataclass
class Attempt:
    """One login attempt: the keys it counts under."""

    address: str
    account: str
    device: str | None  # the device id, when the browser holds a device cookie for the account

    def limits(self) -> list[tuple[str, str]]:
        """(kind, key) of each back-off this attempt is subject to."""
        if self.device is not None:
            return [("device", f"device:{self.device}")]
        return [("address", f"addr:{self.address}"), ("account", f"acct:{self.account}"),
                ("global", "all")]  # fmt: skip


class LoginThrottle:
    """The back-offs of the login form and the device cookie."""

    def __init__(self, settings: Settings, secret: str, *, clock: Any = None) -> None:
        """Back-offs in Redis when `REDIS_URL` is set (shared by workers), else in memory."""
        console = settings.console
        client = None
        if settings.redis_url:
            from redis.asyncio import Redis

            client = Redis.from_url(settings.redis_url)
        ceiling = console.lockout_minutes * 60.0
        shared: dict[str, Any] = {"client": client, "prefix": f"{settings.redis_key_prefix}login:"}
        if clock is not None:
            shared["clock"] = clock
        self.backoff = Backoff(ceiling=ceiling, **shared)
        self.global_backoff = Backoff(base=1.0, ceiling=GLOBAL_WINDOW_SECONDS, **shared)
        self.allowed = {
            "address": console.login_failures_per_address,
            "account": console.max_failed_logins,
            "device": console.max_failed_logins,
            "global": console.login_failures_per_minute,
        }
        self.settings = settings
        self.signer = TimestampSigner(secret, salt="donghanh-device")
        self._account_key = hmac.new(secret.encode(), b"login-account", hashlib.sha256).digest()

    def attempt(self, request: Request, username: str) -> Attempt:
        """The keys of an attempt to log in as `username` from this request."""
        headers = {k: v for k, v in request.headers.items()}
        address = client_address(
            (request.client.host, request.client.port) if request.client else None,
            headers,
            self.settings.limits,
        )
        account = hmac.new(self._account_key, username.lower().encode(), hashlib.sha256)
        return Attempt(address, account.hexdigest()[:32], self.devices(request).get(username))

    async def wait(self, attempt: Attempt) -> float:
        """Seconds this attempt must wait (0: the password may be checked)."""
        waits = [await self._backoff(kind).wait(key, self.allowed[kind])
                 for kind, key in attempt.limits()]  # fmt: skip
        return max(waits, default=0.0)

    async def failed(self, attempt: Attempt) -> None:
        """Count a failure (or an attempt refused while waiting) under every key."""
        for kind, key in attempt.limits():
            await self._backoff(kind).fail(key)

    async def succeeded(self, attempt: Attempt) -> None:
        """Forget the account's, the device's and the address's failures (not the global ones)."""
        for kind, key in attempt.limits():
            if kind != "global":
                await self.backoff.clear(key)

    def _backoff(self, kind: str) -> Backoff:
        return self.global_backoff if kind == "global" else self.backoff

    # The device cookie ----------------------------------------------------------------------------
    def devices(self, request: Request) -> dict[str, str]:
        """username: device id, from this browser's valid device cookie (empty if none)."""
        raw = request.cookies.get(DEVICE_COOKIE)
        if not raw:
            return {}
        try:
            value = self.signer.unsign(raw, max_age=DEVICE_DAYS * 86400)
            found = json.loads(value)
        except (BadSignature, ValueError):
            return {}
        if not isinstance(found, dict):
            return {}
        return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}

    def remember_device(self, request: Request, response: Response, username: str) -> None:
        """Give this browser a device cookie for `username` (kept with up to 7 other accounts)."""
        devices = self.devices(request)
        devices.pop(username, None)
        devices[username] = secrets.token_urlsafe(12)
        kept = dict(list(devices.items())[-MAX_DEVICE_ACCOUNTS:])
        value = self.signer.sign(json.dumps(kept, separators=(",", ":"))).decode()
        response.set_cookie(
            DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, path="/console", httponly=True,
            secure=self.settings.console.cookie_secure, samesite="strict",
        )  # fmt: skip


def retry_after(seconds: float) -> str:
    """The Retry-After header value for a wait."""
    return str(max(1, math.ceil(seconds)))
