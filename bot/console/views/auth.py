"""Log in and out: argon2 passwords, lockout after repeated failures, session rotation."""

from __future__ import annotations

from datetime import timedelta

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

MAX_USERNAME = 64
MAX_PASSWORD = 256


async def login_page(request: Request) -> Response:
    """The login form (or the queue when already logged in)."""
    state = request.app.state.console
    if current_operator(request, state.store) is not None:
        return RedirectResponse(request.url_for("queue").path, status_code=303)
    return state.render(request, "login.html")


async def login(request: Request) -> Response:
    """Check the password; a wrong one counts towards the lockout."""
    state = request.app.state.console
    form = await read_form(request, state.settings.max_body_bytes)
    check_csrf(request, form)
    username = form.get("username", "").strip()
    password = form.get("password", "")
    if not username or len(username) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        return state.render(request, "login.html", 400, error="bad_input")
    found = state.store.operator(username)
    ok = verify_password(found[1] if found else None, password)
    if found is None:
        return state.render(request, "login.html", 401, error="wrong")
    operator = found[0]
    locked = operator.locked_until is not None and operator.locked_until > state.now()
    if not ok:  # answered as for an unknown name: a lock or a disabled account is not revealed
        if locked:
            state.store.audit(username, "login_locked")
        else:
            console = state.settings.console
            now_locked = state.store.login_failed(
                username,
                max_failures=console.max_failed_logins,
                lockout=timedelta(minutes=console.lockout_minutes),
            )
            state.store.audit(username, "login_failed", detail="locked" if now_locked else "")
        return state.render(request, "login.html", 401, error="wrong")
    if not operator.active:
        return state.render(request, "error.html", 403, reason="disabled")
    if locked:
        state.store.audit(username, "login_locked")
        return state.render(request, "login.html", 429, error="locked", until=operator.locked_until)
    state.store.login_succeeded(username)
    start_session(request, operator)
    state.store.audit(username, "login")
    return RedirectResponse(request.url_for("queue").path, status_code=303)


@guarded()
async def logout(ctx: Ctx) -> Response:
    """End every session of this operator."""
    state = ctx.request.app.state.console
    state.store.end_sessions(ctx.operator.username)
    state.store.audit(ctx.operator.username, "logout")
    ctx.request.session.clear()
    return RedirectResponse(ctx.request.url_for("login").path, status_code=303)
