"""Cross-validation of the whole NLU pipeline (safety net included) on the training data."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import yaml

from bot.engine import model
from bot.evaluation import Prediction, predict
from bot.nlu.datacheck import Example, load_examples
from bot.parser import Parser
from bot.settings import Settings


def stratified_folds(examples: list[Example], n: int, *, seed: int = 13) -> list[list[Example]]:
    """Split examples into `n` folds with each intent spread evenly over them."""
    rng = random.Random(seed)
    folds: list[list[Example]] = [[] for _ in range(n)]
    by_intent: dict[str, list[Example]] = {}
    for e in examples:
        by_intent.setdefault(e.intent, []).append(e)
    offset = 0
    for intent in sorted(by_intent):
        items = by_intent[intent][:]
        rng.shuffle(items)
        for i, e in enumerate(items):
            folds[(i + offset) % n].append(e)
        offset += len(items)
    return folds


def write_nlu(examples: list[Example], path: Path) -> None:
    """Write examples as a Rasa NLU YAML file."""
    by_intent: dict[str, list[str]] = {}
    for e in examples:
        by_intent.setdefault(e.intent, []).append(e.text)
    blocks = [
        {"intent": k, "examples": "".join(f"- {t}\n" for t in v)} for k, v in by_intent.items()
    ]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True),
                    encoding="utf-8")  # fmt: skip


async def cross_validate(
    settings: Settings, n: int, *, data: list[Path] | None = None
) -> list[Prediction]:
    """Train on n-1 folds, predict the held-out fold, n times; return all predictions.

    Args:
        settings: the project's settings (config and domain come from its root).
        n: number of folds (at least 2).
        data: NLU files to split (default: `nlu_data/nlu/*.yml`).
    """
    if n < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    examples = load_examples(data or sorted((settings.root / "nlu_data" / "nlu").glob("*.yml")))
    folds = stratified_folds(examples, n)
    predictions: list[Prediction] = []
    with tempfile.TemporaryDirectory(prefix="donghanh-cv-") as tmp:
        for k, test in enumerate(folds):
            train_file = Path(tmp) / f"train-{k}.yml"
            write_nlu([e for j, f in enumerate(folds) if j != k for e in f], train_file)
            path = model.train(settings, output=Path(tmp), nlu_only=True,
                               training_files=[train_file], fixed_name=f"fold-{k}")  # fmt: skip
            parser = Parser(model.load_agent(path), max_chars=settings.max_message_chars)
            predictions += await predict(parser, test)
    return predictions
