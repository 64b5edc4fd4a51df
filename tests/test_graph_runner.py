"""The sequential graph runner gives what Rasa's dask runner gives, on the trained model."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner

from bot.engine.graph_runner import SequentialGraphRunner, run_order

MESSAGES = ["chào bạn", "con tôi bị lừa nạp thẻ game", "e bi bat nat tren fb",
            "có người đòi tung ảnh của em", "cài Family Link thế nào", "/ask_hotline"]  # fmt: skip


def _node(needs: dict[str, str]) -> SchemaNode:
    return SchemaNode(needs=needs, uses=object, constructor_name="create", fn="run", config={})


def test_each_node_comes_after_what_it_needs_and_only_needed_nodes_run() -> None:
    schema = GraphSchema({
        "a": _node({"x": "__input__"}), "b": _node({"x": "a"}), "c": _node({"x": "a", "y": "b"}),
        "unused": _node({"x": "a"}),
    })  # fmt: skip
    assert run_order(schema, ["c"]) == ["a", "b", "c"]
    assert run_order(schema, ["b", "c"]) == ["a", "b", "c"]


def test_a_cycle_is_an_error() -> None:
    schema = GraphSchema({"a": _node({"x": "b"}), "b": _node({"x": "a"})})
    with pytest.raises(GraphRunError, match="cycle"):
        run_order(schema, ["a"])


def _dask(agent: Any) -> DaskGraphRunner:
    runner = object.__new__(DaskGraphRunner)
    sequential = agent.processor.graph_runner
    assert isinstance(sequential, SequentialGraphRunner)  # what load_agent installs
    runner._graph_schema = sequential._graph_schema
    runner._instantiated_nodes = sequential._instantiated_nodes
    runner._execution_context = sequential._execution_context
    return runner


async def test_parses_and_predictions_are_the_same_as_with_dask(agent: Any) -> None:
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = agent.processor
    dask, sequential = _dask(agent), processor.graph_runner
    for text in MESSAGES:
        message = UserMessage(text)
        for runner in (dask, sequential):
            processor.graph_runner = runner
            parsed = await processor.parse_message(message)
            tracker = DialogueStateTracker.from_events("x", [
                ActionExecuted("action_listen"),
                UserUttered(text, parsed["intent"], parse_data=parsed),
            ], agent.domain.slots)  # fmt: skip
            prediction = processor._predict_next_with_tracker(tracker)
            if runner is dask:
                expected = (parsed, prediction.max_confidence_index, prediction.probabilities)
            else:
                assert (
                    parsed,
                    prediction.max_confidence_index,
                    prediction.probabilities,
                ) == expected
    processor.graph_runner = sequential
