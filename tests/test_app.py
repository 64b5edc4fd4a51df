import asyncio
import gc
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.app import build_channels, create_app
from bot.settings import Settings
from tests.channels.fake_core import FakeCore


def test_only_the_web_chat_without_credentials(settings: Settings) -> None:
    assert [c.name for c in build_channels(settings, FakeCore())] == ["web"]


async def test_health_lists_channels_and_serves_extra_routes(settings: Settings) -> None:
    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    core = FakeCore()
    app = create_app(settings, core, extra_routes=[Route("/extra", hello, methods=["POST"])])
    assert core.senders == {}  # the web chat cannot push: the page polls
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        health = await client.get("/health")
        assert health.json() == {"status": "ok", "model": None, "channels": ["web"]}
        assert (await client.post("/extra", content=b"abc")).text == "3"
        big = b"x" * (settings.max_body_bytes + 1)
        assert (await client.post("/extra", content=big)).status_code == 413
        bad = await client.post("/extra", content=b"abc", headers={"content-length": "-1"})
        assert bad.status_code == 400


async def test_every_configured_channel_is_served(tmp_path: Path) -> None:
    env = {
        "DONGHANH_DATA_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "ZALO_APP_ID": "1",
        "ZALO_APP_SECRET": "s",
        "ZALO_OA_SECRET_KEY": "k",
        "ZALO_REFRESH_TOKEN": "r",
    }
    core = FakeCore()
    app = create_app(Settings.from_env(env), core)
    assert set(core.senders) == {"telegram", "zalo"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        health = (await client.get("/health")).json()
        assert health["channels"] == ["web", "telegram", "zalo"]
        signed = {"X-ZEvent-Signature": "mac=0"}  # unsigned is Zalo's URL check: 200, ignored
        response = await client.post("/webhooks/zalo/webhook", json={}, headers=signed)
        assert response.status_code == 400
        assert (await client.post("/webhooks/telegram/webhook", json={})).status_code == 404


@pytest.mark.model
def test_serve_loads_the_bot_and_serves_it(
    trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from bot import runtime
    from bot.app import serve

    monkeypatch.setattr(runtime, "_current", runtime._current)  # restored after the test
    servers: list[tuple[uvicorn.Server, int]] = []

    def run(self: uvicorn.Server, sockets: object = None) -> None:
        servers.append((self, gc.get_freeze_count()))

    monkeypatch.setattr(uvicorn.Server, "run", run)
    settings = Settings.from_env({"DONGHANH_DATA_DIR": str(tmp_path)})
    gc.unfreeze()
    try:
        serve(settings, "127.0.0.1", 8089, model_path=trained_model)
    finally:
        gc.unfreeze()
    [(server, frozen)] = servers
    # what was loaded is out of the collector's rounds before any request (bot.app.settle_heap)
    assert frozen > 100_000
    config = server.config
    assert (config.host, config.port, config.ws, config.lifespan) == (
        "127.0.0.1",
        8089,
        "none",
        "on",
    )
    assert config.access_log is False  # no request line of anyone's chat in the log
    assert config.loop == "asyncio"  # requests start in the order they became ready (not uvloop)

    async def talk() -> None:
        transport = httpx.ASGITransport(app=config.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            health = (await client.get("/health")).json()
            assert health == {"status": "ok", "model": trained_model.name, "channels": ["web"]}
            sender = (await client.post("/webhooks/rest/session")).json()["sender"]
            body = {"sender": sender, "message": "chào"}
            replies = (await client.post("/webhooks/rest/webhook", json=body)).json()
            assert replies and replies[0]["recipient_id"] == sender

    asyncio.run(talk())
    assert (tmp_path / "donghanh.db").is_file()  # trackers and our tables, in the data folder
