from pathlib import Path

import pytest

from bot.crossval import cross_validate, stratified_folds, write_nlu
from bot.nlu.datacheck import Example, load_examples


def _examples() -> list[Example]:
    greet = ["chào bạn", "xin chào ad", "hello bot", "chao ban nhe", "alo ad oi", "hi bot"]
    scam = [
        "con bị lừa nạp thẻ",
        "bi lua mat tien",
        "lừa đảo skin free",
        "con toi bi lua nap the game",
        "web nhận kim cương free lừa đảo",
        "bị lừa chuyển tiền",
    ]
    return [Example("greet", t, "") for t in greet] + [Example("ask_scam", t, "") for t in scam]


def test_folds_are_stratified_and_cover_everything() -> None:
    folds = stratified_folds(_examples(), 3)
    assert sorted(len(f) for f in folds) == [4, 4, 4]
    for fold in folds:
        assert {e.intent for e in fold} == {"greet", "ask_scam"}
    assert sorted(e.text for f in folds for e in f) == sorted(e.text for e in _examples())


def test_write_nlu_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    write_nlu(_examples(), path)
    assert [(e.intent, e.text) for e in load_examples([path])] == [
        (e.intent, e.text) for e in _examples()
    ]


@pytest.mark.model
async def test_cross_validation_trains_each_fold_and_predicts_each_example(
    settings,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    data = tmp_path / "tiny.yml"
    write_nlu(_examples(), data)
    predictions = await cross_validate(settings, 2, data=[data])
    assert sorted(p.text for p in predictions) == sorted(e.text for e in _examples())
    assert {p.intent for p in predictions} <= {"greet", "ask_scam"}


async def test_cross_validation_needs_two_folds(settings) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="at least 2 folds"):
        await cross_validate(settings, 1)
