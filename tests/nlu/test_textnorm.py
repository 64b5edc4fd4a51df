import unicodedata

import pytest

from bot.nlu import textnorm


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("quáaaa", "quá"),
        ("nhiềuuu", "nhiều"),
        ("ơiiii", "ơi"),
        ("xoong", "xoong"),  # a real double vowel stays
        ("quáa", "quá"),
        ("sợ", "sợ"),
    ],
)
def test_squash_repeats(raw: str, expected: str) -> None:
    assert textnorm.squash_repeats(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ko", "không"),
        ("K", "không"),
        ("kooo", "không"),
        ("dc", "được"),
        ("đc", "được"),
        ("j", "gì"),
        ("e", "em"),
        ("ng", "người"),
        ("tk", "tài khoản"),
        ("acc", "tài khoản"),
        ("fb", "facebook"),
        ("sdt", "số điện thoại"),
        ("Bắt", "bắt"),
        ("nạt", "nạt"),
    ],
)
def test_normalize_word_expands_teencode(raw: str, expected: str) -> None:
    assert textnorm.normalize_word(raw) == expected


def test_normalize_text_whole_message() -> None:
    assert textnorm.normalize_text("E bị ng lạ ib đòi ảnh, sợ quáaa!!") == (
        "em bị người lạ nhắn tin đòi ảnh , sợ quá ! !"
    )


def test_nfc_recomposes_decomposed_input_and_collapses_spaces() -> None:
    decomposed = unicodedata.normalize("NFD", "  Con   tôi bị bắt nạt ")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    assert textnorm.nfc(decomposed) == "Con tôi bị bắt nạt"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Đường dây nóng", "Duong day nong"), ("bắt nạt", "bat nat"), ("Quảng Ngãi", "Quang Ngai")],
)
def test_strip_accents_maps_d_bar(raw: str, expected: str) -> None:
    assert textnorm.strip_accents(raw) == expected


def test_has_diacritics() -> None:
    assert textnorm.has_diacritics("con tôi")
    assert textnorm.has_diacritics("đi")
    assert not textnorm.has_diacritics("con toi bi lua")


def test_teencode_table_keys_are_normalised() -> None:
    table = textnorm.teencode()
    assert table, "the teencode table is empty"
    for key, value in table.items():
        assert key == unicodedata.normalize("NFC", key).lower()
        assert value.strip() == value and value


@pytest.mark.parametrize("word", ["cứu", "lưu", "hưu", "cừu", "mưu", "cựu"])
def test_a_horned_vowel_before_its_plain_letter_is_not_a_stretched_letter(word: str) -> None:
    assert textnorm.squash_repeats(word) == word
    assert textnorm.normalize_text(f"{word} với") == f"{word} với"
