import pytest

from bot.chat import chat, pick, render
from bot.messages import Button, IncomingMessage, OutgoingMessage


def test_render_numbers_buttons() -> None:
    message = OutgoingMessage("Chọn:", (Button("A", "/a"), Button("B", "/b")))
    assert render(message) == "Chọn:\n1. A\n2. B"


def test_pick_maps_numbers_to_payloads_only_in_range() -> None:
    buttons = (Button("A", "/a"),)
    assert pick("1", buttons) == "/a"
    assert pick("2", buttons) == "2"
    assert pick("111", buttons) == "111"  # the hotline number is never eaten by a menu


class FakeCore:
    def __init__(self) -> None:
        self.seen: list[IncomingMessage] = []

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        self.seen.append(message)
        return [OutgoingMessage("Gọi 111", (Button("Thêm", "/more"),))]


async def test_chat_loop_sends_normalised_text_and_button_payloads() -> None:
    core = FakeCore()
    inputs = iter(["  xin   chào ", "1", "/quit"])
    out: list[str] = []
    await chat(core, read=lambda _: next(inputs), write=out.append, platform_id="s1")
    assert [(m.channel, m.platform_id, m.text) for m in core.seen] == [
        ("terminal", "s1", "xin chào"),
        ("terminal", "s1", "/more"),
    ]
    assert "Đồng Hành: Gọi 111\n1. Thêm" in out


@pytest.mark.parametrize("end", [EOFError, KeyboardInterrupt])
async def test_chat_ends_on_end_of_input_or_ctrl_c(end: type[BaseException]) -> None:
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        if len(prompts) > 1:
            raise end
        return "chào"

    core, out = FakeCore(), []
    await chat(core, read=read, write=out.append, platform_id="s1")
    assert prompts == ["Bạn: ", "Bạn: "]  # asked again after the answer, then stopped
    assert [m.text for m in core.seen] == ["chào"]
    assert out[-1] == ""  # the prompt's line is ended before the shell comes back


async def test_empty_lines_reach_nobody() -> None:
    core = FakeCore()
    inputs = iter(["", "   ", "/quit"])
    await chat(core, read=lambda _: next(inputs), write=lambda _: None)
    assert core.seen == []
