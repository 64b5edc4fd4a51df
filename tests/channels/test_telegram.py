import asyncio
import json
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from bot.app import create_app
from bot.channels.base import BUTTON, CANNED, MESSAGE
from bot.channels.telegram import WEBHOOK_PATH, PayloadMap, TelegramChannel, parse_update
from bot.core import Core
from bot.messages import Button, OutgoingMessage
from bot.settings import Settings
from tests.channels.fake_core import FakeCore
from tests.helpers.fake_telegram import (
    TOKEN,
    USER_ID,
    USERNAME,
    FakeBotAPI,
    callback_update,
    message_update,
    private_chat,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
SECRET = "s3cret_token-for-tests"
HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "kind", "text", "reply", "metadata"), [
    ("text", MESSAGE, "con tôi bị bắt nạt trên mạng", None, {}),
    ("start_campaign", MESSAGE, "/start", None, {"campaign": "thcs_ba_dinh-2026"}),
    ("start_bad_code", MESSAGE, "/start", None, {}),
    ("callback_query", BUTTON, "/ask_hotline", None, {}),
    ("sticker", CANNED, "", "media_other", {}),
    ("photo", CANNED, "", "media_photo", {}),
    ("voice", CANNED, "", "media_other", {}),
    ("document_image", CANNED, "", "media_photo", {}),
    ("document_pdf", CANNED, "", "media_other", {}),
    ("group_text", CANNED, "", "group_chat", {}),
])  # fmt: skip
def test_parse_recorded_updates(
    name: str, kind: str, text: str, reply: str | None, metadata: dict[str, str]
) -> None:
    event = parse_update(fixture(name))
    assert event is not None
    assert (event.kind, event.message.text, event.reply) == (kind, text, reply)
    assert event.message.metadata == metadata
    assert event.message.channel == "telegram"


@pytest.mark.parametrize("name", [
    "edited_message", "my_chat_member", "location", "callback_query_no_message", "channel_post",
])  # fmt: skip
def test_parse_ignores_what_the_bot_does_not_handle(name: str) -> None:
    assert parse_update(fixture(name)) is None


@pytest.mark.parametrize("payload", [
    {}, {"message": "x"}, {"message": {"chat": {"id": "1"}}}, {"message": {"text": "hi"}},
    {"callback_query": {"data": 5, "message": {"chat": {"id": 1, "type": "private"}}}},
])  # fmt: skip
def test_parse_survives_malformed_updates(payload: dict[str, Any]) -> None:
    assert parse_update(payload) is None


def test_payload_map_shortens_long_payloads_only() -> None:
    payloads = PayloadMap(capacity=2)
    assert payloads.encode("/ask_hotline") == "/ask_hotline"
    long = '/ask_scam{"item":"' + "x" * 80 + '"}'
    data = payloads.encode(long)
    assert len(data.encode()) <= 64 and data.isascii()
    assert payloads.decode(data) == long
    payloads.encode("/a" + "y" * 70)
    payloads.encode("/b" + "z" * 70)
    assert payloads.decode(data) is None  # forgotten beyond capacity
    assert payloads.decode("/ask_hotline") == "/ask_hotline"


def tg_settings(base: Settings, url: str, **env: str) -> Settings:
    return Settings.from_env({
        "DONGHANH_MODELS_DIR": str(base.models_dir), "DONGHANH_DATA_DIR": str(base.data_dir),
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": url, **env,
    })  # fmt: skip


@pytest.mark.parametrize("env", [
    {"TELEGRAM_MODE": "push"},
    {"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_SECRET": SECRET},
    {"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_URL": "https://x.vn" + WEBHOOK_PATH},
    {"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_URL": "https://x.vn" + WEBHOOK_PATH,
     "TELEGRAM_WEBHOOK_SECRET": "có dấu"},
])  # fmt: skip
def test_settings_that_cannot_work_fail_fast(settings: Settings, env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="TELEGRAM_"):
        TelegramChannel(tg_settings(settings, "http://127.0.0.1:9", **env), FakeCore())


@pytest_asyncio.fixture(loop_scope="function")
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def core() -> FakeCore:
    return FakeCore()


@pytest_asyncio.fixture(loop_scope="function")
async def polling(
    bot_api: FakeBotAPI, settings: Settings, core: FakeCore
) -> AsyncIterator[Starlette]:
    app = create_app(tg_settings(settings, bot_api.url), core)
    async with app.router.lifespan_context(app):
        yield app


async def test_polling_start_with_campaign_gets_inline_keyboard(
    bot_api: FakeBotAPI, core: FakeCore, polling: Starlette
) -> None:
    assert bot_api.called("getMe") and bot_api.called("deleteWebhook")
    bot_api.push(message_update("/start truong_abc"))
    await bot_api.wait_until(lambda: len(bot_api.sent()) == 1)
    [sent] = bot_api.sent()
    assert sent["chat_id"] == USER_ID and sent["text"] == "Bạn nói: /start"
    assert sent["reply_markup"] == {
        "inline_keyboard": [[{"text": "Thêm", "callback_data": "/ask_more"}]]
    }
    assert (core.seen[0].text, core.seen[0].metadata) == ("/start", {"campaign": "truong_abc"})
    assert core.seen[0].platform_id == str(USER_ID)
    polls = bot_api.called("getUpdates")
    assert polls[0]["allowed_updates"] == ["message", "callback_query"]  # no channel posts
    assert bot_api.called("deleteWebhook")[0]["drop_pending_updates"] is False  # kept: answered
    assert "telegram" in core.senders


async def test_the_command_menu_is_set_in_vietnamese_from_content(
    bot_api: FakeBotAPI, core: FakeCore, polling: Starlette
) -> None:
    [menu] = bot_api.called("setMyCommands")
    assert menu["scope"] == {"type": "all_private_chats"}
    commands = {c["command"]: c["description"] for c in menu["commands"]}
    assert commands == {str(k): v for k, v in core.content.ui["commands"].items()}
    assert set(commands) == {"start", "help", "xoa", "111"}
    bot_api.push(message_update(f"/xoa@{USERNAME}"))  # a menu tap in a chat that names the bot
    await bot_api.wait_until(lambda: len(core.seen) == 1)
    assert core.seen[0].text == "/xoa"


async def test_a_slow_send_to_one_chat_holds_up_no_other_chat(
    bot_api: FakeBotAPI, core: FakeCore, polling: Starlette
) -> None:
    slow, other = USER_ID, USER_ID + 1
    bot_api.slow_chats[slow] = 1.5
    bot_api.push(message_update("một", chat=private_chat(slow)))
    bot_api.push(message_update("hai", chat=private_chat(other)))
    await bot_api.wait_until(lambda: len(bot_api.delivered) == 2)
    assert bot_api.delivered == [other, slow]


async def test_one_chats_messages_keep_their_order_while_chats_run_at_once(
    bot_api: FakeBotAPI, core: FakeCore, polling: Starlette
) -> None:
    bot_api.slow_chats[USER_ID] = 0.2
    for i in range(5):
        bot_api.push(message_update(f"tin {i}"))
        bot_api.push(message_update(f"khác {i}", chat=private_chat(USER_ID + 1 + i)))
    await bot_api.wait_until(lambda: len(bot_api.delivered) == 10)
    mine = [m["text"] for m in bot_api.sent() if m["chat_id"] == USER_ID]
    assert mine == [f"Bạn nói: tin {i}" for i in range(5)]
    assert bot_api.delivered[-1] == USER_ID  # the others did not wait for it


async def test_button_press_is_answered_then_fed_to_the_core(
    bot_api: FakeBotAPI, core: FakeCore, polling: Starlette
) -> None:
    bot_api.push(callback_update("/ask_more", query_id="q42"))
    await bot_api.wait_until(lambda: len(bot_api.sent()) == 1)
    assert bot_api.called("answerCallbackQuery") == [{"callback_query_id": "q42"}]
    answered_at = [m for m, _ in bot_api.calls].index("answerCallbackQuery")
    assert answered_at < [m for m, _ in bot_api.calls].index("sendMessage")
    assert core.seen[-1].text == "/ask_more"


async def test_media_get_a_kind_reply_and_never_reach_the_core(
    bot_api: FakeBotAPI, core: FakeCore, polling: Starlette
) -> None:
    bot_api.push(message_update(sticker={"file_id": "x", "file_unique_id": "y", "type": "regular",
                                         "width": 1, "height": 1, "is_animated": False,
                                         "is_video": False}))  # fmt: skip
    bot_api.push(message_update(photo=[{"file_id": "p", "file_unique_id": "q", "width": 1,
                                        "height": 1}]))  # fmt: skip
    await bot_api.wait_until(lambda: len(bot_api.sent()) == 2)
    texts = [m["text"] for m in bot_api.sent()]
    assert texts == [core.content.say("media_other", None), core.content.say("media_photo", None)]
    assert core.seen == []
    assert not bot_api.called("getFile")  # nothing downloaded


async def test_groups_get_the_private_link_once(
    bot_api: FakeBotAPI, core: FakeCore, polling: Starlette
) -> None:
    group = {"id": -1001000000001, "type": "supergroup", "title": "Test"}
    bot_api.push(message_update("cứu với", chat=group))
    bot_api.push(message_update("còn đó không", chat=group))
    bot_api.push(message_update("chào"))  # a private message after both
    await bot_api.wait_until(lambda: len(bot_api.sent()) == 2)
    group_reply, private_reply = bot_api.sent()
    assert group_reply["chat_id"] == group["id"]
    assert f"https://t.me/{USERNAME}" in group_reply["text"] and "111" in group_reply["text"]
    assert private_reply["chat_id"] == USER_ID
    assert [m.text for m in core.seen] == ["chào"]


async def test_edits_are_ignored_and_long_replies_split(
    bot_api: FakeBotAPI, settings: Settings, polling: Starlette, core: FakeCore
) -> None:
    long = ("Một câu khá dài để chia. " * 400).strip()
    core.script = lambda message: [OutgoingMessage(long, (Button("Có", "/affirm"),))]
    edited = message_update("sửa")
    bot_api.push({"edited_message": {**edited["message"], "edit_date": 1}})
    bot_api.push(message_update("kể tiếp"))
    await bot_api.wait_until(lambda: len(bot_api.sent()) == 3)
    parts = bot_api.sent()
    assert all(len(p["text"]) <= 4096 for p in parts)
    assert " ".join(p["text"] for p in parts) == long
    assert all(p["text"].endswith(".") for p in parts)  # cut at sentence ends
    assert "reply_markup" in parts[-1] and "reply_markup" not in parts[0]
    assert [m.text for m in core.seen] == ["kể tiếp"]


async def test_long_button_payloads_travel_as_short_ids(
    bot_api: FakeBotAPI, polling: Starlette, core: FakeCore
) -> None:
    long = '/ask_scam{"item":"' + "x" * 70 + '"}'
    core.script = lambda message: [OutgoingMessage("Chọn", (Button("Xem", long),))]
    bot_api.push(message_update("lừa đảo"))
    await bot_api.wait_until(lambda: len(bot_api.sent()) == 1)
    data = bot_api.sent()[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    bot_api.push(callback_update(data))
    await bot_api.wait_until(lambda: len(core.seen) == 2)
    assert core.seen[-1].text == long


async def test_counsellor_replies_go_out_through_the_registered_sender(
    bot_api: FakeBotAPI, polling: Starlette, core: FakeCore
) -> None:
    await core.senders["telegram"].send(str(USER_ID), [OutgoingMessage("Chị đây")])
    assert bot_api.sent()[-1]["text"] == "Chị đây"


async def test_what_came_during_downtime_is_answered_even_an_old_button_press(
    bot_api: FakeBotAPI, settings: Settings, core: FakeCore
) -> None:
    """Pending updates are kept (a cry for help may be among them); a button pressed while the
    bot was down can no longer be acknowledged (Telegram: 400), and is answered anyway."""
    bot_api.push(message_update("cứu em với"))
    bot_api.push(callback_update("/ask_hotline", query_id="old"))
    bot_api.expired_queries.add("old")
    app = create_app(tg_settings(settings, bot_api.url), core)
    async with app.router.lifespan_context(app):
        await bot_api.wait_until(lambda: len(bot_api.sent()) == 2)
    assert [m.text for m in core.seen] == ["cứu em với", "/ask_hotline"]
    assert bot_api.called("answerCallbackQuery") == [{"callback_query_id": "old"}]


@pytest_asyncio.fixture(loop_scope="function")
async def webhook(
    bot_api: FakeBotAPI, settings: Settings, core: FakeCore
) -> AsyncIterator[httpx.AsyncClient]:
    url = "https://bot.example.vn" + WEBHOOK_PATH
    env = {
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_URL": url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    app = create_app(tg_settings(settings, bot_api.url, **env), core)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def test_webhook_mode_registers_and_receives(
    bot_api: FakeBotAPI, core: FakeCore, webhook: httpx.AsyncClient
) -> None:
    assert bot_api.webhook is not None
    assert bot_api.webhook["url"] == "https://bot.example.vn" + WEBHOOK_PATH
    assert bot_api.webhook["secret_token"] == SECRET
    assert bot_api.webhook["allowed_updates"] == ["message", "callback_query"]
    assert bot_api.webhook["drop_pending_updates"] is False
    assert not bot_api.called("getUpdates")
    update = {"update_id": 7, **message_update("chào")}
    response = await webhook.post(WEBHOOK_PATH, json=update,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})  # fmt: skip
    assert response.status_code == 200
    await bot_api.wait_until(lambda: len(bot_api.sent()) == 1)
    assert [m.text for m in core.seen] == ["chào"]


@pytest.mark.parametrize(("body", "headers", "status"), [
    (b'{"update_id": 1}', {}, 403),
    (b'{"update_id": 1}', {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, 403),
    (b'{"update_id": 1}', {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]}, 403),
    (b"{oops", {"X-Telegram-Bot-Api-Secret-Token": SECRET}, 400),
    (b"[1, 2]", {"X-Telegram-Bot-Api-Secret-Token": SECRET}, 400),
    (b'{"message": {}}', {"X-Telegram-Bot-Api-Secret-Token": SECRET}, 400),
    (b'{"update_id": 1}', {**HEADER, "content-type": "text/plain"}, 415),
    (b'{"update_id": 1, "message": 5}', {"X-Telegram-Bot-Api-Secret-Token": SECRET}, 400),
])  # fmt: skip
async def test_webhook_bad_input(
    bot_api: FakeBotAPI, core: FakeCore, webhook: httpx.AsyncClient,
    body: bytes, headers: dict[str, str], status: int,
) -> None:  # fmt: skip
    headers = {"content-type": "application/json", **headers}
    response = await webhook.post(WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == status
    assert core.seen == [] and bot_api.sent() == []


async def test_webhook_unknown_updates_and_big_bodies(
    bot_api: FakeBotAPI, core: FakeCore, webhook: httpx.AsyncClient, settings: Settings
) -> None:
    secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await webhook.post(WEBHOOK_PATH, json=fixture("my_chat_member"), headers=secret)
    assert response.status_code == 200
    response = await webhook.post(WEBHOOK_PATH, json=fixture("edited_message"), headers=secret)
    assert response.status_code == 200
    big = {"update_id": 2, **message_update("a" * settings.max_body_bytes)}
    assert (await webhook.post(WEBHOOK_PATH, json=big, headers=secret)).status_code == 413
    last = {"update_id": 3, **message_update("chào")}
    assert (await webhook.post(WEBHOOK_PATH, json=last, headers=secret)).status_code == 200
    await bot_api.wait_until(lambda: len(bot_api.sent()) == 1)  # updates run in order
    assert [m.text for m in core.seen] == ["chào"]


def test_the_route_exists_only_in_webhook_mode(settings: Settings) -> None:
    channel = TelegramChannel(tg_settings(settings, "http://127.0.0.1:9"), FakeCore())
    assert channel.routes() == []


async def settle(bot_api: FakeBotAPI, before: int) -> list[dict[str, Any]]:
    """The messages sent after `before`, once at least one came and none came for 0.5 s."""
    await bot_api.wait_until(lambda: len(bot_api.sent()) > before, timeout=60)
    count = -1
    while count != len(bot_api.sent()):
        count = len(bot_api.sent())
        await asyncio.sleep(0.5)
    return bot_api.sent()[before:]


@pytest.mark.model
async def test_the_real_bot_over_telegram(
    bot_api: FakeBotAPI, settings: Settings, real_core: Core
) -> None:
    app = create_app(tg_settings(settings, bot_api.url), real_core)
    store = real_core.store
    async with app.router.lifespan_context(app):

        async def exchange(update: dict[str, Any]) -> list[dict[str, Any]]:
            before = len(bot_api.sent())
            bot_api.push(update)
            return await settle(bot_api, before)

        assert await exchange(message_update("/start thcs_abc"))
        assert store.turns[-1].campaign == "thcs_abc"  # counted, nothing else kept
        replies = await exchange(message_update("con tôi bị bắt nạt trên mạng thì phải làm sao"))
        assert all(r["text"] for r in replies)
        keyboards = [r["reply_markup"]["inline_keyboard"] for r in replies if "reply_markup" in r]
        data = keyboards[-1][0][0]["callback_data"] if keyboards else "/ask_hotline"
        assert await exchange(callback_update(data, query_id="press1"))
        assert bot_api.called("answerCallbackQuery")[-1] == {"callback_query_id": "press1"}
        sticker = {"file_id": "x", "file_unique_id": "y", "type": "regular", "width": 1,
                   "height": 1, "is_animated": False, "is_video": False}  # fmt: skip
        [media] = await exchange(message_update(sticker=sticker))
        assert media["text"] in {
            real_core.content.say("media_other", a) for a in ("parent", "child")
        }
        urgent = await exchange(message_update("em muốn chết, không ai cần em nữa"))
        assert any("111" in r["text"] for r in urgent)
        group = {"id": -1001000000002, "type": "group", "title": "Test"}
        [link] = await exchange(message_update("chào bot", chat=group))
        assert f"https://t.me/{USERNAME}" in link["text"]
    assert str(USER_ID) not in repr(store.people) + repr(store.turns)
    assert all(p.startswith("telegram-") for p in store.people)
