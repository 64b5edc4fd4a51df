"""The urgent protocols: 111 in the very first message, the case recorded, a counsellor offered."""

from __future__ import annotations

from actions.urgent import ActionSelfHarm, ActionUrgent, about_a_friend
from bot.content import Content
from tests.actions.conftest import make_tracker, slot_events
from tests.helpers.fakes import MemoryStore

SEXTORTION = "e bị 1 ng lạ dọa tung ảnh nóng nếu ko chuyển tiền"
MEETING = "con gái tôi tối nay hẹn gặp người quen trên mạng"


async def test_urgent_first_message_is_the_situation_reply_with_111(
    dispatcher, content: Content, store: MemoryStore
) -> None:
    events = await ActionUrgent().run(
        dispatcher, make_tracker(SEXTORTION, "urgent_danger", urgent=True), {}
    )
    first = dispatcher.messages[0]
    assert first["text"] == content.urgent_first("sextortion", "child")
    assert "111" in first["text"] and not first["buttons"]
    assert dispatcher.messages[1]["text"] == content.protocol("urgent_danger", "offer", "child")
    assert [b["payload"] for b in dispatcher.messages[1]["buttons"]] == ["/affirm", "/deny"]
    [case] = store.escalations
    assert case["priority"] == "urgent_danger" and case["reason"] == "sextortion"
    assert case["context"]["audience"] == "child" and case["context"]["urgent"] is True
    assert case["context"]["last_messages"][-1]["text"] == SEXTORTION
    assert slot_events(events)["pending"] == "counsellor"


async def test_a_planned_meeting_gets_its_own_first_step(dispatcher, content: Content) -> None:
    await ActionUrgent().run(dispatcher, make_tracker(MEETING, "urgent_danger"), {})
    assert dispatcher.messages[0]["text"] == content.urgent_first("meeting", "parent")


async def test_when_recording_fails_the_bot_says_so_and_offers_nothing(
    dispatcher, content: Content, store: MemoryStore
) -> None:
    store.fail = True
    await ActionUrgent().run(dispatcher, make_tracker(MEETING, "urgent_danger"), {})
    assert "111" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[1]["text"] == content.protocol(
        "urgent_danger", "not_recorded", "parent"
    )
    assert len(dispatcher.messages) == 2


async def test_self_harm_asks_if_safe_with_111_first(
    dispatcher, content: Content, store: MemoryStore
) -> None:
    events = await ActionSelfHarm().run(
        dispatcher, make_tracker("em không muốn sống nữa", "self_harm"), {}
    )
    first = dispatcher.messages[0]
    assert first["text"] == content.protocol("self_harm", "first", "child")
    assert [b["payload"] for b in first["buttons"]] == ["/affirm", "/deny"]
    assert store.escalations[0]["priority"] == "self_harm"
    assert slot_events(events)["pending"] == "safety_check"


async def test_an_attempt_under_way_gets_115_first_in_both_voices(
    dispatcher, content: Content, store: MemoryStore
) -> None:
    await ActionSelfHarm().run(
        dispatcher,
        make_tracker("em uống hết lọ thuốc ngủ của mẹ rồi, em thấy chóng mặt", "self_harm"),
        {},
    )
    first = dispatcher.messages[0]["text"]
    assert first == content.protocol("self_harm", "attempt", "child")
    assert first.index("115") < first.index("111")
    await ActionSelfHarm().run(
        dispatcher, make_tracker("con toi vua uong ca vi thuoc ngu", "self_harm",
                                 slots={"audience": "parent"}), {}
    )  # fmt: skip
    assert dispatcher.messages[1]["text"] == content.protocol("self_harm", "attempt", "parent")
    assert store.escalations[-1]["priority"] == "self_harm"


WORRIED = "có nên nói với cô chủ nhiệm không hay nói xong tụi nó càng ghét em?"
DISTRESSED = "em mệt mỏi lắm, có nên nói với cô chủ nhiệm không hay nói xong tụi nó càng ghét em?"


def worried_question(score: float, text: str = DISTRESSED) -> object:
    """A question after the bullying answer that only the model reads as self-harm."""
    tracker = make_tracker(
        text, "self_harm", slots={"last_topic": "ask_cyberbullying", "audience": "child"}
    )
    tracker.latest_message["safety"].update({"reason": "model", "score": score, "urgent": True})
    return tracker


async def test_a_question_only_the_model_reads_as_despair_gets_the_check_in_then_its_answer(
    dispatcher, content: Content, store: MemoryStore
) -> None:
    events = await ActionSelfHarm().run(dispatcher, worried_question(0.6), {})
    first = dispatcher.messages[0]
    assert first["text"] == content.protocol("self_harm", "check_in", "child")
    assert "111" in first["text"]
    assert [b["payload"] for b in first["buttons"]] == ["/affirm", "/deny"]
    assert len(dispatcher.messages) >= 2  # the question's answer follows in the same turn
    assert content.protocol("self_harm", "first", "child") not in [
        m["text"] for m in dispatcher.messages
    ]
    assert store.escalations[0]["priority"] == "self_harm"
    assert slot_events(events)["pending"] == "thoughts"


async def test_without_words_of_distress_the_check_in_gives_111_without_asking_about_suicide(
    dispatcher, content: Content, store: MemoryStore
) -> None:
    events = await ActionSelfHarm().run(dispatcher, worried_question(0.6, WORRIED), {})
    first = dispatcher.messages[0]
    assert first["text"] == content.protocol("self_harm", "check_in_gentle", "child")
    assert "111" in first["text"] and "tự tử" not in first["text"]
    assert len(dispatcher.messages) >= 2  # the question's answer follows in the same turn
    assert store.escalations[0]["priority"] == "self_harm"  # a counsellor still sees it
    assert slot_events(events).get("pending") is None  # nothing was asked: "có" is no answer


def model_reads_despair(text: str, topic: str) -> object:
    """An adult's message inside `topic` that only the model reads as self-harm."""
    tracker = make_tracker(text, "self_harm", slots={"last_topic": topic, "audience": "parent"})
    tracker.latest_message["safety"].update({"reason": "model", "score": 0.6, "urgent": True})
    return tracker


async def test_an_adult_gets_the_gentle_check_in_whatever_the_words(
    dispatcher, content: Content
) -> None:
    tracker = model_reads_despair(
        "con bé mới 9 tuổi mà hắn đăng ảnh kèm tên trường, chị mệt mỏi lắm, chị sợ lắm",
        "ask_privacy",
    )
    await ActionSelfHarm().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == content.protocol(
        "self_harm", "check_in_gentle", "parent"
    )


async def test_when_the_detector_reads_nothing_the_check_is_the_gentler_safety_check(
    dispatcher, content: Content
) -> None:
    await ActionSelfHarm().run(dispatcher, worried_question(0.02), {})
    assert dispatcher.messages[0]["text"] == content.say("safety_check", "child")
    assert "111" in dispatcher.messages[0]["text"]


async def test_words_of_self_harm_still_start_the_protocol_inside_a_topic(
    dispatcher, content: Content
) -> None:
    tracker = worried_question(0.6)
    tracker.latest_message["safety"].update({"reason": "rule", "rules": ["suicide_words"]})
    await ActionSelfHarm().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == content.protocol("self_harm", "first", "child")


async def test_a_check_in_with_no_answer_after_it_does_not_promise_one(dispatcher) -> None:
    tracker = model_reads_despair("thật ra tôi là bà ngoại của cháu", "ask_harmful_content")
    await ActionSelfHarm().run(dispatcher, tracker, {})
    texts = [m["text"] for m in dispatcher.messages]
    assert "111" in texts[0]
    assert texts[1:] == []  # a remark: nothing to answer
    assert "ở ngay dưới" not in texts[0]


def test_an_urgent_reply_that_would_ask_before_111_gets_the_hotline_first(
    dispatcher, content: Content
) -> None:
    from actions.turn import Turn
    from actions.urgent import hotline_first

    turn = Turn(dispatcher, make_tracker("cháu nó đang ngủ, có nên đánh thức không", "self_harm"),
                content)  # fmt: skip
    dispatcher.utter_message(text='Nếu con thức: "Con mệt lắm phải không?" Rồi gọi 111 ngay.')
    hotline_first(turn)
    assert dispatcher.messages[0]["text"].startswith(content.say("hotline_first", "parent"))
    dispatcher.messages.clear()
    dispatcher.utter_message(text="Gọi 111 ngay. Con có đang ở cạnh anh/chị không?")
    hotline_first(turn)
    assert dispatcher.messages[0]["text"] == "Gọi 111 ngay. Con có đang ở cạnh anh/chị không?"


def test_a_friends_quoted_post_makes_a_bystander() -> None:
    farewell = "từ mai sẽ không ai phải thấy mặt tôi nữa"
    assert about_a_friend(f"Quân lớp tớ đăng story nền đen, ghi «{farewell}»")
    assert about_a_friend('nó đăng "bye mọi người" rồi tắt máy')


def test_the_writers_own_quoted_post_is_not_a_bystanders() -> None:
    assert not about_a_friend('em vừa đăng story ghi "tạm biệt mọi người"')
    assert not about_a_friend('mình đăng status "mệt quá, muốn biến mất"')
