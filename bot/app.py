"""The ASGI app: every enabled channel in one Starlette application, served by `donghanh run`.

The web chat is always on; Telegram joins when `TELEGRAM_BOT_TOKEN` is set, Zalo when its keys are
set (`bot.channels.CHANNELS`, each channel's `enabled`). PTB's application starts and stops in the
app's lifespan, on the same event loop as the HTTP server and the Rasa agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Iterable, cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels import CHANNELS, Channel
from bot.settings import Settings

log = logging.getLogger(__name__)


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413 before any endpoint reads them.

    The body is read (up to the cap) and replayed to the endpoint, so a chunked body without a
    Content-Length is capped as well.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then buffer and count the body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit():
            await _refuse(scope, receive, send, 400, "invalid Content-Length")
            return
        if int(declared) > self.max_bytes:
            await _refuse(scope, receive, send, 413, "request body too large")
            return
        body = await self._read(receive)
        if body is None:
            await _refuse(scope, receive, send, 413, "request body too large")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # the client left; the endpoint will see the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    await JSONResponse({"error": detail}, status_code=status)(scope, receive, send)


def build_channels(settings: Settings, core: Any) -> list[Channel]:
    """One instance of every channel the settings enable."""
    return [cls(settings, core) for cls in CHANNELS.values() if cls.enabled(settings)]


def model_name(core: Any) -> str | None:
    """The file name of the model the core's agent runs (None if it has none)."""
    engine = getattr(core, "engine", None)
    return engine.model_name if engine is not None else None


def _unavailable_errors() -> tuple[type[Exception], ...]:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import InterfaceError, OperationalError

    from bot.engine.conversations import unavailable_errors

    return (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError,
            *unavailable_errors())  # fmt: skip


UNAVAILABLE = _unavailable_errors()
KEEP_ALIVE_SECONDS = 75  # idle keep-alive of `donghanh run` (uvicorn's default is 5)


async def unavailable(request: Request, exc: Exception) -> Response:
    """503 while the database or Redis is down: nothing half-done, the client may retry.

    The message's turn is not saved (Rasa saves the tracker at the end of a turn), so a retry with
    the same message id is answered once; the platforms retry webhooks on their own.
    """
    log.error("storage unavailable (%s): answering 503", type(exc).__name__)
    body = {"error": "temporarily unavailable, retry shortly; in danger call 111"}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


def create_app(
    settings: Settings,
    core: Any,
    *,
    extra_routes: Iterable[BaseRoute] = (),
    background: Iterable[Any] = (),
) -> Starlette:
    """The ASGI app: the enabled channels' routes, `/health`, and `extra_routes` (the console).

    Args:
        settings: the process's settings (which channels, body cap, base URLs).
        core: the conversation core (`bot.core.Core`, or a test double with `async handle`).
        extra_routes: more routes to serve from the same app.
        background: objects with `start()` and `async stop()` run for the app's lifetime
            (the handoff's claim-timeout check).
    """
    channels = build_channels(settings, core)
    for channel in channels:
        if channel.can_push:  # the core seals addresses only for these (Core.deliver)
            core.register_sender(channel)

    async def health(request: Request) -> Response:
        names = [c.name for c in channels]
        return JSONResponse({"status": "ok", "model": model_name(core), "channels": names})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started: list[Channel] = []
        running: list[Any] = []
        try:
            for channel in channels:
                await channel.start()
                started.append(channel)
            for task in background:
                task.start()
                running.append(task)
            yield
        finally:
            for task in reversed(running):
                await task.stop()
            for channel in reversed(started):
                await channel.stop()

    routes: list[BaseRoute] = [Route("/health", health, methods=["GET"])]
    routes += [route for channel in channels for route in channel.routes()]
    routes += list(extra_routes)
    middleware = [Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)]  # type: ignore[arg-type]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers=dict.fromkeys(UNAVAILABLE, unavailable))  # fmt: skip
    app.state.channels = {channel.name: channel for channel in channels}
    app.state.core = core
    return app


def settle_heap() -> None:
    """Take what was loaded at start out of the garbage collector's rounds (`gc.freeze`).

    The model, Rasa, TensorFlow and the content are over half a million objects that live as long
    as the process. Python's full collection walked all of them whenever enough new objects had
    piled up: a pause of ~300 ms every few thousand messages on this machine, during which every
    waiting person's answer was late (`make bench`, 20 people: p95 292 ms instead of ~130 ms in
    the round it struck). Frozen objects are still freed by reference counting; only the cycle
    search skips them. What is created while serving is collected as before.
    """
    gc.collect()
    gc.freeze()


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 8080, *, model_path: Path
) -> None:
    """Load the bot and serve every enabled channel until interrupted (`donghanh run`)."""
    import uvicorn
    from starlette.routing import Mount

    from bot import bootstrap
    from bot.console.app import create_console
    from bot.console.commands import first_run_hint
    from bot.storage.store import Store

    agent = bootstrap.load_bot_agent(settings, model_path)
    bot = bootstrap.build(settings, agent=agent)
    store = cast(Store, bot.store)  # serve always runs on the real database
    console = Mount("/console", app=create_console(store, bot.handoff, settings))
    app = create_app(settings, bot.core, extra_routes=[console], background=[bot.handoff])
    # httpx logs every request URL at INFO, and Telegram's URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    names = ", ".join(app.state.channels)
    base = f"http://{host}:{port}"
    print(f"Đồng Hành: {base}/ (channels: {names}); console: {base}/console", file=sys.stderr)
    hint = first_run_hint(store)
    if hint:
        print(hint, file=sys.stderr, flush=True)
    settle_heap()
    # No access log: it would keep every client's address.
    # Keep idle connections longer than a reverse proxy or client would (nginx: 60 s): with
    # uvicorn's 5 s, a busy worker closed connections just as clients reused them (ReadError).
    # Python's own event loop, not uvloop (installed with Rasa): it starts the requests that are
    # waiting in the order they became ready. Under uvloop the request that had waited longest
    # could be started last, a whole round of the queue late: with 20 people sending back to back
    # about one message in 19 took twice as long as the rest (`make bench`: worst 217-267 ms
    # against 137-161 ms; p95 121-147 against 106-144).
    uvicorn.Server(server_config(settings, app, host, port)).run()


def server_config(settings: Settings, app: Any, host: str, port: int) -> Any:
    """Uvicorn's configuration for `donghanh run` (see `serve`).

    A connection must send a whole request head within `DONGHANH_HEADER_TIMEOUT_SECONDS` (uvicorn
    has no such limit: a slow-loris client kept connections open for ever); over
    `DONGHANH_MAX_CONNECTIONS` connections or requests at once, new requests get 503. uvicorn
    logs through our handlers (`log_config=None`), so its tracebacks are printed as ours are,
    without exception messages (`bot.logs`).
    """
    import uvicorn
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    protocol = header_timeout_protocol(AutoHTTPProtocol, settings.server.header_timeout_seconds)
    return uvicorn.Config(
        app, host=host, port=port, ws="none", lifespan="on", access_log=False, log_config=None,
        timeout_keep_alive=KEEP_ALIVE_SECONDS, loop="asyncio", http=protocol,
        limit_concurrency=settings.server.max_connections,
    )  # fmt: skip


def header_timeout_protocol(base: type[Any], seconds: float) -> type[Any]:
    """`base` (uvicorn's HTTP protocol) closing a connection whose request head is late.

    The timer starts when a connection opens and when data starts a new request on a kept-alive
    one; it stops when the head is complete (uvicorn then starts a request cycle).
    """

    class HeaderTimeout(base):  # type: ignore[misc,valid-type]
        header_timeout = seconds
        _head_timer: asyncio.TimerHandle | None = None
        _head_cycle: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._start_head_timer()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._start_head_timer()
            super().data_received(data)
            if self._head_timer is not None and self.cycle is not self._head_cycle:
                self._head_timer.cancel()
                self._head_timer = None

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            super().connection_lost(exc)

        def _start_head_timer(self) -> None:
            self._head_cycle = self.cycle
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeout


def refuse_public_without_key(settings: Settings, host: str) -> None:
    """Refuse to serve on an address others can reach with a generated development key.

    Raises:
        MissingKey: `host` is not a loopback address and DONGHANH_SECRET_KEY is not set.
    """
    from bot.pseudonym import MissingKey

    if settings.secret_key or is_loopback(host):
        return
    raise MissingKey(
        f"DONGHANH_SECRET_KEY must be set to serve on {host} (a generated development key is "
        "only for 127.0.0.1)"
    )


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
