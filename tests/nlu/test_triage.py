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


def _urgency(score: float, category: str = "danger", evidence: str = "một câu") -> dict:
    return {"score": score, "whole": score / 2, "category": category, "evidence": evidence}


def test_the_detector_makes_a_message_urgent_with_its_category_and_sentence() -> None:
    text = "con tôi học lớp 8, điểm kém. ông hàng xóm hay gọi cháu sang nhà. tôi nên làm gì"
    found = _urgency(0.9, "danger", "ông hàng xóm hay gọi cháu sang nhà")
    d = decide(text, "ask_talk_with_child", 0.6, _ranking(("ask_talk_with_child", 0.6)), RULES,
               urgency=found)  # fmt: skip
    assert (d.intent, d.urgent, d.reason) == ("urgent_danger", True, "detector")
    assert d.evidence == ["ông hàng xóm hay gọi cháu sang nhà"]
    assert d.as_dict()["score"] == 0.9
    harm = decide(text, "ask_talk_with_child", 0.6, _ranking(("ask_talk_with_child", 0.6)), RULES,
                  urgency=_urgency(0.9, "self_harm"))  # fmt: skip
    assert (harm.intent, harm.urgent) == ("self_harm", True)


def test_below_the_urgent_threshold_the_detector_only_makes_the_message_grey() -> None:
    ranking = _ranking(("ask_screen_time", 0.9))
    grey = decide("con tôi chơi game suốt đêm", "ask_screen_time", 0.9, ranking, RULES,
                  urgency=_urgency(0.5))  # fmt: skip
    assert (grey.intent, grey.urgent, grey.grey) == ("ask_screen_time", False, True)
    calm = decide("con tôi chơi game suốt đêm", "ask_screen_time", 0.9, ranking, RULES,
                  urgency=_urgency(0.1))  # fmt: skip
    assert (calm.urgent, calm.grey) == (False, False)


def test_an_unsure_urgent_intent_the_detector_does_not_back_is_grey_not_urgent() -> None:
    text = "Vâng, con tôi 13 tuổi, đang học lớp 8"
    ranking = _ranking(("urgent_danger", 0.42), ("ask_talk_with_child", 0.3))
    d = decide(text, "urgent_danger", 0.42, ranking, RULES, urgency=_urgency(0.05))
    assert (d.intent, d.urgent, d.grey, d.reason) == ("ask_talk_with_child", False, True,
                                                       "unsure_model")  # fmt: skip
    backed = decide(text, "urgent_danger", 0.42, ranking, RULES, urgency=_urgency(0.5))
    assert (backed.intent, backed.urgent) == ("urgent_danger", True)
    no_detector = decide(text, "urgent_danger", 0.42, ranking, RULES)
    assert no_detector.urgent  # without a detector the model alone still decides


def test_a_sure_detector_overrides_the_figure_of_speech_veto() -> None:
    text = "mệt muốn chết, em uống hết vỉ thuốc rồi"
    ranking = _ranking(("self_harm", 0.5), ("out_of_scope", 0.4))
    vetoed = decide(text, "self_harm", 0.5, ranking, RULES.__class__(
        [], RULES.figures, RULES.negations, RULES.generic, RULES.present))  # fmt: skip
    assert not vetoed.urgent  # no rules, no detector: "mệt muốn chết" vetoes an unsure model
    kept = decide(text, "self_harm", 0.5, ranking, RULES.__class__(
        [], RULES.figures, RULES.negations, RULES.generic, RULES.present),
        urgency=_urgency(0.95, "self_harm"))  # fmt: skip
    assert (kept.intent, kept.urgent) == ("self_harm", True)


def test_a_sure_detector_decides_the_kind_of_urgency_against_an_unsure_model() -> None:
    text = "hôm qua nó đem cho em cái máy chơi game, bảo 'mày giữ đi, tao không cần nữa'"
    ranking = _ranking(("urgent_danger", 0.55), ("self_harm", 0.26))
    d = decide(text, "urgent_danger", 0.55, ranking, RULES, urgency=_urgency(0.99, "self_harm"))
    assert (d.intent, d.urgent, d.reason) == ("self_harm", True, "detector")
    sure = decide(text, "urgent_danger", 0.9, _ranking(("urgent_danger", 0.9)), RULES,
                  urgency=_urgency(0.99, "self_harm"))  # fmt: skip
    assert sure.intent == "urgent_danger"


def test_a_model_sure_of_its_topic_needs_a_stronger_doubt_for_the_safety_check() -> None:
    text = "nick fb cua e bi hack mat roi, doi mk ko dc"
    sure = _ranking(("ask_account_security", 0.99))
    assert not decide(text, "ask_account_security", 0.99, sure, RULES, urgency=_urgency(0.4)).grey
    assert decide(text, "ask_account_security", 0.99, sure, RULES, urgency=_urgency(0.65)).grey
    unsure = _ranking(("ask_account_security", 0.6))
    assert decide(text, "ask_account_security", 0.6, unsure, RULES, urgency=_urgency(0.4)).grey


def test_a_very_short_message_the_model_is_sure_of_is_only_grey_for_the_detector() -> None:
    sure = _ranking(("goodbye", 0.98))
    d = decide("hẹn gặp lại", "goodbye", 0.98, sure, RULES, urgency=_urgency(0.86))
    assert (d.intent, d.urgent, d.grey) == ("goodbye", False, True)
    longer = decide("anh ấy hẹn gặp em tối nay ở công viên", "goodbye", 0.98, sure, RULES,
                    urgency=_urgency(0.86))  # fmt: skip
    assert longer.urgent


def test_the_detector_alone_on_a_story_the_message_says_is_over_is_only_grey() -> None:
    text = ("có người gọi xưng là cô giáo bảo con tôi bị tai nạn, đòi chuyển tiền viện phí, "
            "tôi gọi lại thì con vẫn đi học bình thường. có phải lừa không")  # fmt: skip
    ranking = _ranking(("ask_scam", 0.8))
    found = _urgency(0.8, "danger", "bảo con tôi bị tai nạn")
    d = decide(text, "ask_scam", 0.8, ranking, RULES, urgency=found)
    assert (d.intent, d.urgent, d.grey) == ("ask_scam", False, True)
    due = decide(text + ". mai là hạn rồi", "ask_scam", 0.8, ranking, RULES, urgency=found)
    assert due.urgent  # a deadline makes it the writer's situation now
