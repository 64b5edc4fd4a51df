"""Properties of bot.nlu.textnorm: never raises, NFC out, idempotent, lengths bounded."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from bot.nlu import textnorm
from tests.property.strategies import PROPS, VI_LETTERS, any_str, chat_text, is_nfc

WHITESPACE_RUN = re.compile(r"\s{2,}")
teencode_words = st.sampled_from(sorted(textnorm.teencode()))
# Messages made of teencode, stretched letters and Vietnamese words, where expansion happens.
slangy = st.lists(
    st.one_of(teencode_words, chat_text, teencode_words.map(lambda w: w + w[-1] * 3)), max_size=8
).map(" ".join)


@PROPS
@given(any_str)
@example("a\ud800 b\udfff")  # lone surrogates: refused at the door, but never a crash here
def test_nfc_is_nfc_collapsed_stripped_and_idempotent(text: str) -> None:
    out = textnorm.nfc(text)
    assert is_nfc(out)
    assert out == out.strip() and not WHITESPACE_RUN.search(out)
    assert textnorm.nfc(out) == out
    assert len(out) <= len(unicodedata.normalize("NFC", text))


@PROPS
@given(st.lists(st.sampled_from(VI_LETTERS), max_size=40).map("".join))
def test_nfc_of_decomposed_vietnamese_is_the_composed_text(text: str) -> None:
    assert textnorm.nfc(unicodedata.normalize("NFD", text)) == text


@PROPS
@given(any_str)
def test_strip_accents_leaves_no_mark_and_is_idempotent(text: str) -> None:
    out = textnorm.strip_accents(text)
    assert is_nfc(out)
    assert "đ" not in out and "Đ" not in out
    assert not any(unicodedata.category(c) == "Mn" for c in unicodedata.normalize("NFD", out))
    assert textnorm.strip_accents(out) == out
    assert not textnorm.has_diacritics(out)


@PROPS
@given(st.lists(st.sampled_from(VI_LETTERS), max_size=40).map("".join))
def test_strip_accents_maps_vietnamese_letters_to_ascii_one_for_one(text: str) -> None:
    out = textnorm.strip_accents(text)
    assert out.isascii() and len(out) == len(text)
    assert textnorm.has_diacritics(text) == (out != text)


@PROPS
@given(any_str)
def test_squash_repeats_never_grows_and_is_idempotent(word: str) -> None:
    out = textnorm.squash_repeats(word)
    assert len(out) <= len(word)
    assert textnorm.squash_repeats(out) == out


@PROPS
@given(st.sampled_from(VI_LETTERS).filter(str.isalpha), st.integers(min_value=3, max_value=12))
def test_squash_repeats_cuts_any_stretch_to_one_letter(letter: str, times: int) -> None:
    assert textnorm.squash_repeats("1" + letter * times + "!") == "1" + letter + "!"


@PROPS
@given(any_str)
def test_words_cover_every_visible_character_in_order(text: str) -> None:
    found = textnorm.words(text)
    assert all(w and not any(c.isspace() for c in w) for w in found)
    assert "".join(found) == "".join(textnorm.nfc(text).split())


@PROPS
@given(st.one_of(any_str, slangy))
@example("ko \ud800 dc")
def test_normalize_text_is_lower_nfc_spaced_and_idempotent(text: str) -> None:
    out = textnorm.normalize_text(text)
    assert is_nfc(out)
    assert out == out.strip() and "  " not in out
    assert out == out.lower()
    assert textnorm.normalize_text(out) == out


@PROPS
@given(st.one_of(any_str, slangy))
@example("0\ufe00")  # a variation selector: a word of marks only, which folding empties
@example("x\u200d")
def test_fold_has_no_diacritics_and_ignores_encoding_and_spacing(text: str) -> None:
    # Not idempotent by design: an accent-free "a" is teencode for "anh" ("À" folds to "a").
    out = textnorm.fold(text)
    assert not textnorm.has_diacritics(out) and is_nfc(out)
    assert out == out.lower() and out == out.strip() and "  " not in out
    assert textnorm.fold(unicodedata.normalize("NFD", text)) == out
    assert textnorm.fold("\n " + text.replace(" ", " \t ") + "  ") == out
