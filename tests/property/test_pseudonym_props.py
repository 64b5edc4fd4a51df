"""Properties of bot.pseudonym: sealed addresses round-trip and resist tampering; stable ids."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.channels import CHANNELS
from bot.pseudonym import Pseudonymizer
from tests.property.strategies import PROPS, any_text

keys = st.binary(min_size=16, max_size=64)
ids = st.one_of(st.integers(min_value=-(10**15), max_value=10**20).map(str), any_text)
PSEUDONYM = re.compile(r"[a-z]+-[0-9a-f]{24}")


@PROPS
@given(keys, ids)
def test_seal_then_open_gives_the_address_back(key: bytes, platform_id: str) -> None:
    sealer = Pseudonymizer(key)
    first, second = sealer.seal(platform_id), sealer.seal(platform_id)
    assert first != second  # a fresh nonce each time: equal addresses are not linkable
    assert first.isascii()
    if len(platform_id.encode()) >= 6:  # the address shows neither in the token nor in its bytes
        assert platform_id not in first
        assert platform_id.encode() not in base64.urlsafe_b64decode(first)
    assert sealer.open(first) == sealer.open(second) == platform_id
    assert Pseudonymizer(key).open(first) == platform_id  # the key is all it needs


@PROPS
@given(keys, ids, st.data())
def test_any_changed_byte_of_a_sealed_address_is_refused(
    key: bytes, platform_id: str, data: st.DataObject
) -> None:
    sealer = Pseudonymizer(key)
    raw = bytearray(base64.urlsafe_b64decode(sealer.seal(platform_id)))
    at = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="byte")
    raw[at] ^= data.draw(st.integers(min_value=1, max_value=255), label="xor")
    with pytest.raises(InvalidTag):
        sealer.open(base64.urlsafe_b64encode(bytes(raw)).decode())


@PROPS
@given(keys, ids, st.data())
def test_a_changed_token_never_opens_to_another_address(
    key: bytes, platform_id: str, data: st.DataObject
) -> None:
    sealer = Pseudonymizer(key)
    token = sealer.seal(platform_id)
    at = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="char")
    char = data.draw(st.characters(), label="new char")
    tampered = token[:at] + char + token[at + 1 :]
    try:
        opened = sealer.open(tampered)
    except (InvalidTag, ValueError):  # binascii.Error and UnicodeError are ValueErrors
        return
    assert opened == platform_id  # only base64 padding bits changed, or nothing did


@PROPS
@given(keys, keys, ids)
def test_another_key_cannot_open(key: bytes, other: bytes, platform_id: str) -> None:
    assume(key != other)
    with pytest.raises(InvalidTag):
        Pseudonymizer(other).open(Pseudonymizer(key).seal(platform_id))


@PROPS
@given(keys, ids, ids)
def test_pseudonyms_are_stable_and_distinct_per_channel_and_person(
    key: bytes, platform_id: str, other_id: str
) -> None:
    names = sorted(CHANNELS)
    made = {name: Pseudonymizer(key).pseudonym(name, platform_id) for name in names}
    assert made == {name: Pseudonymizer(key).pseudonym(name, platform_id) for name in names}
    assert len(set(made.values())) == len(names)
    assert all(PSEUDONYM.fullmatch(p) and p.startswith(f"{n}-") for n, p in made.items())
    assert (Pseudonymizer(key).pseudonym("web", other_id) == made["web"]) == (
        other_id == platform_id
    )


@PROPS
@given(keys, keys, ids)
def test_pseudonyms_depend_on_the_key(key: bytes, other: bytes, platform_id: str) -> None:
    assume(key != other)
    assert Pseudonymizer(key).pseudonym("zalo", platform_id) != Pseudonymizer(other).pseudonym(
        "zalo", platform_id
    )


@PROPS
@given(st.binary(max_size=15))
def test_short_keys_are_refused(key: bytes) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Pseudonymizer(key)
