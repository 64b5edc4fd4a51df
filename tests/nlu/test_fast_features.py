"""The featurizers' and the classifier's shortcuts give exactly what sklearn and scipy give.

Every training, held-out and dev example goes through the trained model's own components; the
shortcut's matrices must equal the library calls they replace, entry for entry and type for type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from scipy.sparse import hstack

from bot.nlu.classifier import FastLogisticRegressionClassifier, sentence_row
from bot.nlu.datacheck import load_examples
from bot.nlu.featurizer import SentenceCountVectorsFeaturizer, count_row
from bot.nlu.ngrams import column_counter


@pytest.fixture(scope="module")
def texts(root: Path) -> list[str]:
    paths = sorted((root / "nlu_data").rglob("*.yml")) + sorted(
        (root / "tests" / "nlu").glob("*.yml")
    )
    found = sorted({e.text for e in load_examples(paths)})
    return [*found, "", "   ", "!!!", "e muon chet", "x" * 500, "ừ ừ ừ ừ ừ ừ"]


def _components(agent: Any, kind: type) -> list[Any]:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return [n._component for n in nodes if isinstance(n._component, kind)]


def _featurized(agent: Any, text: str) -> Any:
    """The message as the NLU part of the model leaves it (features included)."""
    processor = agent.processor
    results = processor.graph_runner.run(
        inputs={"__message__": [UserMessage(text)], "__tracker__": DialogueStateTracker("t", [])},
        targets=[processor.model_metadata.nlu_target],
    )
    return results[processor.model_metadata.nlu_target][0]


def test_counting_equals_sklearns_transform(agent: Any, texts: list[str]) -> None:
    featurizers = _components(agent, SentenceCountVectorsFeaturizer)
    assert len(featurizers) == 4
    checked = 0
    for featurizer in featurizers:
        vectorizer = featurizer.vectorizers[TEXT]
        count = column_counter(vectorizer)
        for text in [*texts, *texts]:  # the second time from the words kept
            expected = vectorizer.transform([text])
            expected.sort_indices()
            expected = expected.tocoo()
            got = count_row(vectorizer, count, text)
            assert got.shape == expected.shape and got.dtype == expected.dtype
            assert (got.row.dtype, got.col.dtype) == (expected.row.dtype, expected.col.dtype)
            assert got.has_canonical_format == expected.has_canonical_format
            assert vars(got).keys() == vars(expected).keys()  # built without the constructor
            got._check()  # and still what scipy's own checks accept
            assert np.array_equal(got.col, expected.col) and np.array_equal(got.row, expected.row)
            assert np.array_equal(got.data, expected.data)
            checked += got.nnz
    assert checked > 10_000  # the examples really hit the vocabularies


def test_the_classifier_reads_the_same_matrix_and_gives_the_same_ranking(
    agent: Any, texts: list[str]
) -> None:
    (classifier,) = _components(agent, FastLogisticRegressionClassifier)
    for text in texts[::3]:
        message = _featurized(agent, text)
        parts = [f.features for f in message.features
                 if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]  # fmt: skip
        expected = hstack(parts, format="csr")
        got = sentence_row(message)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        for name in ("data", "indices", "indptr"):
            assert np.array_equal(getattr(got, name), getattr(expected, name)), name
        sklearns = classifier.clf.predict_proba(expected)
        assert np.array_equal(classifier.probabilities(got), sklearns)
        straight = classifier.one_message(message)
        assert straight is not None and straight.shape == sklearns.shape
        assert np.allclose(straight, sklearns, rtol=0, atol=1e-12)
        assert np.array_equal(np.argsort(-straight[0], kind="stable"),
                              np.argsort(-sklearns[0], kind="stable"))  # fmt: skip
