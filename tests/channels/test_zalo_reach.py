"""The Zalo reply budget against the fake: merged sends, the last free reply kept for the help
card, Zalo's own quota count, counsellor replies refused with a reason, -230 recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
import pytest_asyncio

from bot.app import create_app
from bot.channels.zalo import WEBHOOK_PATH, ZaloChannel
from bot.channels.zalo_quota import ReplyRefused
from bot.messages import Button, OutgoingMessage
from bot.settings import Settings
from tests.channels.fake_core import FakeCore
from tests.channels.test_zalo_client import zalo_env
from tests.helpers.fake_zalo import FakeZalo, event, signed
from tests.helpers.fakes import Clock

USER = "8000000000000000009"
HOUR = 3600.0
LONG = "Một đoạn hướng dẫn dài. " * 60  # 1,440 characters: two never fit in one send


class Zalo:
    """The app on a simulated clock, the fake Zalo on the same clock, and a fake core."""

    def __init__(self, client: httpx.AsyncClient, channel: ZaloChannel, fake: FakeZalo,
                 core: FakeCore, clock: Clock[float]) -> None:  # fmt: skip
        self.client, self.channel, self.fake, self.core, self.clock = (
            client, channel, fake, core, clock)  # fmt: skip
        self.ids = 0

    async def writes(self, text: str) -> None:
        """The person sends a message; the bot's replies go out."""
        self.ids += 1
        body = event("user_send_text", USER, text=text, msg_id=f"r{self.ids}",
                     timestamp_ms=int(self.clock() * 1000))  # fmt: skip
        self.fake.saw(body)
        raw, headers = signed(body)
        response = await self.client.post(WEBHOOK_PATH, content=raw, headers=headers)
        assert response.json() == {"status": "accepted"}
        await self.channel.drain()

    async def counsellor(self, text: str) -> None:
        """A counsellor's reply, as `Core.deliver` pushes it."""
        await self.core.senders["zalo"].send(USER, [OutgoingMessage(text)])

    def person(self) -> str:
        return self.core.person_id("zalo", USER)


@pytest_asyncio.fixture(loop_scope="function")
async def zalo(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Zalo]:
    env: dict[str, str] = getattr(request, "param", {})
    clock: Clock[float] = Clock(1_800_000_000.0)
    fake = FakeZalo(clock=clock)
    await fake.start()
    core = FakeCore()
    app = create_app(Settings.from_env({**zalo_env(fake.url, tmp_path), **env}), core)
    channel = app.state.channels["zalo"]
    channel.clock = channel.client.clock = clock
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield Zalo(client, channel, fake, core, clock)
    finally:
        await fake.stop()


def sent(zalo: Zalo) -> list[str]:
    return [m["message"]["text"] for m in zalo.fake.messages]


def buttons_of(message: dict[str, Any]) -> list[str]:
    attachment = message["message"].get("attachment") or {"payload": {"buttons": []}}
    return [b["payload"] for b in attachment["payload"]["buttons"]]


async def test_a_turns_split_messages_go_out_in_as_few_sends_as_fit(zalo: Zalo) -> None:
    ask = OutgoingMessage("Bạn muốn gì?", (Button("Có", "/affirm"),))
    zalo.core.script = lambda m: [OutgoingMessage("Cảm ơn bạn."), OutgoingMessage("Gọi 111."), ask]
    await zalo.writes("chào")
    [message] = zalo.fake.messages
    assert message["message"]["text"] == "Cảm ơn bạn.\n\nGọi 111.\n\nBạn muốn gì?"
    assert buttons_of(message) == ["/affirm"]


async def test_the_last_free_reply_is_kept_for_the_help_card(zalo: Zalo) -> None:
    zalo.core.script = lambda m: [OutgoingMessage(f"{i}. {LONG}", (Button(f"B{i}", f"/b{i}"),))
                                  for i in range(10)]  # fmt: skip
    await zalo.writes("kể hết đi")
    texts = sent(zalo)
    assert len(texts) == 8 and zalo.fake.charged == []  # 8 free replies, none charged
    assert all(text.startswith(f"{i}.") for i, text in enumerate(texts[:7]))
    assert texts[-1] == zalo.core.content.help_card(None)  # 111 and how to reach us
    assert "111" in texts[-1]


async def test_a_counsellor_reply_beyond_the_budget_is_refused_with_a_reason(zalo: Zalo) -> None:
    await zalo.writes("chào")  # the bot's reply: 1 of 8
    for i in range(6):
        await zalo.counsellor(f"Tư vấn viên {i}")  # 7 of 8: the last one is kept
    with pytest.raises(ReplyRefused, match="no free Zalo reply"):
        await zalo.counsellor("Tư vấn viên 6")
    assert sent(zalo)[-1] == zalo.core.content.help_card(None)  # went with the last free reply
    with pytest.raises(ReplyRefused):
        await zalo.counsellor("Tư vấn viên 7")
    assert len(sent(zalo)) == 8 and zalo.fake.charged == []
    await zalo.writes("em đây")  # the person writes again: a new window
    await zalo.counsellor("Chào em")
    assert sent(zalo)[-1] == "Chào em" and zalo.fake.charged == []


async def test_zalos_own_count_of_free_replies_wins(zalo: Zalo) -> None:
    zalo.fake.free_replies = 3  # the OA manager sent replies too, or Zalo counts otherwise
    await zalo.writes("chào")  # Zalo: 2 left
    await zalo.counsellor("một")  # Zalo: 1 left, kept for the help card
    with pytest.raises(ReplyRefused):
        await zalo.counsellor("hai")
    assert sent(zalo)[-1] == zalo.core.content.help_card(None)
    assert zalo.fake.charged == []
    assert zalo.channel.reach.reach(zalo.person()).remain == 0


async def test_nothing_free_is_left_48_hours_after_the_persons_message(zalo: Zalo) -> None:
    await zalo.writes("chào")
    zalo.clock.now += 49 * HOUR
    with pytest.raises(ReplyRefused):
        await zalo.counsellor("Hôm qua thế nào?")
    assert len(sent(zalo)) == 1 and zalo.fake.charged == []


async def test_a_person_silent_for_7_days_is_recorded_unreachable(zalo: Zalo) -> None:
    zalo.fake.interactions[USER] = zalo.clock() - 8 * 24 * HOUR  # wrote before this process
    with pytest.raises(ReplyRefused, match="-230"):
        await zalo.counsellor("Em còn đó không?")
    reach = zalo.channel.reach.reach(zalo.person())
    assert reach is not None and reach.unreachable_code == -230
    refused = len(zalo.fake.refused)
    with pytest.raises(ReplyRefused):
        await zalo.counsellor("Em ơi")
    assert len(zalo.fake.refused) == refused  # not sent again to someone Zalo refuses
    await zalo.writes("em đây")
    assert not zalo.channel.reach.reach(zalo.person()).unreachable
    await zalo.counsellor("Chào em")
    assert sent(zalo)[-1] == "Chào em"


@pytest.mark.parametrize("zalo", [{"ZALO_FREE_REPLIES": "0"}], indirect=True)
async def test_free_replies_zero_means_no_limit_within_the_window(zalo: Zalo) -> None:
    zalo.fake.free_replies = 100  # Zalo's rule since 1 Jan 2026: unlimited within 48 h
    zalo.core.script = lambda m: [OutgoingMessage(f"{i}. {LONG}", (Button(f"B{i}", f"/b{i}"),))
                                  for i in range(10)]  # fmt: skip
    await zalo.writes("kể hết đi")
    assert len(sent(zalo)) == 10 and zalo.core.content.help_card(None) not in sent(zalo)


async def test_the_bots_reply_to_a_new_message_always_has_a_fresh_window(zalo: Zalo) -> None:
    zalo.core.script = lambda m: [OutgoingMessage(f"{i}. {LONG}") for i in range(3)]
    for i in range(4):
        await zalo.writes(f"tin {i}")
        zalo.clock.now += 30 * HOUR
    assert len(sent(zalo)) == 12 and zalo.fake.charged == []
    assert [m.text for m in zalo.core.seen] == [f"tin {i}" for i in range(4)]
