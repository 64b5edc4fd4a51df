"""Properties of bot.channels.zalo_client's pure parts: message bodies, API answers, token file."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels.zalo_client import (
    MAX_BUTTONS,
    TokenFile,
    Tokens,
    ZaloError,
    _json_object,
    _seconds,
    message_body,
    seed_of,
)
from bot.messages import Button
from tests.property.strategies import PROPS, any_text, json_values

buttons = st.lists(st.builds(Button, title=any_text, payload=st.text(max_size=30)), max_size=8)


@PROPS
@given(st.text(max_size=20), any_text, buttons)
def test_message_body_carries_the_text_and_at_most_the_allowed_buttons(
    user: str, text: str, choices: list[Button]
) -> None:
    body = message_body(user, text, choices)
    assert body["recipient"] == {"user_id": user} and body["message"]["text"] == text
    shown = body["message"].get("attachment", {}).get("payload", {}).get("buttons", [])
    assert [(b["title"], b["payload"]) for b in shown] == [
        (b.title, b.payload) for b in choices[:MAX_BUTTONS]
    ]
    assert all(b["type"] == "oa.query.hide" for b in shown)  # the payload never shows
    json.dumps(body)  # serialisable as it is sent


@PROPS
@given(st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())),
       st.sampled_from([200, 400, 500]))  # fmt: skip
@example(b"[" * 50_000, 200)
@example(b"1" * 5_000, 200)
def test_an_api_answer_is_an_object_or_a_zalo_error(content: bytes, status: int) -> None:
    response = httpx.Response(status, content=content)
    try:
        result = _json_object(response)
    except ZaloError as exc:
        assert exc.code == "bad_response"
        return
    assert isinstance(result, dict)


@PROPS
@given(st.one_of(json_values, st.sampled_from(["nan", "inf", "-inf", "1e999", "NaN", "-5"])))
@example("nan")
@example("inf")
def test_token_lifetime_is_finite_and_never_negative(value: Any) -> None:
    seconds = _seconds(value)
    assert math.isfinite(seconds) and seconds >= 0


@PROPS
@given(st.text(min_size=1, max_size=200))
def test_seed_is_a_short_hash_never_the_token(refresh_token: str) -> None:
    seed = seed_of(refresh_token)
    assert len(seed) == 16 and all(c in "0123456789abcdef" for c in seed)
    assert seed == seed_of(refresh_token)
    if len(refresh_token) >= 4:
        assert refresh_token not in seed


@PROPS
@given(st.text(max_size=60), st.text(min_size=1, max_size=60),
       st.floats(min_value=0, max_value=2e9), st.text(min_size=1, max_size=60))  # fmt: skip
def test_token_file_round_trips(access: str, refresh: str, expires: float, configured: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tokens = TokenFile(Path(folder) / "zalo_tokens.json")
        assert tokens.load(configured) == Tokens("", configured, 0.0, seed_of(configured))
        saved = Tokens(access, refresh, expires, seed_of(configured))
        tokens.save(saved)
        assert tokens.load(configured) == saved
        if seed_of(configured + "x") != saved.seed:  # re-authorised: the new token wins
            assert tokens.load(configured + "x").refresh_token == configured + "x"


@PROPS
@given(st.one_of(st.binary(max_size=100), json_values.map(lambda v: json.dumps(v).encode())))
def test_a_damaged_token_file_is_a_clear_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "zalo_tokens.json"
        path.write_bytes(content)
        try:
            loaded = TokenFile(path).load("rt")
        except ZaloError as exc:
            assert exc.code == "token_file"
            return
        assert isinstance(loaded, Tokens)


def test_a_token_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "zalo_tokens.json"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ZaloError, match="unreadable"):
        TokenFile(path).load("rt")
