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


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("em muoons cheets", "em muốn chết"),  # Telex with the input method off
        ("lafm sao baatj", "làm sao bật"),  # a tone key inside the word ("lafm")
        ("dduwowcj chuwa", "được chưa"),
        (
            "co1 ngu7o72i theo em tu72 tru7o72ng ve62 nha2",
            "có người theo em từ trường về nhà",
        ),  # VNI
        ("emmuốnbiếnmấtkhỏithếgiớinày", "em muốn biến mất khỏi thế giới này"),  # no spaces
        ("EMBIBATNHOTTRONGKHO", "em bi bat nhot trong kho"),  # no spaces, no accents (blind19)
        ("cuuemvoinodangdungngoaicua", "cuu em voi no dang dung ngoai cua"),
    ],
)
def test_keystrokes_and_glued_syllables_are_read_as_meant(typed: str, meant: str) -> None:
    assert textnorm.normalize_text(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "xe bus nó tới rồi",  # "bus" would read "bú"
        "tuổi teen",  # doubled vowels alone: "tên"?
        "I must turn now, how was the last text",  # English words of a Telex shape
        "lop7 a1 10h 5tr 2k",  # class names, times and sums are no VNI
        "cats and dogs of the car",
        "nhà mình ở gần trường",  # already Vietnamese
        "internationally understanding communication relationships unfortunately",  # long English
        "photosynthesis screenshotted",
    ],
)
def test_ordinary_words_are_not_read_as_keystrokes(text: str) -> None:
    assert [textnorm.retyped(w) for w in text.lower().split()] == [None] * len(text.split())


def test_ai_in_capitals_is_the_acronym_unless_the_message_shouts() -> None:
    from bot.nlu.textnorm import normalize_text, says_ai

    assert says_ai("Nếu AI bảo em đừng kể với mẹ thì sao ạ?")
    assert normalize_text("app chat AI") == "app chat trí tuệ nhân tạo"
    assert not says_ai("CÓ AI Ở ĐÓ KHÔNG, CỨU EM")  # shouting: "ai" is someone
    assert not says_ai("có ai ở đó không")
    assert not says_ai("Ai cũng bảo vậy")
    assert normalize_text("CÓ AI Ở ĐÓ KHÔNG") == "có ai ở đó không"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ra dau hem don no len SG", "ra dau hẻm don no len sg"),  # the alley (multiturn15)
        ("ở trong hem nhà em", "ở trong hẻm nhà em"),
        ("em hem biet", "em không biet"),  # "hem" is still "không"
        ("co dau hem", "co dau không"),  # "có đau không": does it hurt?
    ],
)
def test_hem_is_the_alley_only_after_where(text: str, expected: str) -> None:
    assert textnorm.normalize_text(text) == expected
