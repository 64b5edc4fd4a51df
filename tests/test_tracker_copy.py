"""`bot.tracker_copy.copy_tracker` is Rasa's `DialogueStateTracker.copy`, attribute by attribute."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.tracker_copy import RASA_COPY, copy_tracker
from tests.property.strategies import PROPS, tracker_events


def _more_events() -> st.SearchStrategy[Any]:
    """Events the rule-policy strategy leaves out that change a tracker's state too."""
    from rasa.shared.core.events import (
        ActionExecutionRejected,
        AllSlotsReset,
        ConversationPaused,
        ConversationResumed,
        LoopInterrupted,
        ReminderScheduled,
        SlotSet,
    )

    return st.one_of(
        st.sampled_from([ConversationPaused(), ConversationResumed(), AllSlotsReset()]),
        st.booleans().map(LoopInterrupted),
        st.sampled_from(["a_form", "action_answer"]).map(ActionExecutionRejected),
        st.just(ReminderScheduled("greet", trigger_date_time=datetime(2030, 1, 1))),
        st.sampled_from([True, False, None]).map(lambda v: SlotSet("forget", v)),
    )


def _same(name: str, ours: Any, rasas: Any) -> None:
    """One attribute of the two copies: equal, and shared with the original only where Rasa's is."""
    if name == "events":
        assert list(ours) == list(rasas) and ours.maxlen == rasas.maxlen
        assert all(a is b for a, b in zip(ours, rasas, strict=True))  # the same event objects
    elif name == "slots":
        assert ours.keys() == rasas.keys()
        for key in ours:
            assert type(ours[key]) is type(rasas[key]) and vars(ours[key]) == vars(rasas[key])
    elif name in ("latest_message", "latest_bot_utterance"):
        assert type(ours) is type(rasas)
        # the same event, or two empty messages, each made when its copy was (their times differ)
        assert ours is rasas or _untimed(ours) == _untimed(rasas)
    elif name == "active_loop" and ours is not None:
        assert dataclasses.asdict(ours) == dataclasses.asdict(rasas)
    else:
        assert ours == rasas, name


def _untimed(event: Any) -> dict[str, Any]:
    return {key: value for key, value in event.as_dict().items() if key != "timestamp"}


def _check(tracker: Any) -> None:
    ours, rasas = copy_tracker(tracker), RASA_COPY(tracker)
    assert ours is not tracker and type(ours) is type(rasas)
    assert vars(ours).keys() == vars(rasas).keys()
    for name in vars(rasas):
        _same(name, vars(ours)[name], vars(rasas)[name])
    # what Rasa's copy makes anew is not shared with the original either
    for name in ("slots", "latest_action", "active_loop"):
        if getattr(tracker, name):
            assert getattr(ours, name) is not getattr(tracker, name)
    for key in tracker.slots:
        assert ours.slots[key] is not tracker.slots[key]
    loop = tracker.active_loop
    if loop is not None and loop.trigger_message is not None:
        assert ours.active_loop.trigger_message is not loop.trigger_message
    for name in ("latest_message", "latest_bot_utterance"):
        original = getattr(tracker, name)
        assert (getattr(ours, name) is original) == (getattr(rasas, name) is original)


@PROPS
@given(data=st.data())
def test_the_copy_is_rasas_copy_for_any_conversation(agent: Any, data: st.DataObject) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = agent.domain
    tracker = DialogueStateTracker("someone", domain.slots)
    if data.draw(st.booleans()):
        tracker.model_id, tracker.assistant_id = "model", "assistant"  # as the processor sets them
    events = st.one_of(tracker_events(domain), _more_events())
    for event in data.draw(st.lists(events, max_size=30)):
        tracker.update(event)
        _check(tracker)


def test_a_fresh_tracker_and_a_real_conversation_are_copied_as_rasa_does(agent: Any) -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("someone", agent.domain.slots)
    _check(tracker)
    conversation = [
        ActionExecuted("action_listen"),
        UserUttered("con tôi bị lừa", {"name": "ask_scam"}),
        SlotSet("audience", "parent"),
        BotUttered("Bố mẹ đừng lo"),
        ActionExecuted("action_listen"),
    ]
    for event in conversation:
        tracker.update(event)
        _check(tracker)


def test_an_empty_message_the_copy_changes_is_not_the_originals(agent: Any) -> None:
    from rasa.shared.core.events import ActionExecuted, EntitiesAdded
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("someone", agent.domain.slots)
    tracker.update(ActionExecuted("action_listen"))  # no message yet: an empty one from the reset
    copied = copy_tracker(tracker)
    copied.update(EntitiesAdded([{"entity": "platform", "value": "fb"}]))
    assert copied.latest_message.entities and not tracker.latest_message.entities


@pytest.mark.parametrize("case", ["bounded", "timestamp", "detached"])
def test_what_the_shortcut_does_not_know_is_left_to_rasa(agent: Any, case: str) -> None:
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(
        "someone", agent.domain.slots, max_event_history=3 if case == "bounded" else None
    )
    events = [SlotSet("audience", "parent"), UserUttered("một", {"name": "greet"}),
              ActionExecuted("utter_greet"), UserUttered("hai", {"name": "thank"})]  # fmt: skip
    for event in events:
        tracker.update(event)
    if case == "timestamp":
        events[1].timestamp = float("nan")  # Rasa's replay stops at it
    if case == "detached":  # set by hand, not by an event: the replay does not see it
        tracker.latest_message = UserUttered("lạ", {"name": "greet"})
    _check(tracker)
    copied = copy_tracker(tracker)
    if case == "bounded":  # replayed from the oldest event kept: not the original's state
        assert tracker.get_slot("audience") == "parent" and copied.get_slot("audience") is None
    if case == "timestamp":
        assert len(copied.events) == 1
    if case == "detached":
        assert copied.latest_message.text == "hai"


def test_a_slot_that_copies_itself_its_own_way_is_copied_that_way() -> None:
    from rasa.shared.core.slots import TextSlot
    from rasa.shared.core.trackers import DialogueStateTracker

    copied: list[str] = []

    class OwnCopySlot(TextSlot):
        def __copy__(self) -> "OwnCopySlot":
            copied.append(self.name)
            twin = OwnCopySlot(self.name, mappings=[])
            twin.value = self.value
            return twin

    tracker = DialogueStateTracker("someone", [OwnCopySlot("note", mappings=[])])
    tracker.slots["note"].value = "ghi chú"
    copied.clear()  # the tracker copied it when it was made
    assert copy_tracker(tracker).get_slot("note") == "ghi chú" and copied == ["note"]
