import pytest

from bot.language import is_english


@pytest.mark.parametrize("text", [
    "Hello, my son is being bullied online, what should I do?",
    "do you speak english",
    "someone keeps asking my daughter for photos",
    "Hi, how can I report a scam account?",
    "they want 10 triệu by tonight or they send the video to all his friends",  # a Vietnamese word
])  # fmt: skip
def test_english_messages(text: str) -> None:
    assert is_english(text)


@pytest.mark.parametrize("text", [
    "con toi bi lua nap the game",
    "e bi bat nat tren fb",
    "con tôi bị lừa nạp thẻ game",
    "help me",
    "an toan tren mang cho tre em",
    "me oi con so qua",
    "Ok thanks. Con tôi cũng hay xem YouTube với ông bà ngoại",  # mostly Vietnamese
    "the thoi a",  # "thế thôi à": two of three words are English ones
    "ok a, the thi sao",
])  # fmt: skip
def test_vietnamese_messages(text: str) -> None:
    assert not is_english(text)
