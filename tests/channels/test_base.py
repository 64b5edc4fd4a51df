from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.base import CANNED, MESSAGE, Channel, Event, split_text
from bot.messages import Button, IncomingMessage, OutgoingMessage
from tests.channels.fake_core import FakeCore, FakeTracker


def test_short_text_is_one_part() -> None:
    assert split_text("Xin chào.", 100) == ["Xin chào."]
    assert split_text("   ", 100) == []


def test_split_prefers_line_breaks_then_sentences_then_spaces() -> None:
    assert split_text("Một hai.\nBa bốn năm.", 15) == ["Một hai.", "Ba bốn năm."]
    assert split_text("Câu một. Câu hai dài hơn.", 20) == ["Câu một.", "Câu hai dài hơn."]
    assert split_text("aaa bbb ccc", 8) == ["aaa bbb", "ccc"]
    assert split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


@given(st.text(alphabet="ab .\n!?ờ", max_size=300), st.integers(min_value=1, max_value=40))
def test_split_never_exceeds_the_limit_and_loses_no_word(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


class Recorder(Channel):
    name = "rec"
    max_text = 10

    def __init__(self) -> None:
        super().__init__(settings=None, core=FakeCore())  # type: ignore[arg-type]
        self.sent: list[tuple[str, str]] = []

    def parse(self, payload: dict[str, Any]) -> Event | None:
        return None

    async def send_text(self, recipient_id: str, text: str) -> None:
        self.sent.append((recipient_id, text))


async def test_send_splits_and_numbers_buttons_on_the_last_part() -> None:
    channel = Recorder()
    await channel.send("u1", [OutgoingMessage("aaaa bbbb cccc", (Button("Có", "/affirm"),))])
    assert channel.sent == [("u1", "aaaa bbbb"), ("u1", "cccc\n1. Có")]


async def test_canned_reply_uses_the_persons_voice() -> None:
    channel = Recorder()
    person = channel.core.person_id("rec", "u1")
    channel.core.trackers[person] = FakeTracker(slots={"audience": "child"})
    message = IncomingMessage("rec", "u1", "")
    [reply] = await channel.answer(Event(CANNED, message, reply="media_other"))
    assert reply.text == channel.core.content.say("media_other", "child")
    [other] = await channel.answer(Event(CANNED, IncomingMessage("rec", "u2", ""), "media_other"))
    assert other.text == channel.core.content.say("media_other", "parent")
    assert channel.core.seen == []


async def test_messages_go_to_the_core() -> None:
    channel = Recorder()
    [reply] = await channel.answer(Event(MESSAGE, IncomingMessage("rec", "u1", "chào")))
    assert reply.text == "Bạn nói: chào"
    with pytest.raises(TypeError):
        Channel(None, None)  # type: ignore[abstract]
