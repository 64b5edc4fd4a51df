import hashlib
import json
import time
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
import pytest_asyncio

from bot.app import create_app
from bot.channels.base import CANNED, MESSAGE
from bot.channels.zalo import WEBHOOK_PATH, RecentIds, ZaloChannel, parse_event, verify_signature
from bot.core import Core
from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.settings import Settings
from tests.channels.fake_core import FakeCore
from tests.channels.test_zalo_client import zalo_env
from tests.helpers.fake_zalo import APP_ID, OA_SECRET_KEY, FakeZalo, event, signed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "zalo"
USER = "8000000000000000001"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "kind", "text", "reply"), [
    ("user_send_text", MESSAGE, "con tôi bị bắt nạt trên mạng", None),
    ("user_send_text_button", MESSAGE, "/ask_hotline", None),
    ("follow", MESSAGE, "/greet", None),
    ("user_send_image", CANNED, "", "media_photo"),
    ("user_send_sticker", CANNED, "", "media_other"),
    ("user_send_gif", CANNED, "", "media_other"),
    ("user_send_audio", CANNED, "", "media_other"),
    ("user_send_video", CANNED, "", "media_other"),
    ("user_send_file", CANNED, "", "media_other"),
    ("user_send_link", MESSAGE, "https://example.invalid", None),
    ("user_send_location", CANNED, "", "media_other"),
    ("user_send_business_card", CANNED, "", "media_other"),
])  # fmt: skip
def test_parse_recorded_events(name: str, kind: str, text: str, reply: str | None) -> None:
    event_ = parse_event(fixture(name))
    assert event_ is not None
    assert (event_.kind, event_.message.text, event_.reply) == (kind, text, reply)
    assert (event_.message.channel, event_.message.platform_id) == ("zalo", USER)


@pytest.mark.parametrize("name", [
    "unfollow", "user_received_message", "user_seen_message", "oa_send_text",
])  # fmt: skip
def test_parse_ignores_other_events(name: str) -> None:
    assert parse_event(fixture(name)) is None


@pytest.mark.parametrize("payload", [
    {}, {"event_name": "user_send_text"}, {"event_name": "user_send_text", "sender": "x"},
    {"event_name": "user_send_text", "sender": {"id": USER}, "message": "hi"},
    {"event_name": "user_send_text", "sender": {"id": USER}, "message": {"text": 5}},
    {"event_name": "follow", "follower": {"id": ""}},
])  # fmt: skip
def test_parse_survives_malformed_events(payload: dict[str, Any]) -> None:
    assert parse_event(payload) is None


def test_signature_is_sha256_of_app_id_body_timestamp_and_oa_secret() -> None:
    body = b'{"timestamp":"1764000000000"}'
    mac = hashlib.sha256(APP_ID.encode() + body + b"1764000000000" + OA_SECRET_KEY.encode())
    header = f"mac={mac.hexdigest()}"
    assert verify_signature(header, APP_ID, body, "1764000000000", OA_SECRET_KEY)
    assert verify_signature(header.upper().replace("MAC=", "mac="), APP_ID, body, "1764000000000",
                            OA_SECRET_KEY)  # fmt: skip
    assert not verify_signature(header, APP_ID, body + b" ", "1764000000000", OA_SECRET_KEY)
    assert not verify_signature(header, APP_ID, body, "1764000000001", OA_SECRET_KEY)
    assert not verify_signature(header, APP_ID, body, "1764000000000", "app-secret")
    assert not verify_signature("", APP_ID, body, "1764000000000", OA_SECRET_KEY)
    assert not verify_signature("mac=ô", APP_ID, body, "1764000000000", OA_SECRET_KEY)


def test_recent_ids_forget_after_ttl_and_capacity() -> None:
    recent = RecentIds(capacity=2, ttl=10)
    assert recent.add("a", 0) and not recent.add("a", 5)
    assert recent.add("a", 20)  # expired
    assert recent.add("b", 21) and recent.add("c", 22)
    assert recent.add("a", 23)  # pushed out by capacity


@pytest.fixture
def core() -> FakeCore:
    return FakeCore()


class Running:
    def __init__(self, client: httpx.AsyncClient, channel: ZaloChannel, fake: FakeZalo) -> None:
        self.client = client
        self.channel = channel
        self.fake = fake

    async def post(self, body: dict[str, Any] | bytes, **kw: Any) -> httpx.Response:
        if isinstance(body, dict) and kw.get("secret") is None:
            self.fake.saw(body)  # the person did something: Zalo restarts their reply window
        raw, headers = signed(body, **kw)
        response = await self.client.post(WEBHOOK_PATH, content=raw, headers=headers)
        await self.channel.drain()
        return response


@pytest_asyncio.fixture(loop_scope="function")
async def zalo(fake: FakeZalo, core: FakeCore, tmp_path: Path) -> AsyncIterator[Running]:
    app = create_app(Settings.from_env(zalo_env(fake.url, tmp_path)), core)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield Running(client, app.state.channels["zalo"], fake)


def texts(fake: FakeZalo) -> list[str]:
    return [m["message"]["text"] for m in fake.messages]


async def test_signed_text_in_reply_out(fake: FakeZalo, core: FakeCore, zalo: Running) -> None:
    response = await zalo.post(event("user_send_text", USER, text="chào ad", msg_id="m1"))
    assert response.status_code == 200 and response.json() == {"status": "accepted"}
    [sent] = fake.messages
    assert sent["recipient"] == {"user_id": USER}
    assert sent["message"]["text"] == "Bạn nói: chào ad"
    assert sent["message"]["attachment"]["payload"]["buttons"] == [
        {"type": "oa.query.hide", "title": "Thêm", "payload": "/ask_more"}]  # fmt: skip
    assert [(m.channel, m.platform_id, m.text) for m in core.seen] == [("zalo", USER, "chào ad")]
    assert "zalo" in core.senders


async def test_bad_signature_is_refused_and_nothing_happens(
    fake: FakeZalo, core: FakeCore, zalo: Running
) -> None:
    body = event("user_send_text", USER, text="chào", msg_id="m2")
    response = await zalo.post(body, secret="not-the-oa-secret")
    assert response.status_code == 401
    raw, headers = signed(body)
    tampered = raw.replace("chào".encode(), b"chao")
    response = await zalo.client.post(WEBHOOK_PATH, content=tampered, headers=headers)
    assert response.status_code == 401
    await zalo.channel.drain()
    assert core.seen == [] and fake.messages == [] and fake.refreshes == []
    assert (await zalo.post(body)).status_code == 200  # refusals did not mark it as seen
    assert len(fake.messages) == 1


async def test_an_unsigned_console_check_gets_200_and_nothing_happens(
    fake: FakeZalo, core: FakeCore, zalo: Running
) -> None:
    """Zalo's developer console checks a webhook URL with a request it does not sign."""
    for body in (b"", b"{}", json.dumps(event("user_send_text", USER, text="chào")).encode()):
        response = await zalo.client.post(WEBHOOK_PATH, content=body,
                                          headers={"content-type": "application/json"})  # fmt: skip
        assert response.status_code == 200 and response.json() == {"status": "unsigned"}
    assert (await zalo.client.get(WEBHOOK_PATH)).status_code == 200
    await zalo.channel.drain()
    assert core.seen == [] and fake.messages == []


async def test_button_payloads_never_show_in_the_persons_chat(
    fake: FakeZalo, core: FakeCore, zalo: Running
) -> None:
    await zalo.post(event("user_send_text", USER, text="chào", msg_id="h1"))
    assert (await zalo.post(fake.press(USER, "Thêm"))).json() == {"status": "accepted"}
    assert [m.text for m in core.seen] == ["chào", "/ask_more"]  # the payload reached the core
    assert fake.seen[USER] == ["> chào", "Bạn nói: chào", "Bạn nói: /ask_more"]
    assert not any("/ask_more" in line for line in fake.seen[USER][:2])


async def test_a_pasted_link_is_read_by_the_triage_and_answered(
    fake: FakeZalo, core: FakeCore, zalo: Running
) -> None:
    link = {"type": "link", "payload": {"url": "https://qua-tang.example.invalid/nhan-qua",
                                        "description": "", "thumbnail": ""}}  # fmt: skip
    await zalo.post(event("user_send_link", USER, msg_id="l1", attachments=[link]))
    await zalo.post(event("user_send_link", USER, text="xem cái này", msg_id="l2",
                          attachments=[link]))  # fmt: skip
    assert [(m.text, m.metadata) for m in core.seen] == [
        ("https://qua-tang.example.invalid/nhan-qua", {"shared": "link"}),
        ("xem cái này https://qua-tang.example.invalid/nhan-qua", {"shared": "link"}),
    ]
    assert len(fake.messages) == 2


async def test_a_shared_place_or_contact_card_is_answered_but_never_read(
    fake: FakeZalo, core: FakeCore, zalo: Running
) -> None:
    now = str(int(time.time() * 1000))
    for name in ("user_send_location", "user_send_business_card"):
        assert (await zalo.post({**fixture(name), "timestamp": now})).status_code == 200
    assert texts(fake) == [core.content.say("media_other", None)] * 2
    assert core.seen == []  # neither the coordinates nor the third person's number go anywhere


async def test_duplicates_and_replays_are_dropped(
    fake: FakeZalo, core: FakeCore, zalo: Running
) -> None:
    body = event("user_send_text", USER, text="chào", msg_id="m3")
    assert (await zalo.post(body)).json() == {"status": "accepted"}
    assert (await zalo.post(body)).json() == {"status": "duplicate"}
    retry = {**body, "timestamp": str(int(body["timestamp"]) + 30_000)}  # Zalo's retry, re-signed
    assert (await zalo.post(retry)).json() == {"status": "duplicate"}
    old = event("user_send_text", USER, text="chào", msg_id="m4",
                timestamp_ms=int((time.time() - 11 * 60) * 1000))  # fmt: skip
    assert (await zalo.post(old)).json() == {"status": "stale"}
    future = event("user_send_text", USER, text="chào", msg_id="m5",
                   timestamp_ms=int((time.time() + 11 * 60) * 1000))  # fmt: skip
    assert (await zalo.post(future)).json() == {"status": "stale"}
    assert len(core.seen) == 1 and len(fake.messages) == 1


async def test_a_turn_that_fails_is_not_acknowledged_and_its_retry_is_taken(
    fake: FakeZalo, core: FakeCore, zalo: Running
) -> None:
    """Nothing lost: Zalo hears 200 only once the turn is stored; a 503 lets its retry in."""
    from sqlalchemy.exc import OperationalError

    answer = core.script
    down = [True]

    def storage(message: IncomingMessage) -> list[OutgoingMessage]:
        if down[0]:
            raise OperationalError("INSERT", {}, Exception("database is down"))
        return answer(message)

    core.script = storage
    body = event("user_send_text", USER, text="cứu em với", msg_id="m9")
    failed = await zalo.post(body)
    assert failed.status_code == 503 and fake.messages == []
    down[0] = False
    retry = {**body, "timestamp": str(int(body["timestamp"]) + 5_000)}  # Zalo's retry, re-signed
    taken = await zalo.post(retry)
    assert taken.status_code == 200 and taken.json() == {"status": "accepted"}
    assert texts(fake) == ["Bạn nói: cứu em với"]
    assert (await zalo.post(retry)).json() == {"status": "duplicate"}  # handled: now a duplicate


async def test_media_follow_and_unfollow(fake: FakeZalo, core: FakeCore, zalo: Running) -> None:
    now = str(int(time.time() * 1000))
    for name in ("user_send_image", "user_send_sticker", "follow", "unfollow", "user_seen_message"):
        response = await zalo.post({**fixture(name), "timestamp": now})
        assert response.status_code == 200
    content = core.content
    assert texts(fake) == [content.say("media_photo", None), content.say("media_other", None),
                           "Bạn nói: /greet"]  # fmt: skip
    assert [m.text for m in core.seen] == ["/greet"]


async def test_long_replies_split_at_2000(fake: FakeZalo, core: FakeCore, zalo: Running) -> None:
    long = "\n".join(["Dòng hướng dẫn khá dài. " * 10] * 20)
    core.script = lambda message: [OutgoingMessage(long, (Button("Có", "/affirm"),))]
    await zalo.post(event("user_send_text", USER, text="kể hết", msg_id="m6"))
    assert len(fake.messages) == 3
    assert all(len(t) <= 2000 for t in texts(fake))
    assert "attachment" in fake.messages[-1]["message"]
    assert "attachment" not in fake.messages[0]["message"]


async def test_expired_token_refreshed_once_and_persisted(
    fake: FakeZalo, zalo: Running, tmp_path: Path
) -> None:
    await zalo.post(event("user_send_text", USER, text="một", msg_id="m7"))
    fake.expire_access_tokens()
    await zalo.post(event("user_send_text", USER, text="hai", msg_id="m8"))
    assert len(fake.refreshes) == 2 and fake.refused == [-216]
    assert texts(fake) == ["Bạn nói: một", "Bạn nói: hai"]
    assert json.loads((tmp_path / "zalo_tokens.json").read_text())["refresh_token"] == "rt-2"


async def test_a_quiet_oa_refreshes_its_tokens_in_the_background(
    fake: FakeZalo, core: FakeCore, tmp_path: Path
) -> None:
    app = create_app(Settings.from_env(zalo_env(fake.url, tmp_path)), core)
    app.state.channels["zalo"].check_tokens_every = 0.05
    async with app.router.lifespan_context(app):
        await fake.wait_until(lambda: len(fake.refreshes) == 1)  # no message needed
    # stopping waited for the refresh under way: its new pair is stored, the chain is whole
    assert fake.messages == [] and len(fake.refreshes) == 1
    assert json.loads((tmp_path / "zalo_tokens.json").read_text())["refresh_token"] == "rt-1"


async def test_send_failures_are_logged_without_ids_or_text(
    fake: FakeZalo, zalo: Running, caplog: pytest.LogCaptureFixture
) -> None:
    fake.refresh_tokens.clear()  # the chain is broken: refresh refused
    await zalo.post(event("user_send_text", USER, text="bí mật", msg_id="m9"))
    assert fake.messages == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "not sent" in logged and USER not in logged and "bí mật" not in logged


@pytest.mark.parametrize(("body", "headers", "status"), [
    (b"{oops", {"content-type": "application/json"}, 400),
    (b"[]", {"content-type": "application/json"}, 400),
    (b'{"event_name": "user_send_text"}', {"content-type": "application/json"}, 400),
    (b'{"timestamp": "soon"}', {"content-type": "application/json"}, 400),
    (b'{"timestamp": true}', {"content-type": "application/json"}, 400),
    ('{"timestamp": "١٢٣"}'.encode(), {"content-type": "application/json"}, 400),
    (b'{"timestamp": "1"}', {"content-type": "text/plain"}, 415),
    (b"\xff", {"content-type": "application/json"}, 400),
])  # fmt: skip
async def test_webhook_bad_input(
    fake: FakeZalo, core: FakeCore, zalo: Running, body: bytes, headers: dict[str, str], status: int
) -> None:
    headers = {**headers, "X-ZEvent-Signature": "mac=0"}  # signed: the body is read
    response = await zalo.client.post(WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == status
    await zalo.channel.drain()
    assert core.seen == [] and fake.messages == []


async def test_oversized_webhook_is_refused(fake: FakeZalo, core: FakeCore, zalo: Running) -> None:
    body = event("user_send_text", USER, text="a" * 70_000, msg_id="m10")
    assert (await zalo.post(body)).status_code == 413
    assert core.seen == []


async def test_counsellor_replies_use_the_registered_sender(
    fake: FakeZalo, core: FakeCore, zalo: Running
) -> None:
    await core.senders["zalo"].send(USER, [OutgoingMessage("Chị là tư vấn viên")])
    assert texts(fake) == ["Chị là tư vấn viên"]


def test_enabled_only_with_every_key(settings: Settings, tmp_path: Path) -> None:
    assert not ZaloChannel.enabled(settings)
    env = zalo_env("http://127.0.0.1:9", tmp_path)
    assert ZaloChannel.enabled(Settings.from_env(env))
    assert not ZaloChannel.enabled(Settings.from_env({**env, "ZALO_OA_SECRET_KEY": ""}))


@pytest.mark.model
async def test_the_real_bot_over_zalo(fake: FakeZalo, real_core: Core, tmp_path: Path) -> None:
    app = create_app(Settings.from_env(zalo_env(fake.url, tmp_path)), real_core)
    store = real_core.store
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            zalo = Running(client, app.state.channels["zalo"], fake)
            bad = event("user_send_text", USER, text="chào", msg_id="r0")
            assert (await zalo.post(bad, secret="wrong")).status_code == 401
            assert store.people == {} and store.turns == [] and fake.messages == []
            body = event(
                "user_send_text", USER, text="con bị lừa mất tiền khi chơi game", msg_id="r1"
            )
            assert (await zalo.post(body)).status_code == 200
            assert fake.messages and len(store.turns) == 1
            assert (await zalo.post(body)).json() == {"status": "duplicate"}
            assert len(store.turns) == 1
            fake.expire_access_tokens()
            urgent = event(
                "user_send_text", USER, text="có người dọa tung ảnh nóng của em", msg_id="r2"
            )
            sent = len(fake.messages)
            await zalo.post(urgent)
            assert any("111" in t for t in texts(fake)[sent:])
            assert len(fake.refreshes) == 2
    assert USER not in repr(store.people) + repr(store.turns)
