"""`DialogueStateTracker.copy()` without replaying the whole conversation.

Rasa's processor copies the tracker before every action it runs (`_run_action`: the copy is
thrown away if the action is rejected). Rasa's `copy` makes a fresh tracker and applies every
event of the conversation to it again: ~4% of a turn, and more as the conversation grows. A
tracker's state is what its events made it, so the copy here takes that state as it is: the same
events (the same objects, as Rasa's replay shares them), the slots copied with their values, and
the few other attributes the events set. tests/test_tracker_copy.py checks that it is Rasa's
copy, attribute by attribute, for any sequence of events.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections import deque
from typing import Any, Callable

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker, TrackerActiveLoop

_PLAIN: dict[type, bool] = {}  # slot class → whether `_copied` may copy its `__dict__`
UNKNOWN = object()  # a latest message that is neither an event nor an empty one
RASA_COPY: Callable[[DialogueStateTracker], DialogueStateTracker] = DialogueStateTracker.copy


def copy_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """What `tracker.copy()` returns, without applying the events again.

    Rasa's own copy is used for what the shortcut does not know: a bounded history (the replay
    would start from the oldest event kept, not from the state the dropped ones left), events
    whose timestamp does not compare below infinity (the replay stops there, or raises), and a
    latest message that is neither an event nor an empty one (set by hand: the replay ignores it).
    """
    events = tracker.events
    if events.maxlen is not None:
        return RASA_COPY(tracker)
    try:
        ordered = all(event.timestamp <= math.inf for event in events)
    except TypeError:
        ordered = False
    if not ordered:
        return RASA_COPY(tracker)
    # The latest messages are events of the conversation, shared as the replay shares them, or
    # the empty ones a reset made, which the replay makes anew; anything else is Rasa's to copy.
    shared = {id(event) for event in events}
    message = _own(tracker.latest_message, shared)
    utterance = _own(tracker.latest_bot_utterance, shared)
    if message is UNKNOWN or utterance is UNKNOWN:
        return RASA_COPY(tracker)
    # What `DialogueStateTracker.__init__` sets (Rasa's copy starts from `init_copy`), set
    # directly: building a tracker resets every slot and makes two empty messages, the most
    # expensive part of a copy once nothing is replayed.
    new = DialogueStateTracker.__new__(DialogueStateTracker)
    new.__dict__.update(
        _max_event_history=None,
        events=deque(events),
        sender_id=tracker.sender_id or DEFAULT_SENDER_ID,
        slots={name: _copied(slot) for name, slot in tracker.slots.items()},  # with values
        sender_source=None,
        is_rule_tracker=tracker.is_rule_tracker,
        _paused=tracker._paused,
        followup_action=tracker.followup_action,
        latest_action=dict(tracker.latest_action) if tracker.latest_action is not None else None,
        latest_message=message,
        latest_bot_utterance=utterance,
        active_loop=_loop(tracker.active_loop),
        model_id=None,  # as `init_copy` leaves them: the events already carry them
        assistant_id=None,
    )
    return new


def _loop(loop: TrackerActiveLoop | None) -> TrackerActiveLoop | None:
    """A loop of its own, as the replay makes one (`change_loop_to`) with the message it read."""
    if loop is None:
        return None
    trigger = dict(loop.trigger_message) if loop.trigger_message is not None else None
    return dataclasses.replace(loop, trigger_message=trigger)


def _copied(slot: Slot) -> Slot:
    """`copy.copy(slot)` (every attribute, the value included) without `copy`'s generic path."""
    plain = _PLAIN.get(type(slot))
    if plain is None:
        plain = _PLAIN[type(slot)] = _plain(type(slot))
    if not plain:
        return copy.copy(slot)  # a slot that copies itself its own way
    new = object.__new__(type(slot))
    new.__dict__.update(slot.__dict__)
    return new


def _plain(kind: type) -> bool:
    """Whether `copy.copy` copies an instance of `kind` by copying its `__dict__`."""
    return (
        kind.__reduce_ex__ is object.__reduce_ex__
        and kind.__reduce__ is object.__reduce__
        and not any(hasattr(kind, name) for name in ("__copy__", "__getstate__", "__setstate__"))
        and not any(vars(base).get("__slots__") for base in kind.__mro__)  # () in abc.ABC
    )


def _own(value: Any, shared: set[int]) -> Any:
    """The copy's latest message: the same event, a new empty one, or `UNKNOWN`."""
    if value is None or id(value) in shared:
        return value
    empty = getattr(type(value), "empty", None)
    fresh = empty() if callable(empty) else None
    if fresh is None or _untimed(fresh) != _untimed(value):
        return UNKNOWN
    return fresh


def _untimed(event: Any) -> dict[str, Any]:
    return {key: value for key, value in event.as_dict().items() if key != "timestamp"}


def install() -> None:
    """Make `DialogueStateTracker.copy` the shortcut (idempotent)."""
    DialogueStateTracker.copy = copy_tracker  # type: ignore[method-assign]
