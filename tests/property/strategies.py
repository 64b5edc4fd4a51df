"""Shared hypothesis settings and strategies for the property tests.

Every property runs with `PROPS`: a fixed number of examples, derandomised (the same examples on
every run, so CI is reproducible) and no example database (no `.hypothesis/` folder is written).
"""

from __future__ import annotations

import os
import unicodedata
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# `make test` tries 200 examples of each property; `make test-fast` the first 25 of them.
EXAMPLES = 25 if os.environ.get("DONGHANH_TEST_FAST") == "1" else 200
PROPS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Vietnamese letters (both cases, every tone), decomposed forms and chat punctuation: the input
# the bot really gets, mixed with any Unicode so rare code points are tried too.
_VI_BASE = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
_TONES = "\u0300\u0301\u0303\u0309\u0323"
VI_LETTERS = sorted(
    {unicodedata.normalize("NFC", b + t) for b in _VI_BASE for t in ["", *_TONES]}
    | set("bcdđghklmnpqrstvxBCDĐGHKLMNPQRSTVX")
)
vi_char = st.sampled_from(VI_LETTERS)
nasty_char = st.sampled_from(
    [" ", "\t", "\n", "\r", "\u00a0", "\u3000", "\u200b", "\x00", "\ufeff", "\u2028", *_TONES,
     ".", "!", "?", "…", "😀", "İ", "ß", "ǅ", "\u0958", "ﬁ", "Å", "\u212b"]
)  # fmt: skip
# Valid Unicode: what can arrive once a body is decoded (lone surrogates are refused at the door).
unicode_char = st.characters(exclude_categories=["Cs"])
chat_text = st.text(alphabet=st.one_of(vi_char, nasty_char, unicode_char), max_size=120)
any_text = st.one_of(chat_text, st.text())
# Any Python str, lone surrogates included: for the functions that must never raise on any str.
any_str = st.one_of(any_text, st.text(alphabet=st.characters(), max_size=60))

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def loose(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Either a value of the expected shape or any JSON value (a field of the wrong type)."""
    return st.one_of(shape, shape, json_values)


def is_nfc(text: str) -> bool:
    """Whether `text` is in Unicode NFC."""
    return unicodedata.is_normalized("NFC", text)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) to a node of a JSON document, the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if new is _DELETE and not rest:
            del copy[head]
        else:
            copy[head] = _replaced(value[head], rest, new)
        return copy
    items = list(value)
    items[head] = _replaced(items[head], rest, new)
    return items


_DELETE = object()


@st.composite
def mutated(draw: st.DrawFn, document: Any, times: int = 3) -> Any:
    """`document` with up to `times` nodes replaced by any JSON value or (in objects) deleted."""
    for _ in range(draw(st.integers(min_value=1, max_value=times))):
        path = draw(st.sampled_from(paths(document)))
        deletable = bool(path) and not isinstance(path[-1], int)
        new = draw(st.one_of(json_values, st.just(_DELETE))) if deletable else draw(json_values)
        document = _replaced(document, path, new)
    return document


def tracker_events(domain: Any) -> st.SearchStrategy[Any]:
    """Any event a conversation can hold, rewrites of the history (reverts, restarts) included."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        BotUttered,
        DefinePrevUserUtteredFeaturization,
        EntitiesAdded,
        FollowupAction,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    intents = st.sampled_from(sorted(domain.intent_properties)[:6])
    actions = st.sampled_from(
        ["action_listen", "action_answer", "action_urgent", "utter_default", "a_form"]
    )
    return st.one_of(
        actions.map(ActionExecuted),
        actions.map(ActionExecuted),  # the common events twice as often
        st.tuples(st.text(max_size=5), intents).map(
            lambda p: UserUttered(p[0], intent={"name": p[1], "confidence": 1.0})
        ),
        st.sampled_from(["parent", "child", None]).map(lambda v: SlotSet("audience", v)),
        st.booleans().map(DefinePrevUserUtteredFeaturization),
        st.just(EntitiesAdded([{"entity": "platform", "value": "fb"}])),
        st.just(BotUttered("chào")),
        actions.map(FollowupAction),
        st.sampled_from(
            [
                UserUtteranceReverted(),
                ActionReverted(),
                Restarted(),
                SessionStarted(),
                ActiveLoop("a_form"),
                ActiveLoop(None),
            ]
        ),  # fmt: skip
    )
