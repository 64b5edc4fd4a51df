"""Properties of bot.parser.check_text: only `InvalidMessage`, NFC within the limit, idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parser import InvalidMessage, check_text
from tests.property.strategies import PROPS, any_str, any_text, is_nfc

limits = st.integers(min_value=1, max_value=200)


def checked(raw: bytes | str, limit: int) -> str | None:
    try:
        return check_text(raw, max_chars=limit)
    except InvalidMessage as exc:
        assert str(exc)  # always says why
        return None


@PROPS
@given(st.one_of(any_str, st.binary(max_size=300)), limits)
def test_check_text_accepts_or_refuses_clearly(raw: bytes | str, limit: int) -> None:
    text = checked(raw, limit)
    if text is not None:
        assert text and text == text.strip() and is_nfc(text)
        assert len(text) <= limit and "\x00" not in text
        assert check_text(text, max_chars=limit) == text


@PROPS
@given(any_text, limits)
def test_bytes_and_str_give_the_same_answer(text: str, limit: int) -> None:
    assert checked(text.encode("utf-8"), limit) == checked(text, limit)


@PROPS
@given(any_str, st.integers(min_value=0, max_value=50))
def test_nul_is_always_refused(text: str, at: int) -> None:
    with pytest.raises(InvalidMessage, match="NUL"):
        check_text(text[:at] + "\x00" + text[at:], max_chars=10_000)


@PROPS
@given(st.binary(min_size=1, max_size=50))
def test_invalid_utf8_names_the_byte(raw: bytes) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        with pytest.raises(InvalidMessage, match=f"byte {exc.start}"):
            check_text(raw, max_chars=10_000)
