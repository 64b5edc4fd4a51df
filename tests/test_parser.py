import pytest

from bot.parser import InvalidMessage, MessageTooLong, check_text, triage_result


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"", "empty message"),
        ("   \t ", "empty message"),
        (b"\xff\xfe con", "not valid UTF-8"),
        ("con\x00tôi", "binary data"),
        ("a" * 4001, "message too long (4001 characters; the limit is 4000)"),
    ],
)
def test_check_text_refuses_bad_input(raw: bytes | str, error: str) -> None:
    with pytest.raises(InvalidMessage, match=error.replace("(", r"\(").replace(")", r"\)")):
        check_text(raw, max_chars=4000)


def test_check_text_accepts_the_limit_and_normalises() -> None:
    assert check_text("a" * 4000, max_chars=4000) == "a" * 4000
    assert check_text("  con   tôi ".encode(), max_chars=4000) == "con tôi"


def test_triage_result_shape() -> None:
    parse_data = {
        "text": "em muốn chết",
        "intent": {"name": "self_harm", "confidence": 0.91234567},
        "intent_ranking": [
            {"name": "self_harm", "confidence": 0.91234567},
            {"name": "out_of_scope", "confidence": 0.05},
            {"name": "deny", "confidence": 0.02},
            {"name": "greet", "confidence": 0.01},
        ],
        "safety": {
            "urgent": True,
            "reason": "rule",
            "rules": ["suicide_words"],
            "evidence": ["muốn chết"],
        },
    }
    result = triage_result(parse_data)
    assert result["intent"] == "self_harm"
    assert result["confidence"] == 0.9123
    assert result["urgent"] is True
    assert [r["intent"] for r in result["ranking"]] == ["self_harm", "out_of_scope", "deny"]
    assert result["safety"]["rules"] == ["suicide_words"]


def test_a_message_over_the_limit_is_its_own_error_with_the_limit() -> None:
    with pytest.raises(MessageTooLong) as raised:
        check_text("a" * 31, max_chars=30)
    assert (raised.value.length, raised.value.limit) == (31, 30)
    for other in (b"", "con\x00tôi"):  # the other refusals are not "too long"
        with pytest.raises(InvalidMessage) as refused:
            check_text(other, max_chars=30)
        assert not isinstance(refused.value, MessageTooLong)
