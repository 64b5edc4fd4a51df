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


def test_the_layers_table_switches_rules_and_detector_on_and_off() -> None:
    from bot.evaluation import LAYERS, ablation_report, ablations
    from bot.nlu.datacheck import Example
    from bot.nlu.rules import default_rules

    def result(text: str, intent: str, score_parts: float, whole: float) -> dict:
        return {"text": text, "intent": intent, "urgent": False,
                "ranking": [{"intent": intent, "confidence": 0.9}],
                "urgency": {"score": score_parts, "whole": whole, "category": "danger",
                            "evidence": text}}  # fmt: skip

    examples = [Example("urgent_danger", "em bị chú ruột xâm hại nhiều lần", "t"),  # a rule's case
                Example("urgent_danger", "thư dài. một câu nguy hiểm ở giữa. hết thư", "t"),
                Example("ask_screen_time", "con chơi game nhiều quá", "t")]  # fmt: skip
    results = [result(examples[0].text, "ask_talk_with_child", 0.1, 0.1),
               result(examples[1].text, "ask_screen_time", 0.9, 0.2),
               result(examples[2].text, "ask_screen_time", 0.1, 0.1)]  # fmt: skip
    table = ablations(examples, results, default_rules())
    assert list(table) == list(LAYERS)
    assert table["intent model only"].urgent_recall == 0.0
    assert table["intent + rules"].urgent_recall == 0.5
    assert table["intent + detector, whole message"].urgent_recall == 0.0
    assert table["intent + detector, sentence by sentence"].urgent_recall == 0.5
    assert table["all three (the bot)"].urgent_recall == 1.0
    assert table["all three (the bot)"].urgent_precision == 1.0
    assert "all three (the bot)" in ablation_report(table)


def test_the_grey_share_counts_non_urgent_messages_that_got_the_safety_check() -> None:
    preds = [Prediction("a", "ask_scam", "ask_scam", False, True),
             Prediction("b", "greet", "greet", False, False),
             Prediction("c", "self_harm", "self_harm", True, False),
             Prediction("d", "thank", "thank", False, False)]  # fmt: skip
    assert score(preds).grey_share == 1 / 3
    assert "safety check first  0.333" in report(preds)
