"""The operator console as a Starlette app, mounted by the main app at /console.

Server-rendered pages (Jinja2, Vietnamese labels in the templates), one small script of our own
for live updates (polling a JSON endpoint), no third-party scripts, and a strict
Content-Security-Policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.console.security import ConsoleError, csrf_token, session_secret
from bot.console.throttle import LoginThrottle
from bot.console.views import auth, cases, queue, reports
from bot.pseudonym import load_key
from bot.report import topic_labels
from bot.settings import Settings
from bot.storage.store import Store

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


@dataclass
class ConsoleState:
    """What every view reaches through `request.app.state.console`."""

    store: Store
    handoff: Any
    settings: Settings
    env: Environment
    throttle: LoginThrottle

    def now(self) -> datetime:
        """The current time (the store's clock, so tests can move it)."""
        return self.store.clock()

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """Render a template with the common context (operator, CSRF token, paths)."""
        html = self.env.get_template(name).render(
            request=request,
            csrf_token=csrf_token(request),
            now=self.now(),
            operator=getattr(request.state, "operator", None),
            **context,
        )
        return HTMLResponse(html, status_code=status)


class SecurityHeaders:
    """Adds the security headers to every response of the console."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through, adding headers to the response start."""

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.decode().lower() for k, _ in headers}
                headers += [
                    (k.encode(), v.encode()) for k, v in HEADERS.items() if k not in present
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def make_env(settings: Settings) -> Environment:
    """The Jinja environment with the filters the templates use."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
    )
    zone = ZoneInfo(settings.console.timezone)
    env.filters["local"] = lambda t, fmt="%d/%m/%Y %H:%M": (
        t.astimezone(zone).strftime(fmt) if isinstance(t, datetime) else ""
    )
    env.filters["epoch"] = lambda s: datetime.fromtimestamp(float(s), timezone.utc) if s else None
    env.filters["minutes"] = lambda d: int(d.total_seconds() // 60)
    env.globals["path"] = lambda request, name, **params: request.url_for(name, **params).path
    env.globals["TOPICS"] = topic_labels()  # the content's title of each topic, read once
    return env


async def console_error(request: Request, exc: Exception) -> Response:
    """Every refusal: a redirect to the login page, JSON for the live endpoints, else a page."""
    assert isinstance(exc, ConsoleError)
    state: ConsoleState = request.app.state.console
    if exc.status == 303:
        return RedirectResponse(request.url_for("login").path, status_code=303)
    if request.url.path.endswith(".json"):
        return JSONResponse({"error": exc.reason}, status_code=exc.status)
    if exc.reason in ("disabled", "session_ended"):
        request.session.clear()
    return state.render(request, "error.html", exc.status, reason=exc.reason)


async def not_found(request: Request, exc: Exception) -> Response:
    """Unknown paths and cases get the same clear page."""
    return await console_error(request, ConsoleError(404, "not_found"))


def routes() -> list[Route | Mount]:
    """Every route of the console (the tests walk this list)."""
    return [
        Route("/", queue.home, name="home"),
        Route("/login", auth.login_page, name="login", methods=["GET"]),
        Route("/login", auth.login, name="login_post", methods=["POST"]),
        Route("/logout", auth.logout, name="logout", methods=["POST"]),
        Route("/queue", queue.queue_page, name="queue"),
        Route("/queue.json", queue.queue_json, name="queue_json"),
        Route("/supervisor", queue.supervisor, name="supervisor"),
        Route("/audit", queue.audit_page, name="audit"),
        Route("/cases/{case_id:int}", cases.case_page, name="case"),
        Route(
            "/cases/{case_id:int}/transcript.json", cases.transcript_json, name="transcript_json"
        ),
        Route("/cases/{case_id:int}/claim", cases.claim, name="claim", methods=["POST"]),
        Route("/cases/{case_id:int}/reply", cases.reply, name="reply", methods=["POST"]),
        Route("/cases/{case_id:int}/note", cases.note, name="note", methods=["POST"]),
        Route("/cases/{case_id:int}/handback", cases.hand_back, name="handback", methods=["POST"]),
        Route("/cases/{case_id:int}/resolve", cases.resolve, name="resolve", methods=["POST"]),
        Route("/cases/{case_id:int}/block", cases.block, name="block", methods=["POST"]),
        Route("/cases/{case_id:int}/unblock", cases.unblock, name="unblock", methods=["POST"]),
        Route("/report", reports.report_page, name="report"),
        Route("/report.csv", reports.report_csv, name="report_csv"),
        Route("/report.html", reports.report_html, name="report_html"),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_console(store: Store, handoff: Any, settings: Settings) -> Starlette:
    """The console app; mount it at /console.

    Args:
        store: the application database.
        handoff: `bot.handoff.Handoff` (claim, reply, hand back, resolve, transcripts).
        settings: the process settings (console section, body limit, secret key).
    """
    key = load_key(settings.secret_key, settings.data_dir, production=settings.production)
    secret = session_secret(key)
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie="donghanh_console",
            max_age=settings.console.session_hours * 3600,
            same_site="lax",
            https_only=settings.console.cookie_secure,
        ),
    ]
    app = Starlette(
        routes=routes(),
        middleware=middleware,
        exception_handlers={ConsoleError: console_error, 404: not_found, 405: console_error_405},
    )
    throttle = LoginThrottle(settings, secret, clock=lambda: store.clock().timestamp())
    app.state.console = ConsoleState(store, handoff, settings, make_env(settings), throttle)
    return app


async def console_error_405(request: Request, exc: Exception) -> Response:
    """A wrong method gets the error page too."""
    return await console_error(request, ConsoleError(405, "bad_method"))
