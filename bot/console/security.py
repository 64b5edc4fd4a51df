"""Console security: passwords, the session, CSRF tokens, role checks and bounded form parsing.

The session is Starlette's signed cookie (itsdangerous; HttpOnly, SameSite=Lax, Secure unless
DONGHANH_COOKIE_SECURE=false). It holds the username, a random session id rotated at login, the
CSRF token, the login time and the account's `session_version`: every request re-reads the
account, so disabling it or logging out (which bumps the version) ends its sessions at once, even
for stolen cookies. A session ends `DONGHANH_SESSION_HOURS` after login however busy it is (the
cookie itself is renewed by every response, so a polling tab would otherwise never log out).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.storage.models import ROLES
from bot.storage.store import OperatorView, Store

HASHER = PasswordHasher()
MAX_FIELDS = 16
FORM_TYPE = "application/x-www-form-urlencoded"


class ConsoleError(Exception):
    """A refusal shown as the error page: HTTP status and a reason key the template words."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def hash_password(password: str) -> str:
    """An argon2id hash."""
    return HASHER.hash(password)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no account, burn the same time so names cannot be probed."""
    try:
        return HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def session_secret(key: bytes) -> str:
    """The cookie-signing secret, derived from the project's secret key."""
    return hmac.new(key, b"console-session", hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def start_session(request: Request, operator: OperatorView, now: datetime) -> None:
    """Log in: a new session id and CSRF token, nothing kept from before; the login time."""
    request.session.clear()
    request.session.update(
        {
            "user": operator.username,
            "v": operator.session_version,
            "sid": secrets.token_urlsafe(16),
            "csrf": secrets.token_urlsafe(32),
            "iat": now.timestamp(),
        }
    )


def current_operator(
    request: Request, store: Store, now: datetime | None = None, *, hours: int = 12
) -> OperatorView | None:
    """The logged-in, active operator whose session is still valid, or None.

    With `now`, a session older than `hours` (from its login) has ended, however active it was.
    """
    username = request.session.get("user")
    if not isinstance(username, str):
        return None
    found = store.operator(username)
    if found is None:
        return None
    operator = found[0]
    if not operator.active or operator.session_version != request.session.get("v"):
        raise ConsoleError(403, "disabled" if not operator.active else "session_ended")
    if now is not None and _expired(request.session.get("iat"), now, hours):
        raise ConsoleError(403, "session_ended")
    return operator


def _expired(issued: Any, now: datetime, hours: int) -> bool:
    if not isinstance(issued, (int, float)) or isinstance(issued, bool):
        return True
    return now.timestamp() - float(issued) >= timedelta(hours=hours).total_seconds()


def authenticate(request: Request, store: Store, now: datetime, hours: int) -> OperatorView | None:
    """`current_operator`, and note the operator's activity (`Store.mark_active`)."""
    operator = current_operator(request, store, now, hours=hours)
    if operator is not None:
        store.mark_active(operator.username, now)
    return operator


async def read_form(request: Request, max_bytes: int) -> dict[str, str]:
    """A small urlencoded form; too large (413), other types (415) and malformed (400) refused."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise ConsoleError(415, "unsupported")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        raise ConsoleError(413, "too_large")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise ConsoleError(413, "too_large")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=MAX_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConsoleError(400, "bad_input") from exc
    form = dict(pairs)
    if len(form) != len(pairs) or any("\x00" in v for v in form.values()):
        raise ConsoleError(400, "bad_input")
    return form


def check_csrf(request: Request, form: dict[str, str]) -> None:
    """Refuse a form whose token is missing or not this session's (403)."""
    expected = request.session.get("csrf")
    given = form.get("csrf_token", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), given.encode()):
        raise ConsoleError(403, "csrf")


def field(form: dict[str, str], name: str, *, max_chars: int, required: bool = True) -> str:
    """One stripped text field within its length limit (400 otherwise)."""
    value = form.get(name, "").strip()
    if (required and not value) or len(value) > max_chars:
        raise ConsoleError(400, "bad_input")
    return value


@dataclass
class Ctx:
    """What a view gets: the request, the operator and the posted form (empty for GET)."""

    request: Request
    operator: OperatorView
    form: dict[str, str]


View = Callable[[Ctx], Awaitable[Response]]


def guarded(*, roles: tuple[str, ...] = ROLES, json: bool = False) -> Callable[[View], Any]:
    """Require a valid session and one of `roles`; POSTs also need a form with a valid CSRF token.

    Without a session an HTML GET is redirected to the login page; anything else gets 401.
    """

    def decorate(view: View) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(view)
        async def endpoint(request: Request) -> Response:
            state = request.app.state.console
            hours = state.settings.console.session_hours
            operator = await run_in_threadpool(
                authenticate, request, state.store, state.now(), hours
            )
            if operator is None:
                if request.method == "GET" and not json:
                    raise ConsoleError(303, "login_required")
                raise ConsoleError(401, "login_required")
            form: dict[str, str] = {}
            if request.method == "POST":
                form = await read_form(request, state.settings.max_body_bytes)
                check_csrf(request, form)
            request.state.operator = operator
            if operator.role not in roles:
                raise ConsoleError(403, "forbidden")
            return await view(Ctx(request, operator, form))

        return endpoint

    return decorate
