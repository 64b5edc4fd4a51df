"""Log in and out: argon2 passwords, back-off after repeated failures, session rotation."""

from __future__ import annotations

import asyncio
import weakref
from datetime import datetime

import anyio
import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.console.security import (
    Ctx,
    check_csrf,
    current_operator,
    guarded,
    read_form,
    start_session,
    verify_password,
)
from bot.console.throttle import retry_after
from bot.storage.store import Store

MAX_USERNAME = 64
MAX_PASSWORD = 256
PASSWORD_CHECKS = 2  # argon2 checks at once (each takes one core for ~200 ms)


async def login_page(request: Request) -> Response:
    """The login form (or the queue when already logged in)."""
    state = request.app.state.console
    hours = state.settings.console.session_hours
    if await run_in_threadpool(current_operator, request, state.store, state.now(), hours=hours):
        return RedirectResponse(request.url_for("queue").path, status_code=303)
    return state.render(request, "login.html")


async def login(request: Request) -> Response:
    """Check the password, unless this address, account or browser must wait (see `throttle`).

    A wrong password, an unknown name and a disabled account get the same 401; any attempt while
    a back-off runs gets the same 429 without the password being checked, and counts. The
    argon2 check (~200 ms of CPU) and the database run in worker threads, never on the event
    loop, at most `PASSWORD_CHECKS` checks at once.
    """
    state = request.app.state.console
    form = await read_form(request, state.settings.max_body_bytes)
    check_csrf(request, form)
    username = form.get("username", "").strip()
    password = form.get("password", "")
    if not username or len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        return state.render(request, "login.html", 400, error="bad_input")
    throttle = state.throttle
    attempt = throttle.attempt(request, username)
    wait = await throttle.wait(attempt)
    if wait > 0:
        await throttle.failed(attempt)
        await run_in_threadpool(_audit_failure, state.store, username, "throttled")
        response = state.render(request, "login.html", 429, error="throttled")
        response.headers["retry-after"] = retry_after(wait)
        return response
    found = await run_in_threadpool(state.store.operator, username)
    ok = await check_password(found[1] if found else None, password)
    if found is None or not ok or not found[0].active:
        await throttle.failed(attempt)
        await run_in_threadpool(_audit_failure, state.store, username, "")
        return state.render(request, "login.html", 401, error="wrong")
    operator = found[0]
    await throttle.succeeded(attempt)
    await run_in_threadpool(_logged_in, state.store, username, state.now())
    start_session(request, operator, state.now())
    response = RedirectResponse(request.url_for("queue").path, status_code=303)
    throttle.remember_device(request, response, username)
    return response


async def check_password(password_hash: str | None, password: str) -> bool:
    """`verify_password` in a worker thread, at most `PASSWORD_CHECKS` at once."""
    return bool(
        await anyio.to_thread.run_sync(
            verify_password, password_hash, password, limiter=_password_limiter()
        )
    )


_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _password_limiter() -> anyio.CapacityLimiter:
    """One limiter per event loop (the server has one; tests start many)."""
    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = anyio.CapacityLimiter(PASSWORD_CHECKS)
    return limiter


def _audit_failure(store: Store, username: str, detail: str) -> None:
    """Count and audit a failure of an existing account (unknown names write nothing)."""
    if store.count_failed_login(username):
        store.audit(username, "login_failed", detail=detail)


def _logged_in(store: Store, username: str, now: datetime) -> None:
    store.login_succeeded(username)
    store.mark_active(username, now)
    store.audit(username, "login")


@guarded()
async def logout(ctx: Ctx) -> Response:
    """End every session of this operator."""
    state = ctx.request.app.state.console
    await run_in_threadpool(state.store.end_sessions, ctx.operator.username)
    await run_in_threadpool(state.store.audit, ctx.operator.username, "logout")
    ctx.request.session.clear()
    return RedirectResponse(ctx.request.url_for("login").path, status_code=303)
