"""action_yes_no: "Có"/"Không" mean what the pending question asked."""

from __future__ import annotations

import pytest

from actions.common import claim_timeout_minutes
from actions.yes_no import HANDLERS, TURN_HANDLERS, ActionYesNo
from bot.content import Content
from tests.actions.conftest import make_tracker, slot_events
from tests.helpers.fakes import MemoryStore


async def answer(dispatcher, intent: str, **slots):
    text = "có" if intent == "affirm" else "không"
    return await ActionYesNo().run(dispatcher, make_tracker(text, intent, slots=slots), {})


async def test_yes_to_a_counsellor_records_the_case_before_saying_it_was_passed_on(
    dispatcher,
    content: Content,
    store: MemoryStore,
) -> None:
    await answer(
        dispatcher, "affirm", pending="counsellor", last_topic="urgent_danger", audience="child"
    )
    assert store.escalations and store.escalations[0]["priority"] == "urgent_danger"
    minutes = str(claim_timeout_minutes())
    assert dispatcher.messages[0]["text"] == content.protocol(
        "urgent_danger", "handed_over", "child", minutes=minutes
    )
    assert f"sau {minutes} phút" in dispatcher.messages[0]["text"]  # an honest wait, not "ngay"


async def test_no_to_a_counsellor_stays(dispatcher, content: Content, store: MemoryStore) -> None:
    await answer(dispatcher, "deny", pending="counsellor", last_topic="self_harm", audience="child")
    assert dispatcher.messages[0]["text"] == content.protocol("self_harm", "declined", "child")
    assert not store.escalations


@pytest.mark.parametrize(("intent", "key"), [("affirm", "safe"), ("deny", "unsafe")])
async def test_the_safety_check_answer_then_a_counsellor_offer(
    dispatcher, content: Content, intent: str, key: str
) -> None:
    events = await answer(dispatcher, intent, pending="safety_check", audience="child")
    assert dispatcher.messages[0]["text"] == content.protocol("self_harm", key, "child")
    assert dispatcher.messages[1]["text"] == content.protocol("self_harm", "offer", "child")
    assert slot_events(events)["pending"] == "counsellor"


async def test_confirmed_deletion_forgets_the_person(
    dispatcher, content: Content, store: MemoryStore
) -> None:
    store.touch_person("tg-abc123", "telegram", "sealed")
    events = await answer(dispatcher, "affirm", pending="delete")
    assert "tg-abc123" not in store.people
    assert slot_events(events)["forget"] is True
    assert dispatcher.messages[0]["text"] == content.say("delete_done", "parent")


async def test_cancelled_deletion_keeps_everything(
    dispatcher, content: Content, store: MemoryStore
) -> None:
    store.touch_person("tg-abc123", "telegram", "sealed")
    events = await answer(dispatcher, "deny", pending="delete")
    assert "tg-abc123" in store.people and "forget" not in slot_events(events)


async def test_not_this_twice_offers_a_person(dispatcher, content: Content) -> None:
    await answer(dispatcher, "deny", pending="clarify", misses=0.0)
    assert dispatcher.messages[0]["text"] == content.say("clarify_retry", "parent")
    await answer(dispatcher, "deny", pending="clarify", misses=1.0)
    assert dispatcher.messages[1]["text"] == content.say("two_misses", "parent")


async def test_yes_to_a_clarification_answers_the_first_guess(dispatcher, content: Content) -> None:
    await answer(dispatcher, "affirm", pending="clarify", guess="ask_scam")
    assert dispatcher.messages[0]["text"] == content.answer("ask_scam", "parent")


def test_every_pending_question_has_a_yes_and_a_no() -> None:
    for pending in ("counsellor", "safety_check", "thoughts", "delete", "clarify", None):
        for answer in ("affirm", "deny"):
            assert (pending, answer) in HANDLERS or (pending, answer) in TURN_HANDLERS


async def test_a_person_asked_for_after_two_misses_is_queued_as_a_fallback(
    dispatcher, content: Content, store: MemoryStore
) -> None:
    from actions.handoff import ActionRequestHuman

    tracker = make_tracker("/request_human", "request_human", slots={"last_topic": "fallback"})
    await ActionRequestHuman().run(dispatcher, tracker, {})
    assert store.escalations[0]["priority"] == "fallback"
    assert dispatcher.messages[0]["text"] == content.say(
        "request_human_on_duty", "parent", minutes="10"
    )


async def test_a_short_answer_while_waiting_for_a_person_reaches_the_case(
    dispatcher, store: MemoryStore
) -> None:
    """ "vẫn ở đây" to "are you safe?" while a counsellor is awaited (blind6 e19 lost it)."""
    tracker = make_tracker(
        "vẫn ở đây",
        "affirm",
        slots={"pending": "safety_check", "waiting": True, "protocol": "self_harm",
               "offered": True, "audience": "child", "last_topic": "self_harm"},
    )  # fmt: skip
    await ActionYesNo().run(dispatcher, tracker, {})
    assert store.escalations, "the message went to no case"
    assert store.escalations[0]["reason"] == "message while waiting"


@pytest.mark.parametrize("text", ["tôi phải làm sao", "giờ làm sao"])
async def test_what_to_do_read_as_a_yes_is_a_question_not_an_answer(
    dispatcher, content: Content, text: str
) -> None:
    """A model once read "tôi phải làm sao" as affirm (0.20): never "glad the child is safe"."""
    tracker = make_tracker(text, "affirm", slots={"pending": "safety_check", "audience": "parent",
                                                  "protocol": "self_harm"})  # fmt: skip
    await ActionYesNo().run(dispatcher, tracker, {})
    safe = content.protocol("self_harm", "safe", "parent")
    assert dispatcher.messages and all(m["text"] != safe for m in dispatcher.messages)
