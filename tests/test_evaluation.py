from bot.evaluation import Prediction, report, score, split_by_diacritics


def _p(gold: str, intent: str, urgent: bool, text: str = "x") -> Prediction:
    return Prediction(text, gold, intent, urgent)


def test_score_counts_accuracy_and_urgent_recall_precision() -> None:
    preds = [
        _p("self_harm", "self_harm", True),
        _p("urgent_danger", "ask_scam", False),  # a missed urgent message
        _p("ask_scam", "ask_scam", False),
        _p("greet", "urgent_danger", True),  # a false alarm
    ]
    s = score(preds)
    assert s.accuracy == 0.5
    assert s.urgent_recall == 0.5
    assert s.urgent_precision == 0.5
    assert s.urgent_support == 2
    assert s.per_intent["ask_scam"] == {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}
    assert ("urgent_danger", "ask_scam", 1) in s.confusions


def test_macro_f1_averages_labels_with_support_only() -> None:
    s = score([_p("greet", "greet", False), _p("thank", "deny", False)])
    assert s.macro_f1 == 0.5  # greet 1.0, thank 0.0; deny has no support


def test_split_by_diacritics() -> None:
    parts = split_by_diacritics(
        [_p("greet", "greet", False, "chào bạn"), _p("greet", "thank", False, "chao ban")]
    )
    assert parts["with_diacritics"].accuracy == 1.0
    assert parts["without_diacritics"].accuracy == 0.0


def test_report_mentions_every_metric() -> None:
    text = report([_p("self_harm", "self_harm", True, "em muốn chết")])
    for word in ("accuracy", "macro-F1", "urgent recall", "urgent precision", "without_diacritics"):
        assert word in text
