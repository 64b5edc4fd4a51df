from bot.nlu.rules import default_rules
from bot.nlu.triage import decide

RULES = default_rules()


def _ranking(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": n, "confidence": c} for n, c in pairs]


def test_rule_overrides_a_non_urgent_model_intent() -> None:
    d = decide(
        "con tôi đang bị dọa tung ảnh",
        "ask_sextortion",
        0.8,
        _ranking(("ask_sextortion", 0.8)),
        RULES,
    )
    assert (d.intent, d.urgent, d.reason) == ("urgent_danger", True, "rule")
    assert "sextortion_threat" in d.rules


def test_rule_keeps_the_model_intent_when_it_is_already_urgent() -> None:
    d = decide("em muốn chết", "self_harm", 0.9, _ranking(("self_harm", 0.9)), RULES)
    assert (d.intent, d.urgent, d.reason, d.confidence) == ("self_harm", True, "rule", 0.9)


def test_an_unsure_urgent_model_intent_gives_way_to_the_rules_category() -> None:
    text = "ban tren roblox hen gap e chieu nay o cong truong"
    ranking = _ranking(("self_harm", 0.42), ("urgent_danger", 0.35))
    d = decide(text, "self_harm", 0.42, ranking, RULES)
    assert (d.intent, d.urgent, d.reason) == ("urgent_danger", True, "rule")
    assert d.rules == ["meeting_online_contact"]
    sure = decide(text, "self_harm", 0.8, _ranking(("self_harm", 0.8)), RULES)
    assert (sure.intent, sure.urgent) == ("self_harm", True)  # a sure model keeps its category


def test_an_unsure_urgent_model_intent_that_a_rule_agrees_with_is_kept() -> None:
    d = decide("em muốn chết", "self_harm", 0.4, _ranking(("self_harm", 0.4)), RULES)
    assert (d.intent, d.urgent, d.reason) == ("self_harm", True, "rule")


def test_a_self_harm_rule_gives_the_self_harm_care_even_against_a_sure_model() -> None:
    text = (
        "dem qua con gai toi uong thuoc qua lieu, sang nay no van noi 'lan sau con se lam cho duoc'"
    )
    d = decide(text, "urgent_danger", 0.83, _ranking(("urgent_danger", 0.83)), RULES)
    assert (d.intent, d.urgent, d.reason) == ("self_harm", True, "rule")


def test_model_urgent_without_rule_stays_urgent() -> None:
    d = decide(
        "mọi người sẽ vui hơn nếu em biến mất",
        "self_harm",
        0.6,
        _ranking(("self_harm", 0.6)),
        RULES,
    )
    assert (d.urgent, d.reason) == (True, "model")


def test_unsure_model_urgent_on_a_figure_of_speech_is_vetoed() -> None:
    ranking = _ranking(("self_harm", 0.5), ("out_of_scope", 0.4))
    d = decide("đói chết đi được", "self_harm", 0.5, ranking, RULES)
    assert (d.intent, d.urgent, d.reason) == ("out_of_scope", False, "figure_of_speech")


def test_confident_model_urgent_is_not_vetoed_by_a_figure_of_speech() -> None:
    d = decide(
        "mệt chết đi được, em chẳng còn lý do gì để tiếp tục",
        "self_harm",
        0.9,
        _ranking(("self_harm", 0.9)),
        RULES,
    )
    assert d.urgent


def test_urgent_floor_flags_a_close_second_guess() -> None:
    ranking = _ranking(("ask_grooming", 0.5), ("urgent_danger", 0.4))
    assert not decide("...", "ask_grooming", 0.5, ranking, RULES).urgent
    d = decide("...", "ask_grooming", 0.5, ranking, RULES, urgent_floor=0.35)
    assert (d.intent, d.urgent, d.reason) == ("urgent_danger", True, "model_ranking")


def test_plain_topic_question_is_not_urgent() -> None:
    d = decide(
        "cài Family Link thế nào",
        "ask_parental_controls",
        0.95,
        _ranking(("ask_parental_controls", 0.95)),
        RULES,
    )
    assert (d.intent, d.urgent, d.reason) == ("ask_parental_controls", False, None)
