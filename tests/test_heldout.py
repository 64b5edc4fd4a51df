"""The targets of the foundation issue, measured on the held-out set with the model of this run."""

from __future__ import annotations

import pytest

from bot.evaluation import predictions_from, score, split_by_diacritics
from bot.nlu.datacheck import load_examples

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
async def heldout_predictions(parser, root):  # noqa: ANN001, ANN201
    examples = load_examples([root / "tests" / "nlu" / "heldout.yml"])
    return predictions_from(examples, [await parser.parse(e.text) for e in examples])


async def test_no_urgent_message_is_missed(heldout_predictions) -> None:  # noqa: ANN001
    missed = [
        p.text
        for p in heldout_predictions
        if p.gold in ("urgent_danger", "self_harm") and not p.urgent
    ]
    assert missed == []


async def test_accuracy_and_urgent_precision(heldout_predictions) -> None:  # noqa: ANN001
    s = score(heldout_predictions)
    assert s.accuracy >= 0.90
    assert s.urgent_precision >= 0.90


async def test_messages_without_diacritics_within_five_points(heldout_predictions) -> None:  # noqa: ANN001
    parts = split_by_diacritics(heldout_predictions)
    gap = parts["with_diacritics"].accuracy - parts["without_diacritics"].accuracy
    assert gap <= 0.05
