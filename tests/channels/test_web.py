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
SESSION = "/webhooks/rest/session"


async def chat_id(client: httpx.AsyncClient) -> str:
    """A chat id issued by the server, as the page gets one."""
    response = await client.post(SESSION)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    return str(response.json()["sender"])


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
    s1 = await chat_id(client)
    response = await client.post(URL, json={"sender": s1, "message": "chào"})
    assert response.status_code == 200
    buttons = [{"title": "Thêm", "payload": "/ask_more"}]
    assert response.json() == [{"recipient_id": s1, "text": "Bạn nói: chào", "buttons": buttons}]
    assert [(m.channel, m.platform_id) for m in core.seen] == [("web", s1)]


async def test_text_reaches_the_core_in_nfc(client: httpx.AsyncClient, core: FakeCore) -> None:
    decomposed = unicodedata.normalize("NFD", "bắt nạt")
    await client.post(URL, json={"sender": await chat_id(client), "message": f"  {decomposed}  "})
    assert core.seen[0].text == "bắt nạt"


async def test_chat_ids_are_random_and_only_those_the_server_issued_are_taken(
    client: httpx.AsyncClient, core: FakeCore
) -> None:
    ids = {await chat_id(client) for _ in range(20)}
    assert len(ids) == 20 and all(40 <= len(i) <= 128 for i in ids)
    one = next(iter(ids))
    value, signature = one.split(".")
    # The signature's first character: its last one may hold only base64 padding bits, and a
    # change there can decode to the same bytes (a valid id; this test failed at random).
    changed = ("A" if signature[0] != "A" else "B") + signature[1:]
    for forged in ("s1", "1", "a" * 32, f"{value}.{changed}", f"{value}.x"):
        response = await client.post(URL, json={"sender": forged, "message": "chào"})
        assert response.status_code == 400, forged
    assert core.seen == []


async def test_another_servers_ids_are_refused(settings: Settings, core: FakeCore) -> None:
    from dataclasses import replace

    other = create_app(replace(settings, secret_key="another-key-0123456789abcdef"), FakeCore())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other),
                                 base_url="http://o") as elsewhere:  # fmt: skip
        foreign = await chat_id(elsewhere)
    app = create_app(replace(settings, secret_key="this-key-0123456789abcdef"), core)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.post(URL, json={"sender": foreign, "message": "x"})).status_code == 400


async def test_the_page_never_puts_the_chat_id_in_a_url(client: httpx.AsyncClient) -> None:
    script = (await client.get("/static/chat.js")).text
    assert "?sender=" not in script and "sender=" not in script.replace('"sender"', "")
    assert "X-Chat-Id" in script and "/webhooks/rest/session" in script


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
    s1 = await chat_id(client)
    person = core.person_id("web", s1)
    core.trackers[person] = FakeTracker(events=[
        UserUttered("cứu em", timestamp=1.0),
        BotUttered("Bot nói", timestamp=2.0),
        BotUttered("Chị ở đây", {"buttons": [{"title": "Có", "payload": "/affirm"}]},
                   metadata={"operator": "op1"}, timestamp=3.0),
        BotUttered("Em ổn không?", metadata={"operator": "op1"}, timestamp=5.0),
    ])  # fmt: skip
    headers = {"X-Chat-Id": s1}
    response = await client.get("/webhooks/rest/updates?after=3", headers=headers)
    assert response.json() == [
        {
            "recipient_id": s1,
            "text": "Em ổn không?",
            "timestamp": 5.0,
            "notice": False,
            "buttons": [],
        }
    ]
    everything = (await client.get("/webhooks/rest/updates", headers=headers)).json()
    assert [m["text"] for m in everything] == ["Chị ở đây", "Em ổn không?"]
    assert everything[0]["buttons"] == [{"title": "Có", "payload": "/affirm"}]
    assert "op1" not in json.dumps(everything)  # who the counsellor is stays private
    nobody = {"X-Chat-Id": await chat_id(client)}
    assert (await client.get("/webhooks/rest/updates", headers=nobody)).json() == []
    in_url = await client.get("/webhooks/rest/updates", params={"sender": s1})
    assert in_url.status_code == 400  # an id in the URL is not read


@pytest.mark.parametrize(("chat", "after"), [
    (None, None), ("", None), ("a" * 200, None), ("s1", None), ("good", "soon"),
    ("good", "nan"), ("good", "inf"),
])  # fmt: skip
async def test_updates_bad_input(
    client: httpx.AsyncClient, chat: str | None, after: str | None
) -> None:
    headers = {} if chat is None else {"X-Chat-Id": chat}
    if chat == "good":
        headers["X-Chat-Id"] = await chat_id(client)
    params = {} if after is None else {"after": after}
    response = await client.get("/webhooks/rest/updates", params=params, headers=headers)
    assert response.status_code == 400


@pytest.mark.model
async def test_the_real_bot_over_rest(settings: Settings, real_core: Core) -> None:
    app = create_app(settings, real_core)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page1 = await chat_id(client)
        replies = (await client.post(URL, json={"sender": page1, "message": "chào ad"})).json()
        assert replies and all(r["recipient_id"] == page1 and r["text"] for r in replies)
        urgent = {"sender": page1, "message": "em muốn tự tử"}
        replies = (await client.post(URL, json=urgent)).json()
        assert any("111" in r["text"] for r in replies)
        updates = await client.get("/webhooks/rest/updates", headers={"X-Chat-Id": page1})
        assert updates.json() == []  # no counsellor has written yet
    assert all(p.startswith("web-") and page1 not in p for p in real_core.store.people)
