"""The targets of the foundation issue, measured with the model of this run.

`heldout.yml` carries the issue's targets; on `heldout2.yml`, `dev.yml` and `probes.yml` no urgent
message may be missed either (they are regression sets once read; see the README).
"""

from __future__ import annotations

import pytest

from bot.evaluation import predict, score, split_by_diacritics
from bot.nlu.datacheck import load_examples

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
async def heldout_predictions(parser, root):  # noqa: ANN001, ANN201
    return await predict(parser, load_examples([root / "tests" / "nlu" / "heldout.yml"]))


@pytest.mark.parametrize(
    "name",
    [
        "heldout.yml",
        "heldout2.yml",
        "dev.yml",
        "probes.yml",
        "blind3_children.yml",
        "blind3_adults.yml",
        "letters.yml",
        "blind4.yml",
        "blind5.yml",
        "blind6.yml",
        "blind8.yml",
        "blind9.yml",
        "blind10.yml",
        "blind11.yml",
        "blind12.yml",
        "blind13.yml",
        "blind14.yml",
        "blind15.yml",
        "blind16.yml",
        "blind17.yml",
        "blind18.yml",
        "blind19.yml",
    ],
)
async def test_no_urgent_message_is_missed(parser, root, name: str) -> None:  # noqa: ANN001
    predictions = await predict(parser, load_examples([root / "tests" / "nlu" / name]))
    missed = [p.text for p in predictions
              if p.gold in ("urgent_danger", "self_harm") and not p.urgent]  # fmt: skip
    assert missed == []


async def test_accuracy_and_urgent_precision(heldout_predictions) -> None:  # noqa: ANN001
    s = score(heldout_predictions)
    assert s.accuracy >= 0.90
    assert s.urgent_precision >= 0.90


async def test_messages_without_diacritics_within_five_points(heldout_predictions) -> None:  # noqa: ANN001
    parts = split_by_diacritics(heldout_predictions)
    gap = parts["with_diacritics"].accuracy - parts["without_diacritics"].accuracy
    assert gap <= 0.05
