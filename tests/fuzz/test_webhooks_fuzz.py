"""Fuzz the webhooks in-process: random, truncated and mutated bodies never get a 5xx.

One app as `donghanh run` builds it (web chat, Telegram in webhook mode, Zalo, the console mounted
at /console), a fake core and local fakes of the Bot API and Zalo. Each endpoint gets `COUNT`
bodies from a seeded generator (the same bodies on every run): random bytes, recorded payloads cut
short, recorded payloads with bytes flipped, inserted or deleted, and with JSON nodes replaced by
hostile values (deep nesting, 5,000-digit numbers, lone surrogates, wrong types, huge strings).
Every answer must be 2xx or 4xx, no exception may escape or be logged, and a refused body must
leave no trace: nothing reaches the core, the update queue, Zalo's sender or the console's tables.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import httpx
import pytest
import pytest_asyncio
from starlette.routing import Mount

from bot.app import create_app
from bot.channels.base import BadPayload, parse_json
from bot.channels.telegram import SECRET_HEADER
from bot.channels.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.channels.zalo import SIGNATURE_HEADER, _timestamp, signature
from bot.channels.zalo import WEBHOOK_PATH as ZALO_PATH
from bot.console.app import create_console
from bot.settings import Settings
from tests.channels.fake_core import FakeCore
from tests.channels.test_zalo_client import zalo_env
from tests.console.conftest import csrf_of, make_world
from tests.helpers.fake_telegram import TOKEN, FakeBotAPI, callback_update, message_update
from tests.helpers.fake_zalo import APP_ID, OA_SECRET_KEY, FakeZalo, event

SEED = 20260601
SHARE = 10 if os.environ.get("DONGHANH_TEST_FAST") == "1" else 1  # `make test-fast`: a tenth
COUNT = {name: n // SHARE for name, n in {
    "rest": 1000, "telegram": 600, "telegram-no-secret": 300, "zalo-signed": 600,
    "zalo-unsigned": 300, "console-login": 400}.items()}  # fmt: skip
UPDATES = 300 // SHARE  # GET /webhooks/rest/updates with random query strings
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SECRET = "fuzz_secret-token"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HUGE = "__HUGE_NUMBER__"
HOSTILE: list[Any] = [
    None, True, False, 0, -1, 2**63, -(2**70), 1.5, 1e308, "", " ", "\x00", "\ud800", "\udfff",
    "a\u0301", "😀", "x" * 5_000, [], {}, [[[[[[]]]]]], {"id": {"id": {"id": 1}}}, HUGE,
    "/start " + "a" * 80, "/start@bot x", "#p:deadbeef", "user_send_text", "private", "-1",
]  # fmt: skip


def recorded(channel: str) -> list[Any]:
    return [json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((FIXTURES / channel).glob("*.json"))]  # fmt: skip


class Bodies:
    """A seeded source of hostile request bodies built from valid `samples`."""

    def __init__(self, seed: int, samples: list[Any]) -> None:
        self.rng = random.Random(seed)
        self.samples = samples

    def body(self) -> bytes:
        """One body: random bytes, or a sample truncated, byte-mutated or JSON-mutated."""
        kind = self.rng.choice(
            ["random", "truncated", "bytes", "json", "json", "json+bytes", "nest", "sample"]
        )
        if kind == "random":
            return self.rng.randbytes(self.rng.choice([0, 1, 2, 8, 64, 512, 4096]))
        if kind == "nest":
            depth = self.rng.choice([100, 1_000, 20_000])
            return self.rng.choice([b"[" * depth, b'{"a":' * depth, b"[" * depth + b"]" * depth])
        raw = self.dumps(self.mutate(self.rng.choice(self.samples)) if "json" in kind else
                         self.rng.choice(self.samples))  # fmt: skip
        if kind == "sample":
            return raw  # a valid body now and then, so the accepting paths run too
        if kind == "truncated":
            return raw[: self.rng.randrange(len(raw) + 1)]
        return self.flip(raw) if "bytes" in kind else raw

    def dumps(self, value: Any) -> bytes:
        text = json.dumps(value, ensure_ascii=self.rng.random() < 0.5)  # lone surrogates as \udXXX
        return text.replace(f'"{HUGE}"', "9" * 5_000).encode("utf-8", "surrogatepass")

    def mutate(self, document: Any) -> Any:
        """Replace or delete 1-3 nodes of a JSON document."""
        for _ in range(self.rng.randint(1, 3)):
            document = self._mutate_once(document)
        return document

    def _mutate_once(self, node: Any) -> Any:
        if isinstance(node, dict) and node and self.rng.random() < 0.75:
            key = self.rng.choice(list(node))
            copy = dict(node)
            if self.rng.random() < 0.2:
                del copy[key]
            else:
                copy[key] = self._mutate_once(node[key])
            return copy
        if isinstance(node, list) and node and self.rng.random() < 0.75:
            at = self.rng.randrange(len(node))
            return [*node[:at], self._mutate_once(node[at]), *node[at + 1 :]]
        return self.rng.choice(HOSTILE)

    def flip(self, raw: bytes) -> bytes:
        """Change, insert or delete a few bytes."""
        data = bytearray(raw)
        for _ in range(self.rng.randint(1, 4)):
            at = self.rng.randrange(len(data) + 1)
            action = self.rng.choice(["set", "insert", "delete", "dup"])
            if action == "set" and at < len(data):
                data[at] = self.rng.randrange(256)
            elif action == "insert":
                data[at:at] = self.rng.choice([b"\xff", b"\x00", b'"', b"{", b"]", b"\\u", b"\xc3"])
            elif action == "delete":
                del data[at : at + self.rng.randint(1, 8)]
            else:
                data[at:at] = data[at : at + self.rng.randint(1, 16)]
        return bytes(data)

    def content_type(self) -> str | None:
        return self.rng.choice([JSON] * 8 + [f"{JSON}; charset=utf-8", "text/plain", FORM, None])


@dataclass
class Served:
    """The running app and everything a fuzz run checks."""

    client: httpx.AsyncClient
    core: FakeCore
    app: Any
    world: Any
    zalo: FakeZalo
    queued: list[Any]


@pytest_asyncio.fixture(loop_scope="function")
async def served(settings: Settings, tmp_path: Path) -> AsyncIterator[Served]:
    bot_api, zalo = FakeBotAPI(), FakeZalo()
    await bot_api.start()
    await zalo.start()
    env = {
        **zalo_env(zalo.url, tmp_path),
        "DONGHANH_MODELS_DIR": str(settings.models_dir),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": bot_api.url,
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.vn" + TELEGRAM_PATH,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    configured = Settings.from_env(env)
    world = make_world(configured, tmp_path / "console")
    console = Mount("/console", app=create_console(world.store, world.handoff, world.settings))
    core = FakeCore()
    app = create_app(configured, core, extra_routes=[console])
    queue = app.state.channels["telegram"].app.update_queue
    queued: list[Any] = []
    put = queue.put

    async def counting_put(item: Any) -> None:
        queued.append(item)
        await put(item)

    queue.put = counting_put
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="https://t"
            ) as client:  # Secure cookie
                yield Served(client, core, app, world, zalo, queued)
    finally:
        await bot_api.stop()
        await zalo.stop()


def _rest_samples() -> list[Any]:
    return [{"sender": "fuzz-1", "message": "con tôi bị bắt nạt"},
            {"sender": "fuzz-2", "message": "/ask_hotline", "message_id": "m-1"},
            {"sender": " x ", "message": "", "metadata": {"a": 1}}]  # fmt: skip


def _telegram_samples() -> list[Any]:
    live = [message_update("chào"), message_update("/start abc"), callback_update("/ask_more")]
    return [{"update_id": i, **u} for i, u in enumerate(recorded("telegram") + live, start=1)]


def _zalo_samples() -> list[Any]:
    fresh = [event("user_send_text", "8000000000000000001", text="chào", msg_id="m1"),
             event("follow", "8000000000000000002")]  # fmt: skip
    now = str(int(time.time() * 1000))
    return [*({**e, "timestamp": now} for e in recorded("zalo")), *fresh]


def _zalo_headers(raw: bytes, signed: bool) -> dict[str, str]:
    if not signed:
        return {SIGNATURE_HEADER: random.Random(raw).choice(["", "mac=", "mac=" + "0" * 64])}
    try:  # the timestamp the webhook will read; without one it answers 400 before checking
        timestamp = _timestamp(parse_json(raw))
    except BadPayload:
        timestamp = ""
    return {SIGNATURE_HEADER: "mac=" + signature(APP_ID, raw, timestamp, OA_SECRET_KEY)}


def _login_samples() -> list[Any]:
    return [{"username": "ghost", "password": "x", "csrf_token": "t"},
            {"username": "a" * 70, "password": "", "csrf_token": ""}]  # fmt: skip


@dataclass
class Endpoint:
    path: str
    samples: Callable[[], list[Any]]
    headers: Callable[[bytes], dict[str, str]]


ENDPOINTS = {
    "rest": Endpoint("/webhooks/rest/webhook", _rest_samples, lambda raw: {}),
    "telegram": Endpoint(TELEGRAM_PATH, _telegram_samples, lambda raw: {SECRET_HEADER: SECRET}),
    "telegram-no-secret": Endpoint(
        TELEGRAM_PATH,
        _telegram_samples,
        lambda raw: random.Random(raw).choice([{}, {SECRET_HEADER: "wrong"}]),
    ),  # fmt: skip
    "zalo-signed": Endpoint(ZALO_PATH, _zalo_samples, lambda raw: _zalo_headers(raw, True)),
    "zalo-unsigned": Endpoint(ZALO_PATH, _zalo_samples, lambda raw: _zalo_headers(raw, False)),
    "console-login": Endpoint("/console/login", _login_samples, lambda raw: {}),
}


async def _login_body(served: Served, bodies: Bodies, raw: bytes) -> tuple[bytes, str | None]:
    """Half the login posts carry this session's real CSRF token, so the fields are read too."""
    if bodies.rng.random() < 0.5:
        return raw, bodies.content_type()
    token = csrf_of((await served.client.get("/console/login")).text)
    fields = {"csrf_token": token, "username": bodies.rng.choice(["ghost", "", "x" * 70, "ồ"]),
              "password": bodies.rng.choice(["", "p", "\x00", "p" * 300])}  # fmt: skip
    return str(httpx.QueryParams(fields)).encode(), FORM


def _footprint(served: Served, name: str) -> tuple[int, int, int, int]:
    """What a request may change: the core's messages (Telegram's reach it only through the
    update queue, processed later), the queue, the audit log and failed-login counts."""
    audit = len(served.world.store.audit_entries(limit=10_000))
    failures = sum(op.failed_logins for op in served.world.store.operators())
    seen = -1 if name.startswith("telegram") else len(served.core.seen)
    return seen, len(served.queued), audit, failures


async def _settle(served: Served) -> None:
    """Let PTB process the updates accepted so far (their errors are logged, and checked)."""
    queue = served.app.state.channels["telegram"].app.update_queue
    deadline = time.monotonic() + 20
    while not queue.empty() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)


@pytest.mark.parametrize("name", list(COUNT))
async def test_fuzz_endpoint(
    served: Served, name: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = ENDPOINTS[name]
    bodies = Bodies(SEED + len(name), endpoint.samples())
    zalo_channel = served.app.state.channels["zalo"]
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    for _ in range(COUNT[name]):
        raw, content_type = bodies.body(), bodies.content_type()
        if name == "console-login":
            raw, content_type = await _login_body(served, bodies, raw)
        headers = endpoint.headers(raw)
        if content_type is not None:
            headers["content-type"] = content_type
        before = _footprint(served, name)
        try:
            response = await served.client.post(endpoint.path, content=raw, headers=headers)
        except Exception as exc:  # the app let an exception escape: the server would answer 500
            failures.append(f"{type(exc).__name__}: {exc!s:.120} for {raw[:80]!r}")
            continue
        await zalo_channel.drain()
        statuses[response.status_code] += 1
        status = response.status_code
        if not (200 <= status < 300 or 400 <= status < 500):
            failures.append(f"{status} for {raw[:80]!r}")
        accepted = status == 200 and (name != "zalo-signed" or b"accepted" in response.content)
        after = _footprint(served, name)
        if not accepted and after != before:
            failures.append(f"{status} left a trace {before} -> {after}: {raw[:80]!r}")
    await _settle(served)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    failures += [f"logged: {r.getMessage()[:120]}" for r in logged]
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nfuzz {name}: {COUNT[name]} bodies, {len(failures)} errors "
              f"({dict(sorted(statuses.items()))}, {elapsed:.1f} s)")  # fmt: skip
    assert failures == [], "\n".join(failures[:40])
    if name in ("telegram-no-secret", "zalo-unsigned"):
        assert set(statuses) <= {400, 401, 403, 413, 415}  # refused before anything is read


QUERY_PARTS = ["sender=", "sender=a", "sender=%ff%fe", "sender=%00", "sender=" + "x" * 200,
               "sender=%20%20", "after=", "after=nan", "after=inf", "after=-1e999", "after=1e999",
               "after=abc", "after=1.5", "after=-0", "after=" + "9" * 5_000, "&&", "=", "%",
               "sender=a&sender=b", "after=1&after=x", "sender=%E1%BB%93"]  # fmt: skip


async def test_fuzz_rest_updates(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for _ in range(UPDATES):
        query = "&".join(rng.choice(QUERY_PARTS) for _ in range(rng.randint(0, 4)))
        try:
            response = await served.client.get(f"/webhooks/rest/updates?{query}")
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc!s:.120} for {query[:80]!r}")
            continue
        statuses[response.status_code] += 1
        if response.status_code not in (200, 400):
            failures.append(f"{response.status_code} for {query[:80]!r}")
    with capsys.disabled():
        print(f"\nfuzz rest-updates: {UPDATES} queries, {len(failures)} errors "
              f"({dict(sorted(statuses.items()))})")  # fmt: skip
    assert failures == [], "\n".join(failures[:40])
    assert served.core.seen == []
