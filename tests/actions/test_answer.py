"""action_answer: topics in two voices, follow-ups, voice switch, clarification, deletion."""

from __future__ import annotations

import pytest

from actions.answer import CLARIFY_BELOW, ActionAnswer
from actions.turn import MAX_ITEM_BUTTONS
from bot.content import Content
from tests.actions.conftest import make_tracker, slot_events


async def run(dispatcher, tracker):
    return await ActionAnswer().run(dispatcher, tracker, {})


async def test_a_parent_gets_the_parent_voice_with_follow_ups(dispatcher, content: Content) -> None:
    events = await run(
        dispatcher, make_tracker("con tôi bị bạn bè bắt nạt trên facebook", "ask_cyberbullying")
    )
    message = dispatcher.messages[0]
    assert message["text"] == content.answer("ask_cyberbullying", "parent")
    payloads = [b["payload"] for b in message["buttons"]]
    items = {
        f'/ask_cyberbullying{{"item":"{key}"}}' for key, _ in content.followups("ask_cyberbullying")
    }
    offered = [p for p in payloads if '"item"' in p]
    assert len(offered) == MAX_ITEM_BUTTONS and set(offered) <= items
    assert "/request_human" in payloads
    assert '/ask_cyberbullying{"audience":"child"}' in payloads
    assert slot_events(events)["audience"] == "parent"
    assert slot_events(events)["last_topic"] == "ask_cyberbullying"


async def test_a_child_gets_the_child_voice(dispatcher, content: Content) -> None:
    await run(dispatcher, make_tracker("e bi ban cung lop bat nat tren fb", "ask_cyberbullying"))
    assert dispatcher.messages[0]["text"] == content.answer("ask_cyberbullying", "child")
    assert content.answer("ask_cyberbullying", "child") != content.answer(
        "ask_cyberbullying", "parent"
    )


async def test_a_follow_up_button_shows_that_item_and_offers_the_others(
    dispatcher, content: Content
) -> None:
    key, _ = content.followups("ask_scam")[0]
    tracker = make_tracker(
        f'/ask_scam{{"item":"{key}"}}',
        "ask_scam",
        confidence=1.0,
        entities={"item": key},
        slots={"audience": "child"},
    )
    await run(dispatcher, tracker)
    message = dispatcher.messages[0]
    assert message["text"] == content.followup("ask_scam", key, "child")
    payloads = [b["payload"] for b in message["buttons"]]
    assert f'/ask_scam{{"item":"{key}"}}' not in payloads
    assert "/request_human" in payloads


async def test_the_voice_button_switches_and_says_so(dispatcher, content: Content) -> None:
    tracker = make_tracker(
        '/ask_privacy{"audience":"child"}',
        "ask_privacy",
        confidence=1.0,
        entities={"audience": "child"},
        slots={"audience": "parent"},
    )
    events = await run(dispatcher, tracker)
    text = dispatcher.messages[0]["text"]
    assert text.startswith(content.say("audience_switched", "child"))
    assert text.endswith(content.answer("ask_privacy", "child"))
    assert slot_events(events)["audience"] == "child"


async def test_low_confidence_asks_with_the_top_two_guesses(dispatcher, content: Content) -> None:
    low = CLARIFY_BELOW - 0.1
    tracker = make_tracker(
        "cái app đó có sao không",
        "ask_privacy",
        confidence=low,
        ranking=[("ask_privacy", low), ("greet", 0.2), ("ask_parental_controls", 0.15)],
    )
    events = await run(dispatcher, tracker)
    message = dispatcher.messages[0]
    first, second = content.title("ask_privacy"), content.title("ask_parental_controls")
    assert message["text"] == content.say("clarify", "parent", first=first, second=second)
    assert [b["payload"] for b in message["buttons"]] == [
        "/ask_privacy",
        "/ask_parental_controls",
        "/request_human",  # a person is one step away from every reply
        "/deny",
    ]
    assert slot_events(events)["pending"] == "clarify"
    assert slot_events(events)["guess"] == "ask_privacy"


async def test_a_second_miss_offers_a_person_and_111(dispatcher, content: Content) -> None:
    low = CLARIFY_BELOW - 0.1
    tracker = make_tracker(
        "vẫn không phải",
        "ask_scam",
        confidence=low,
        ranking=[("ask_scam", low), ("ask_privacy", 0.2)],
        slots={"pending": "clarify", "misses": 1.0},
    )
    await run(dispatcher, tracker)
    message = dispatcher.messages[0]
    assert message["text"] == content.say("two_misses", "parent")
    assert [b["payload"] for b in message["buttons"]] == ["/request_human", "/ask_hotline"]


async def test_a_payload_is_never_second_guessed(dispatcher, content: Content) -> None:
    await run(dispatcher, make_tracker("/ask_scam", "ask_scam", confidence=0.1))
    assert dispatcher.messages[0]["text"] == content.answer("ask_scam", "parent")


async def test_small_talk_uses_its_own_wording(dispatcher, content: Content) -> None:
    await run(dispatcher, make_tracker("chào ad", "greet", slots={"audience": "parent"}))
    assert dispatcher.messages[0]["text"] == content.say("greet", "parent")
    assert "/ask_capabilities" in [b["payload"] for b in dispatcher.messages[0]["buttons"]]


async def test_a_greeting_from_someone_unknown_is_neutral_and_offers_both_voices(
    dispatcher, content: Content
) -> None:
    """ "chào bạn" from a 10-year-old must not be answered "Xin chào anh/chị"."""
    await run(dispatcher, make_tracker("chào bạn", "greet"))
    reply = dispatcher.messages[0]
    assert reply["text"] == content.say("greet_unknown", None)
    assert "anh/chị" not in reply["text"] and "111" in reply["text"]
    payloads = [b["payload"] for b in reply["buttons"]]
    assert '/ask_capabilities{"audience":"child"}' in payloads
    assert '/ask_capabilities{"audience":"parent"}' in payloads


async def test_asking_to_delete_explains_what_is_kept_and_asks_to_confirm(
    dispatcher, content: Content
) -> None:
    events = await run(dispatcher, make_tracker("xóa dữ liệu của em đi", "ask_anonymity"))
    message = dispatcher.messages[0]
    assert message["text"] == content.say("delete_confirm", "child")
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny", "/ask_hotline"]
    assert slot_events(events)["pending"] == "delete"


async def test_privacy_question_without_deletion_gets_the_privacy_notice(
    dispatcher, content: Content
) -> None:
    await run(dispatcher, make_tracker("em có phải khai tên không", "ask_anonymity"))
    assert dispatcher.messages[0]["text"] == content.answer("ask_anonymity", "child")


async def test_a_grey_message_gets_a_safety_check_with_111_before_the_answer(
    dispatcher, content: Content
) -> None:
    tracker = make_tracker("con tôi hay nói chuyện với người lạ tới khuya", "ask_grooming",
                           grey=True)  # fmt: skip
    await run(dispatcher, tracker)
    check, answer = dispatcher.messages[0], dispatcher.messages[1]
    assert check["text"] == content.say("safety_check", "parent")
    assert "111" in check["text"]
    assert [b["payload"] for b in check["buttons"]] == ["/urgent_danger", "/ask_hotline"]
    assert answer["text"] == content.answer("ask_grooming", "parent")


async def test_a_grey_message_right_after_the_safety_check_gets_the_answer_first(
    dispatcher, content: Content
) -> None:
    # the check was the previous turn's first line (a clarifying question left the topic open):
    # not the same check again, but the answer and then the one-line reminder (multiturn7 g19)
    text = "hỏi thì nó bảo quảng cáo hiện ra, bấm vào là ra luôn"
    tracker = make_tracker(text, "ask_harmful_content", grey=True)
    check = content.say("safety_check", "parent")
    earlier = {"event": "user", "text": "thấy lịch sử có web người lớn", "timestamp": 0.5}
    tracker.events[:0] = [earlier, {"event": "bot", "text": check, "timestamp": 0.6}]
    tracker.events = [e for e in tracker.events if e.get("text") != "Chào bạn"]
    await run(dispatcher, tracker)
    texts = [m["text"] for m in dispatcher.messages]
    assert check not in texts
    assert texts[0] == content.answer("ask_harmful_content", "parent")
    assert texts[-1] == content.say("safety_after", "parent")


async def test_a_grey_child_gets_the_check_in_the_child_voice(dispatcher, content: Content) -> None:
    await run(dispatcher, make_tracker("e hay chat vs 1 anh tren game toi khuya", "ask_grooming",
                                       grey=True))  # fmt: skip
    assert dispatcher.messages[0]["text"] == content.say("safety_check", "child")
    assert "111" in dispatcher.messages[0]["text"]


async def test_a_clear_message_or_a_button_gets_no_safety_check(
    dispatcher, content: Content
) -> None:
    await run(dispatcher, make_tracker("cài family link thế nào", "ask_parental_controls"))
    await run(dispatcher, make_tracker("/ask_grooming", "ask_grooming", grey=True))
    texts = [m["text"] for m in dispatcher.messages]
    assert content.say("safety_check", "parent") not in texts
    assert content.say("safety_check", "child") not in texts


async def test_a_message_in_english_gets_an_english_sentence_with_111_and_a_person(
    dispatcher, content: Content
) -> None:
    text = "Hello, my son is being bullied online, what should I do?"
    await run(dispatcher, make_tracker(text, "ask_cyberbullying", slots={"audience": "parent"}))
    reply = dispatcher.messages[0]
    assert reply["text"] == content.say("english", "parent")
    assert "only answers in Vietnamese" in reply["text"] and "111" in reply["text"]
    assert [b["payload"] for b in reply["buttons"]] == ["/request_human", "/ask_hotline"]
    assert len(dispatcher.messages) == 1


async def test_talking_to_an_ai_app_is_a_question_about_the_app_not_a_request_for_a_person(
    dispatcher, content: Content
) -> None:
    # multiturn10 m09: an 11-year-old's "app nói chuyện với AI" was read as "talk to someone"
    text = "bạn em chơi app nói chuyện với AI, có nhân vật làm bạn trai ảo, em chơi được không ạ"
    ranking = [("request_human", 0.69), ("ask_harmful_content", 0.15), ("ask_digital_skills", 0.14)]
    await run(dispatcher, make_tracker(text, "request_human", confidence=0.69, ranking=ranking))
    texts = [m["text"] for m in dispatcher.messages]
    assert texts and not any("tư vấn viên đang trực" in t for t in texts)  # no hand-over
    companion = content.followup("ask_grooming", "ai_companion", "child")
    assert companion in texts  # grooming's AI companion apps, not fake news' deepfakes


@pytest.mark.parametrize(
    ("text", "ranking", "expected"),
    [
        # not wanting the AI is a request for a person
        (
            "em không muốn nói chuyện với AI nữa, cho em gặp cô tư vấn",
            [("request_human", 0.9), ("ask_harmful_content", 0.05)],
            "tư vấn viên",
        ),
        # no app or character named: a question about us
        (
            "em đang nói chuyện với AI hay người thật vậy",
            [("bot_challenge", 0.8), ("ask_harmful_content", 0.1)],
            "trợ lý tự động",
        ),
    ],
)
async def test_talking_to_an_ai_without_an_app_in_view_is_still_about_us(
    dispatcher, content: Content, text: str, ranking: list[tuple[str, float]], expected: str
) -> None:
    intent, confidence = ranking[0]
    await run(dispatcher, make_tracker(text, intent, confidence=confidence, ranking=ranking))
    assert any(expected in m["text"] for m in dispatcher.messages)
