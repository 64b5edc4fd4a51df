"""Properties of bot.console.security's parsers: the bounded form reader, CSRF check, fields."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.requests import Request

from bot.console.security import FORM_TYPE, MAX_FIELDS, ConsoleError, check_csrf, field, read_form
from tests.property.strategies import PROPS, any_text

MAX_BYTES = 2_000


def posted(body: bytes, content_type: str | None, *, chunk: int = 64,
           declared: str | None = None) -> Request:  # fmt: skip
    headers = [] if content_type is None else [(b"content-type", content_type.encode())]
    if declared is not None:
        headers.append((b"content-length", declared.encode()))
    parts = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
                for i, p in enumerate(parts)]  # fmt: skip

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    return Request(scope, receive)


def read(request: Request) -> dict[str, str] | int:
    try:
        return asyncio.run(read_form(request, MAX_BYTES))
    except ConsoleError as exc:
        return exc.status


forms = st.dictionaries(st.text(max_size=12), any_text, max_size=MAX_FIELDS)


@PROPS
@given(forms, st.integers(min_value=1, max_value=300))
def test_any_small_form_is_read_back_exactly(form: dict[str, str], chunk: int) -> None:
    body = urlencode(form).encode()
    result = read(posted(body, FORM_TYPE + "; charset=UTF-8", chunk=chunk))
    if len(body) > MAX_BYTES:
        assert result == 413
    elif any("\x00" in v for v in form.values()):
        assert result == 400
    else:
        assert result == form


content_types = st.sampled_from(
    [FORM_TYPE, None, "application/json", "multipart/form-data; boundary=x", FORM_TYPE.upper()]
)
declared_lengths = st.one_of(st.none(), st.sampled_from(["0", "-1", "abc", "99999999", "10", "١٢"]))


@PROPS
@given(st.binary(max_size=MAX_BYTES + 200), content_types, declared_lengths)
@example(b"a=1&" * 20, FORM_TYPE, None)
@example(b"%ff=%fe", FORM_TYPE, None)
@example(b"a=1&a=2", FORM_TYPE, None)
def test_any_body_is_a_form_or_a_clear_refusal(
    body: bytes, content_type: str | None, declared: str | None
) -> None:
    result = read(posted(body, content_type, declared=declared))
    if isinstance(result, int):
        assert result in (400, 413, 415)
        if content_type is None or content_type.lower() != FORM_TYPE:
            assert result == 415
        return
    assert content_type is not None and content_type.lower() == FORM_TYPE
    assert len(result) <= MAX_FIELDS and len(body) <= MAX_BYTES
    assert all(isinstance(v, str) and "\x00" not in v for v in result.values())


@PROPS
@given(st.text(min_size=1, max_size=60), st.one_of(any_text, st.just("")))
def test_csrf_passes_only_for_the_sessions_own_token(expected: str, given_: str) -> None:
    class Session:
        session = {"csrf": expected}

    for token, ok in ((given_, given_ == expected), (expected, True)):
        if ok:
            check_csrf(Session(), {"csrf_token": token})  # type: ignore[arg-type]
        else:
            with pytest.raises(ConsoleError) as refused:
                check_csrf(Session(), {"csrf_token": token})  # type: ignore[arg-type]
            assert refused.value.status == 403


@PROPS
@given(st.one_of(st.none(), st.integers(), st.lists(st.text())), any_text)
def test_csrf_without_a_session_token_always_fails(expected: Any, token: str) -> None:
    class Session:
        session = {} if expected is None else {"csrf": expected}

    with pytest.raises(ConsoleError):
        check_csrf(Session(), {"csrf_token": token})  # type: ignore[arg-type]


@PROPS
@given(st.dictionaries(st.sampled_from(["text", "other"]), any_text), st.integers(0, 50),
       st.booleans())  # fmt: skip
def test_field_is_stripped_within_its_limit_or_refused(
    form: dict[str, str], max_chars: int, required: bool
) -> None:
    expected = form.get("text", "").strip()
    try:
        value = field(form, "text", max_chars=max_chars, required=required)
    except ConsoleError as exc:
        assert exc.status == 400 and (len(expected) > max_chars or (required and not expected))
        return
    assert value == expected and len(value) <= max_chars and (value or not required)
