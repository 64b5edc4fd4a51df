import json
import unicodedata
from typing import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from rasa.shared.core.events import BotUttered, UserUttered

from bot.app import create_app
from bot.channels.base import BadPayload
from bot.channels.web import WebChannel
from bot.core import Core
from bot.settings import Settings
from tests.channels.fake_core import FakeCore, FakeTracker

URL = "/webhooks/rest/webhook"


@pytest.fixture
def core() -> FakeCore:
    return FakeCore()


@pytest_asyncio.fixture(loop_scope="function")
async def client(settings: Settings, core: FakeCore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, core)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def test_parse_reads_rasa_rest_bodies() -> None:
    event = WebChannel.parse({"sender": " abc ", "message": "Xin chào", "metadata": {}})
    assert (event.message.channel, event.message.platform_id, event.message.text) == (
        "web", "abc", "Xin chào")  # fmt: skip


@pytest.mark.parametrize("payload", [
    [], "x", {}, {"sender": "a"}, {"message": "m"}, {"sender": 1, "message": "m"},
    {"sender": "a", "message": None}, {"sender": "  ", "message": "m"},
    {"sender": "a" * 129, "message": "m"},
])  # fmt: skip
def test_parse_refuses_malformed_bodies(payload: object) -> None:
    with pytest.raises(BadPayload):
        WebChannel.parse(payload)  # type: ignore[arg-type]


async def test_rest_webhook_answers_in_rasa_shape(
    client: httpx.AsyncClient, core: FakeCore
) -> None:
    response = await client.post(URL, json={"sender": "s1", "message": "chào"})
    assert response.status_code == 200
    buttons = [{"title": "Thêm", "payload": "/ask_more"}]
    assert response.json() == [{"recipient_id": "s1", "text": "Bạn nói: chào", "buttons": buttons}]
    assert [(m.channel, m.platform_id) for m in core.seen] == [("web", "s1")]


async def test_text_reaches_the_core_in_nfc(client: httpx.AsyncClient, core: FakeCore) -> None:
    decomposed = unicodedata.normalize("NFD", "bắt nạt")
    await client.post(URL, json={"sender": "s1", "message": f"  {decomposed}  "})
    assert core.seen[0].text == "bắt nạt"


@pytest.mark.parametrize(("body", "headers", "status"), [
    (b"{not json", {"content-type": "application/json"}, 400),
    (b"\xff\xfe", {"content-type": "application/json"}, 400),
    (b'{"sender": "s"}', {"content-type": "application/json"}, 400),
    (b'{"sender": "s", "message": 3}', {"content-type": "application/json"}, 400),
    (b'["s", "m"]', {"content-type": "application/json"}, 400),
    (b'{"sender": "s", "message": "m"}', {"content-type": "text/plain"}, 415),
    (b"sender=s&message=m", {"content-type": "application/x-www-form-urlencoded"}, 415),
    (b'{"sender": "s", "message": "m"}', {}, 415),
])  # fmt: skip
async def test_rest_webhook_bad_input(
    client: httpx.AsyncClient, core: FakeCore, body: bytes, headers: dict[str, str], status: int
) -> None:
    response = await client.post(URL, content=body, headers=headers)
    assert response.status_code == status
    assert "error" in response.json()
    assert core.seen == []


async def test_oversized_bodies_are_refused(
    client: httpx.AsyncClient, core: FakeCore, settings: Settings
) -> None:
    big = json.dumps({"sender": "s", "message": "a" * settings.max_body_bytes})
    response = await client.post(URL, content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(3):
            yield b"a" * settings.max_body_bytes

    response = await client.post(
        URL, content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert core.seen == []


async def test_wrong_method_and_unknown_path(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 405
    assert (await client.get("/webhooks/nothing")).status_code == 404


async def test_page_is_self_contained_with_quick_exit_and_111(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert "Thoát nhanh" in html and 'href="tel:111"' in html and "Xóa cuộc trò chuyện" in html
    assert "/xoa" in html
    assert "http://" not in html and "https://" not in html  # nothing from elsewhere
    assert "<script>" not in html  # no inline script (the CSP would block it)
    for asset in ("/static/chat.js", "/static/chat.css"):
        served = await client.get(asset)
        assert served.status_code == 200
        assert served.headers["x-content-type-options"] == "nosniff"
    assert "location.replace" in (await client.get("/static/chat.js")).text
    neutral = await client.get("/thoi-tiet")
    assert neutral.status_code == 200 and "Đồng Hành" not in neutral.text


async def test_updates_return_only_newer_operator_messages(
    client: httpx.AsyncClient, core: FakeCore
) -> None:
    person = core.person_id("web", "s1")
    core.agent.tracker_store.trackers[person] = FakeTracker(events=[
        UserUttered("cứu em", timestamp=1.0),
        BotUttered("Bot nói", timestamp=2.0),
        BotUttered("Chị ở đây", {"buttons": [{"title": "Có", "payload": "/affirm"}]},
                   metadata={"operator": "op1"}, timestamp=3.0),
        BotUttered("Em ổn không?", metadata={"operator": "op1"}, timestamp=5.0),
    ])  # fmt: skip
    response = await client.get("/webhooks/rest/updates", params={"sender": "s1", "after": "3"})
    assert response.json() == [
        {"recipient_id": "s1", "text": "Em ổn không?", "timestamp": 5.0, "buttons": []}
    ]
    everything = (await client.get("/webhooks/rest/updates", params={"sender": "s1"})).json()
    assert [m["text"] for m in everything] == ["Chị ở đây", "Em ổn không?"]
    assert everything[0]["buttons"] == [{"title": "Có", "payload": "/affirm"}]
    assert "op1" not in json.dumps(everything)  # who the counsellor is stays private
    unknown = await client.get("/webhooks/rest/updates", params={"sender": "nobody"})
    assert unknown.json() == []


@pytest.mark.parametrize("params", [
    {}, {"sender": ""}, {"sender": "a" * 200}, {"sender": "s1", "after": "soon"},
    {"sender": "s1", "after": "nan"}, {"sender": "s1", "after": "inf"},
])  # fmt: skip
async def test_updates_bad_input(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("/webhooks/rest/updates", params=params)
    assert response.status_code == 400


@pytest.mark.model
async def test_the_real_bot_over_rest(settings: Settings, real_core: Core) -> None:
    app = create_app(settings, real_core)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        replies = (await client.post(URL, json={"sender": "page1", "message": "chào ad"})).json()
        assert replies and all(r["recipient_id"] == "page1" and r["text"] for r in replies)
        urgent = {"sender": "page1", "message": "em muốn tự tử"}
        replies = (await client.post(URL, json=urgent)).json()
        assert any("111" in r["text"] for r in replies)
        updates = await client.get("/webhooks/rest/updates", params={"sender": "page1"})
        assert updates.json() == []  # no counsellor has written yet
    assert all(p.startswith("web-") and "page1" not in p for p in real_core.store.people)
