from bot.chat import chat, pick, render


def test_render_numbers_buttons() -> None:
    shown, buttons = render(
        {
            "text": "Chọn:",
            "buttons": [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}],
        }
    )
    assert shown == "Chọn:\n  1. A\n  2. B"
    assert len(buttons) == 2


def test_pick_maps_numbers_to_payloads_only_in_range() -> None:
    buttons = [{"title": "A", "payload": "/a"}]
    assert pick("1", buttons) == "/a"
    assert pick("2", buttons) == "2"
    assert pick("111", buttons) == "111"  # the hotline number is never eaten by a menu


class FakeAgent:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def handle_text(self, text: str, sender_id: str) -> list[dict]:
        self.seen.append((text, sender_id))
        return [{"text": "Gọi 111", "buttons": [{"title": "Thêm", "payload": "/more"}]}]


async def test_chat_loop_sends_normalised_text_and_button_payloads() -> None:
    agent = FakeAgent()
    inputs = iter(["  xin   chào ", "1", "/quit"])
    out: list[str] = []
    await chat(agent, read=lambda _: next(inputs), write=out.append, sender_id="s1")
    assert agent.seen == [("xin chào", "s1"), ("/more", "s1")]
    assert "Đồng Hành: Gọi 111\n  1. Thêm" in out


async def test_chat_ends_on_end_of_input() -> None:
    def read(_: str) -> str:
        raise EOFError

    await chat(FakeAgent(), read=read, write=lambda _: None)
