"""Every POST route of the app answers 413 above DONGHANH_MAX_BODY_BYTES, and nothing runs."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from bot.app import create_app
from bot.console.app import create_console
from bot.settings import Settings
from tests.channels.fake_core import FakeCore
from tests.console.conftest import World, make_world

LIMIT = 2048
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}

# Every POST route, with the content type a real client sends.
POSTS = {
    "/webhooks/rest/session": JSON,
    "/webhooks/rest/webhook": JSON,
    "/webhooks/telegram/webhook": {**JSON, "x-telegram-bot-api-secret-token": "s3cret"},
    "/webhooks/zalo/webhook": {**JSON, "x-zevent-signature": "mac=0"},
    "/console/login": FORM,
    "/console/logout": FORM,
    "/console/cases/1/claim": FORM,
    "/console/cases/1/reply": FORM,
    "/console/cases/1/note": FORM,
    "/console/cases/1/handback": FORM,
    "/console/cases/1/resolve": FORM,
    "/console/cases/1/block": FORM,
    "/console/cases/1/unblock": FORM,
}


def every_channel(tmp_path: Path) -> Settings:
    return Settings.from_env({
        "DONGHANH_DATA_DIR": str(tmp_path),
        "DONGHANH_MAX_BODY_BYTES": str(LIMIT),
        "DONGHANH_SECRET_KEY": "test-secret-key-0123456789",
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_URL": "https://bot.test/webhooks/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret",
        "ZALO_APP_ID": "1",
        "ZALO_APP_SECRET": "s",
        "ZALO_OA_SECRET_KEY": "k",
        "ZALO_REFRESH_TOKEN": "r",
    })  # fmt: skip


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(every_channel(tmp_path), tmp_path)


@pytest.fixture
def core() -> FakeCore:
    return FakeCore()


@pytest.fixture
def app(world: World, core: FakeCore) -> Starlette:
    console = Mount("/console", app=create_console(world.store, world.handoff, world.settings))
    return create_app(world.settings, core, extra_routes=[console])


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://bot.test") as c:
        yield c


def post_paths(routes: list[BaseRoute], prefix: str = "") -> Iterator[str]:
    for route in routes:
        if isinstance(route, Mount):
            yield from post_paths(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and "POST" in (route.methods or ()):
            yield prefix + route.path.replace("{case_id:int}", "1")


def test_the_table_names_every_post_route(app: Starlette) -> None:
    assert set(post_paths(list(app.routes))) == set(POSTS)


async def chunks(size: int) -> AsyncIterator[bytes]:
    """A streamed body (chunked, no Content-Length) of `size` bytes."""
    for start in range(0, size, 500):
        yield b"x" * min(500, size - start)


@pytest.mark.parametrize("path", sorted(POSTS))
async def test_a_body_over_the_cap_gets_413(
    client: httpx.AsyncClient, world: World, core: FakeCore, path: str
) -> None:
    case_id = await world.urgent_case()
    headers = POSTS[path]
    declared = await client.post(path, content=b"x" * (LIMIT + 1), headers=headers)
    streamed = await client.post(path, content=chunks(LIMIT + 1), headers=headers)
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert declared.json() == {"error": "request body too large"}
    at_the_cap = await client.post(path, content=b"x" * LIMIT, headers=headers)
    assert at_the_cap.status_code not in (413, 500)  # refused for another reason, or served
    assert core.seen == []
    case = world.store.case(case_id)
    assert case is not None and case.status == "new" and world.store.notes(case_id) == []
    assert not world.store.is_blocked(case.person_id or "")
