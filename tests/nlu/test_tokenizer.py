import unicodedata

import pytest

from bot.nlu.tokenizer import lemma_of, segment, tokens_with_offsets


def _check_offsets(text: str) -> list:
    tokens = tokens_with_offsets(text, segment(text))
    for t in tokens:
        assert text[t.start : t.end] == t.text
    return tokens


def test_compounds_become_one_token_with_offsets_into_the_text() -> None:
    text = "Con tôi bị bắt nạt trên mạng, phải làm sao?"
    tokens = _check_offsets(text)
    assert "bắt nạt" in [t.text for t in tokens]
    assert "bắt_nạt" in [t.lemma for t in tokens]
    assert "," not in [t.text for t in tokens]  # punctuation is dropped


def test_teencode_token_keeps_text_and_gets_normal_lemma() -> None:
    tokens = _check_offsets("e bi ng la ib doi anh")
    by_text = {t.text: t.lemma for t in tokens}
    assert by_text["e"] == "em"
    assert any(t.lemma.startswith("người") for t in tokens)


@pytest.mark.parametrize(
    "text",
    [
        "Thanh Hoá  học  sinh",  # double spaces and old-style tone placement
        "Hoà thuỷ",
        "ko biết làm j nữa!!!",
        "e bị ng lạ ib đòi ảnh nóng 😭",
        "CON TÔI 12 TUỔI",
    ],
)
def test_offsets_survive_spacing_and_tone_placement(text: str) -> None:
    tokens = _check_offsets(text)
    assert tokens


def test_nfd_input_after_channel_normalisation_tokenises_fully() -> None:
    from bot.nlu.textnorm import nfc

    text = nfc(unicodedata.normalize("NFD", "bị bắt nạt trên mạng"))
    assert [t.text for t in _check_offsets(text)] == ["bị", "bắt nạt", "trên", "mạng"]


def test_lemma_of_joins_normalised_syllables() -> None:
    assert lemma_of("bắt nạt") == "bắt_nạt"
    assert lemma_of("tk") == "tài_khoản"


def test_ai_acronym_gets_its_own_lemma() -> None:
    from bot.nlu.tokenizer import segment, tokens_with_offsets

    text = "bạn em chơi app nói chuyện với AI"
    lemmas = [t.lemma for t in tokens_with_offsets(text, segment(text))]
    assert lemmas[-1] == "trí_tuệ_nhân_tạo" and "ai" not in lemmas
    shout = "CÓ AI KHÔNG"
    assert "ai" in [t.lemma for t in tokens_with_offsets(shout, segment(shout))]
