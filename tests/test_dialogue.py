"""The dialogue: every intent is answered; urgent messages get 111 in the very first reply."""

from __future__ import annotations

import uuid

import pytest
import yaml

from bot.nlu.datacheck import ALL_LABELS

URGENT_SAMPLES = [
    "con tôi bị người lạ dọa tung ảnh",
    "e bi ng la doi anh nong, no bao ko gui thi no dang len fb",
    "em muốn chết",
    "t ko muon song nua",
    "tối nay em hẹn gặp anh quen qua game",
    "con gái tôi mất tích sau khi đi gặp bạn quen trên mạng",
]


def test_every_label_has_a_rule_and_urgent_labels_run_their_protocol(root) -> None:
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) == set(ALL_LABELS)
    rules = yaml.safe_load(
        (root / "nlu_data" / "rules" / "answers.yml").read_text(encoding="utf-8")
    )
    answered = {r["steps"][0]["intent"]: r["steps"][1]["action"] for r in rules["rules"]}
    assert set(answered) == set(ALL_LABELS)
    assert answered["urgent_danger"] == "action_urgent"
    assert answered["self_harm"] == "action_self_harm"
    assert set(answered.values()) <= set(domain["actions"])


@pytest.mark.model
@pytest.mark.parametrize("text", URGENT_SAMPLES)
async def test_first_reply_to_an_urgent_message_carries_111(agent, text: str) -> None:
    replies = await agent.handle_text(text, sender_id=f"t-{uuid.uuid4().hex}")
    assert replies, "no reply"
    assert "111" in replies[0]["text"]


@pytest.mark.model
async def test_urgent_message_mid_conversation_still_gets_111_first(agent) -> None:
    sender = f"t-{uuid.uuid4().hex}"
    await agent.handle_text("chào ad", sender_id=sender)
    await agent.handle_text("cài family link thế nào", sender_id=sender)
    replies = await agent.handle_text("có người đòi ảnh nude của em", sender_id=sender)
    assert "111" in replies[0]["text"]


@pytest.mark.model
async def test_ordinary_question_gets_its_topic_answer(agent) -> None:
    from bot.content import load_content

    replies = await agent.handle_text("cai family link the nao", sender_id=f"t-{uuid.uuid4().hex}")
    assert replies[0]["text"] == load_content().answer("ask_parental_controls", "parent")
