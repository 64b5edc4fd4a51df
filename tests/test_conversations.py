"""Whole conversations through the real model, the in-process actions and the conversation core."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.common import claim_timeout_minutes
from bot import runtime
from bot.content import Content, load_content
from bot.core import Core
from bot.engine.conversations import Engine
from bot.messages import IncomingMessage, OutgoingMessage
from bot.pseudonym import Pseudonymizer
from bot.settings import ROOT, Settings
from tests.helpers.fakes import MemoryStore

pytestmark = pytest.mark.model
CONVERSATIONS = ROOT / "tests" / "conversations"


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def core(
    agent: Any, settings: Settings, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> Core:
    content = load_content()
    monkeypatch.setattr(runtime, "_current", runtime.Services(settings, content, store))
    return Core(
        Engine(agent),
        store,
        Pseudonymizer(b"k" * 32),
        content,
        max_chars=settings.max_message_chars,
    )


def topic_stories() -> list[tuple[str, str, str]]:
    stories = yaml.safe_load((CONVERSATIONS / "topics.yml").read_text(encoding="utf-8"))["stories"]
    return [
        (s["steps"][0]["intent"], s["story"].rsplit(" ", 1)[-1], s["steps"][0]["user"].strip())
        for s in stories
    ]


async def say(core: Core, text: str, person: str) -> list[OutgoingMessage]:
    return await core.handle(IncomingMessage("telegram", person, text))


def test_e2e_stories_pass_rasa_test_core(trained_model: Path, tmp_path: Path) -> None:
    """`rasa test core --e2e` checks the intent of every message and the action that answers it."""
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run(
        [
            str(rasa),
            "test",
            "core",
            "--e2e",
            "--fail-on-prediction-errors",
            "-m",
            str(trained_model),
            "--stories",
            str(CONVERSATIONS),
            "--out",
            str(tmp_path / "results"),
            "--no-plot",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize(("intent", "who", "text"), topic_stories())
async def test_every_topic_is_answered_in_the_askers_voice(
    core: Core, intent: str, who: str, text: str
) -> None:
    replies = await say(core, text, uuid.uuid4().hex)
    if replies[0].text == core.content.say("safety_check", who):  # a grey message: check first
        replies = replies[1:]
    assert replies[0].text == core.content.answer(intent, who)
    payloads = [b.payload for b in replies[0].buttons]
    assert "/request_human" in payloads and any('"item"' in p for p in payloads)
    follow_up = next(p for p in payloads if '"item"' in p)
    deeper = await say(core, follow_up, uuid.uuid4().hex)
    key = follow_up.split('"item":"')[1].rstrip('"}')
    assert deeper[0].text == core.content.followup(intent, key, None)


URGENT = [
    (
        "có người dọa sẽ gửi ảnh khỏa thân của em cho cả lớp nếu em không chuyển tiền",
        "sextortion",
        "child",
    ),
    ("con gái tôi tối nay định đi gặp một người đàn ông quen qua game", "meeting", "parent"),
]


@pytest.mark.parametrize(("text", "situation", "who"), URGENT)
async def test_urgent_gets_111_first_and_a_counsellor_after_the_case_is_saved(
    core: Core, store: MemoryStore, text: str, situation: str, who: str
) -> None:
    from datetime import datetime, timezone

    store.mark_active("counsellor", datetime.now(timezone.utc))  # someone is on duty
    person = uuid.uuid4().hex
    replies = await say(core, text, person)
    assert replies[0].text == core.content.urgent_first(situation, who)
    assert "111" in replies[0].text
    assert [b.payload for b in replies[1].buttons] == ["/affirm", "/deny"]
    assert len(store.escalations) == 1
    yes = await say(core, "có", person)
    assert yes[0].text == core.content.protocol(
        "urgent_danger", "handed_over", who, minutes=str(claim_timeout_minutes())
    )
    store.seen.clear()


async def test_self_harm_asks_if_safe_then_offers_a_counsellor(
    core: Core, store: MemoryStore
) -> None:
    from datetime import datetime, timezone

    store.mark_active("counsellor", datetime.now(timezone.utc))  # someone is on duty
    person = uuid.uuid4().hex
    first = await say(core, "dạo này em chỉ muốn biến mất khỏi cuộc đời này", person)
    assert first[0].text == core.content.protocol("self_harm", "first", "child")
    assert store.escalations[0]["priority"] == "self_harm"
    safe = await say(core, "/deny", person)
    assert safe[0].text == core.content.protocol("self_harm", "unsafe", "child")
    assert safe[1].text == core.content.protocol("self_harm", "offer", "child")
    store.seen.clear()


async def test_self_harm_out_of_hours_never_promises_a_person(
    core: Core, store: MemoryStore
) -> None:
    """Nobody on duty: the offer says so, with 111; accepting leaves a note for the next shift."""
    person = uuid.uuid4().hex
    await say(core, "dạo này em chỉ muốn biến mất khỏi cuộc đời này", person)
    unsafe = await say(core, "/deny", person)
    assert unsafe[1].text == core.content.protocol("self_harm", "offer_closed", "child")
    yes = await say(core, "/affirm", person)
    assert yes[0].text == core.content.protocol("self_harm", "handed_over_closed", "child")
    assert "ngay tại đây" not in " ".join(r.text for r in unsafe + yes)
    assert store.escalations[0]["priority"] == "self_harm"


@pytest.mark.parametrize("word", ["111", "trợ giúp", "/help"])
async def test_the_safe_word_brings_back_the_contacts_in_any_state(core: Core, word: str) -> None:
    person = uuid.uuid4().hex
    await say(core, "con tôi bị lừa nạp thẻ game", person)
    replies = await say(core, word, person)
    assert replies[0].text == core.content.answer("ask_hotline", "parent")


async def test_the_safe_word_works_while_a_counsellor_holds_the_conversation(core: Core) -> None:
    from rasa.shared.core.events import ConversationPaused

    person = uuid.uuid4().hex
    await say(core, "tôi muốn gặp tư vấn viên", person)
    sender = core.person_id("telegram", person)
    tracker = await core.engine.agent.tracker_store.get_or_create_tracker(sender)
    tracker.update(ConversationPaused())
    await core.engine.agent.tracker_store.save(tracker)
    assert await say(core, "con tôi vẫn chưa về", person) == []
    replies = await say(core, "111", person)
    assert replies[0].text == core.content.help_card("parent")


async def test_deletion_removes_the_conversation_and_the_person(
    core: Core, store: MemoryStore
) -> None:
    person = uuid.uuid4().hex
    await say(core, "con tôi bị bắt nạt trên mạng", person)
    sender = core.person_id("telegram", person)
    assert sender in store.people
    asked = await say(core, "/xoa", person)
    assert asked[0].text == core.content.say("delete_confirm", "parent")
    done = await say(core, "/affirm", person)
    assert done[0].text == core.content.say("delete_done", "parent")
    assert sender not in store.people
    assert await core.engine.agent.tracker_store.retrieve(sender) is None


async def test_low_confidence_correction_then_two_misses(core: Core) -> None:
    person = uuid.uuid4().hex
    first = await say(core, "chuyện trên mạng", person)  # the model is unsure (< 0.45)
    assert first[0].buttons[-1].payload == "/deny", first[0].text
    retry = await say(core, "/deny", person)
    assert retry[0].text == core.content.say("clarify_retry", "parent")
    again = await say(core, "/deny", person)
    assert again[0].text == core.content.say("two_misses", "parent")


async def test_an_oversized_message_is_refused_and_changes_nothing(
    core: Core, store: MemoryStore
) -> None:
    replies = await say(core, "a" * (core.max_chars + 1), "x")
    assert str(core.max_chars) in replies[0].text
    assert not store.people and not store.turns


def test_content_names_what_the_stories_cover(root: Path) -> None:
    content: Content = load_content()
    intents = {i for i, _, _ in topic_stories()}
    assert intents == {
        i for i in content.topics if i not in ("ask_hotline", "ask_anonymity", "ask_capabilities")
    }


async def test_a_counsellors_pause_survives_a_new_session(core: Core) -> None:
    """After 60 idle minutes Rasa starts a new session; the bot must stay quiet while paused."""
    import time

    from rasa.shared.core.events import ConversationPaused, UserUttered

    person = uuid.uuid4().hex
    sender = core.person_id("telegram", person)
    tracker = await core.engine.agent.tracker_store.get_or_create_tracker(sender)
    tracker.update(UserUttered("con tôi đang gặp chuyện", timestamp=time.time() - 2 * 3600))
    tracker.update(ConversationPaused(timestamp=time.time() - 2 * 3600))
    await core.engine.agent.tracker_store.save(tracker)
    assert await say(core, "cô ơi con tôi vẫn chưa về", person) == []
    after = await core.engine.agent.tracker_store.retrieve(sender)
    assert after.is_paused()
    assert [e.type_name for e in after.events].count("session_started") >= 1


# Multi-turn dialogues (tests/conversations/dialogues.yml) ---------------------------------------
CHILD_ADDRESS = re.compile(r"(^|\n|\. )Em |\bem (có|hãy|gọi|cứ|đang|muốn|nhé|ơi)\b")
ADULT_ADDRESS = {
    "parent": "anh/chị",
    "grandparent": "ông/bà",
    "teacher": "thầy/cô",
    "adult": "anh/chị",
}


def dialogues() -> list[dict[str, Any]]:
    return yaml.safe_load((CONVERSATIONS / "dialogues.yml").read_text(encoding="utf-8"))


def check_voice(role: str, texts: list[str], where: str) -> None:
    joined = "\n".join(texts)
    if role == "child":
        assert not any(a in joined for a in ADULT_ADDRESS.values()), where
        return
    others = [a for a in ADULT_ADDRESS.values() if a != ADULT_ADDRESS[role]]
    assert not any(a in joined for a in others), where
    if role != "teacher":  # to a teacher, "em" is the pupil
        assert not CHILD_ADDRESS.search(joined), where


@pytest.mark.parametrize("dialogue", dialogues(), ids=lambda d: d["name"][:60])
async def test_dialogue(core: Core, store: MemoryStore, dialogue: dict[str, Any]) -> None:
    from datetime import datetime, timezone

    if dialogue.get("on_duty"):
        store.mark_active("counsellor", datetime.now(timezone.utc))
    person = uuid.uuid4().hex
    previous: list[str] = []
    for n, step in enumerate(dialogue["turns"], start=1):
        replies = await say(core, step["say"], person)
        texts = [r.text for r in replies]
        where = f"turn {n} {step['say']!r}:\n" + "\n---\n".join(texts)
        assert texts, where
        assert not set(texts) & set(previous), "a reply repeated: " + where
        joined = "\n".join(texts)
        buttons = [b.payload for r in replies for b in r.buttons]
        assert "111" in joined or "/ask_hotline" in buttons or "/request_human" in buttons, where
        for text in step.get("has", []):
            assert text in joined, f"{text!r} missing in " + where
        if step.get("has_any"):
            assert any(text in joined for text in step["has_any"]), where
        for text in step.get("lacks", []):
            assert text not in joined, f"{text!r} present in " + where
        for text in step.get("first_has", []):
            assert text in texts[0], f"{text!r} not first in " + where
        if step.get("voice"):
            check_voice(step["voice"], texts, where)
        if step.get("case_has"):
            lines = [m["text"] for c in store.escalations for m in c["context"]["last_messages"]]
            assert step["case_has"] in lines, where
        previous = texts
    store.seen.clear()


async def test_a_parent_in_the_self_harm_protocol_gets_a_parents_buttons(core: Core) -> None:
    """ "Con đang an toàn", not "Mình đang an toàn": the parent answers about the child."""
    replies = await say(core, "con tôi nói nó muốn chết, tôi phải làm gì", uuid.uuid4().hex)
    titles = [b.title for b in replies[0].buttons]
    content = core.content
    assert titles == [content.button("safe_yes_parent"), content.button("safe_no_parent")]
