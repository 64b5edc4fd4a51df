"""The training data meets the quotas of the foundation issue; the held-out set stays held out."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.nlu import datacheck
from bot.nlu.textnorm import fold

ROOT = Path(__file__).resolve().parents[2]
TRAINING = sorted((ROOT / "nlu_data" / "nlu").glob("*.yml"))
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
DEV = ROOT / "tests" / "nlu" / "dev.yml"
HELDOUT2 = ROOT / "tests" / "nlu" / "heldout2.yml"
PROBES = ROOT / "tests" / "nlu" / "probes.yml"
BLIND3 = [
    ROOT / "tests" / "nlu" / f"{n}.yml"
    for n in (
        "blind3_children",
        "blind3_adults",
        "letters",
        "blind4",
        "blind5",
        "blind6",
        "blind8",
        "blind9",
        "blind10",
        "blind11",
        "blind12",
        "blind13",
        "blind14",
        "blind15",
        "blind16",
        "blind17",
        "blind18",
        "blind19",
    )
]
EVALUATION = [HELDOUT, HELDOUT2, DEV, PROBES, *BLIND3]


def test_training_data_meets_every_quota() -> None:
    report = datacheck.check(TRAINING)
    assert report.problems == []


def test_every_label_of_the_contract_is_trained() -> None:
    trained = {e.intent for e in datacheck.load_examples(TRAINING)}
    assert trained == set(datacheck.ALL_LABELS)


def test_heldout_has_ten_examples_per_label() -> None:
    counts = Counter(e.intent for e in datacheck.load_examples([HELDOUT]))
    assert set(counts) == set(datacheck.ALL_LABELS)
    assert min(counts.values()) >= 10, counts


@pytest.mark.parametrize(
    "evaluation_set",
    EVALUATION,
    ids=[p.stem for p in EVALUATION],
)
def test_evaluation_sets_never_repeat_a_training_example(evaluation_set: Path) -> None:
    trained = {fold(e.text) for e in datacheck.load_examples(TRAINING)}
    examples = datacheck.load_examples([evaluation_set])
    repeated = [e.text for e in examples if fold(e.text) in trained]
    assert repeated == []


@pytest.mark.parametrize("evaluation_set", EVALUATION, ids=[p.stem for p in EVALUATION])
def test_no_training_text_is_close_to_an_evaluation_text(evaluation_set: Path) -> None:
    """Not the same text with a word or two changed.

    Cosine of folded words and word pairs below 0.9.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    trained = [fold(e.text) for e in datacheck.load_examples(TRAINING)]
    evaluated = [fold(e.text) for e in datacheck.load_examples([evaluation_set])]
    vectors = TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b").fit(
        trained + evaluated
    )
    similarity = (vectors.transform(evaluated) @ vectors.transform(trained).T).tocoo()
    close = sorted({(evaluated[i], trained[j]) for i, j, v in
                    zip(similarity.row, similarity.col, similarity.data, strict=True)
                    if v >= 0.9 and len(evaluated[i].split()) >= 4})  # fmt: skip
    assert close == []


def test_check_reports_shortfalls(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: ask_scam\n  examples: |\n    - con tôi bị lừa\n'
        "- intent: greet\n  examples: |\n    - con tôi bị lừa\n",
        encoding="utf-8",
    )
    problems = datacheck.check([path], labels=("ask_scam",)).problems
    assert "ask_scam: 1 examples, need 40" in problems
    assert any("same text under ask_scam and greet" in p for p in problems)
    assert any(p.startswith("no-diacritics share") for p in problems)


def test_is_long_counts_sentences() -> None:
    assert datacheck.is_long("Con tôi 12 tuổi. Nó bị lừa. Tôi phải làm sao?")
    assert not datacheck.is_long("con tôi bị lừa, phải làm sao?")
