import pytest

from bot.language import asks_if_human_in_english, is_english


@pytest.mark.parametrize("text", [
    "Hello, my son is being bullied online, what should I do?",
    "do you speak english",
    "someone keeps asking my daughter for photos",
    "Hi, how can I report a scam account?",
    "they want 10 triệu by tonight or they send the video to all his friends",  # a Vietnamese word
    # few of their words are on the common list; most of the rest are no Vietnamese syllable
    "My son is 13. He's been chatting with one of those AI companion apps every night, he calls"
    " the character his best friend. My wife thinks it's harmless, I'm not so sure.",
    "One more thing - how do I bring this up without him feeling like I'm spying on him?",
    "what's the chroming challenge? heard about it at my kid's school",
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
    "ok cam on",  # thanks typed without accents (multiturn14 m19)
    "Ok thanks. Con tôi cũng hay xem YouTube với ông bà ngoại",  # mostly Vietnamese
    "the thoi a",  # "thế thôi à": two of three words are English ones
    "ok a, the thi sao",
    # long, unaccented, with teencode and English loanwords: still Vietnamese
    "ad oi e bi may dua trong lop chui moi ngay tren fb, e ko bik lam j",
    "con toi choi game online suot dem, toi phai cai app gi de khoa may",
    "acc insta e bi hack r, no doi ca email sdt luon, gio e ko login dc",
    "tk fb cua con bi khoa vi post anh, unlock kieu gi ad",
])  # fmt: skip
def test_vietnamese_messages(text: str) -> None:
    assert not is_english(text)


@pytest.mark.parametrize(
    "text",
    [
        "are you a bot?",
        "R u a real person",
        "is this a bot or a human",
        "can I talk to a real person",
        "is anyone there real",
    ],
)
def test_english_questions_whether_a_person_is_there(text: str) -> None:
    assert asks_if_human_in_english(text)


@pytest.mark.parametrize(
    "text",
    ["my son plays Roblox every night", "are you sure this is safe", "a real problem with TikTok"],
)
def test_other_english_messages_do_not_ask_for_a_person(text: str) -> None:
    assert not asks_if_human_in_english(text)
