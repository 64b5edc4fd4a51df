"""How an adult is addressed once they say it (bot/conversation/honorific.py)."""

from __future__ import annotations

import pytest

from bot.conversation.honorific import honorific, personal


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Chào em, chị cần hỏi chút. Thằng cu nhà chị 9 tuổi", "chị"),
        ("toi la bo, con gai toi 11 tuoi", "anh"),
        ("tôi là bố nó mà, sao gọi tôi là em", "anh"),
        ("Chào cháu, bà nội đây. Bà nhờ cháu xem giúp cái tin này", "bà"),
        ("chau oi ba hoi, lam sao biet thang chau ba no co dang dung zalo khong", "bà"),
        ("Tui là ông nội hắn", "ông"),
        ("Em là mẹ của bé Bông, 2 tuổi", "chị"),
        ("tôi là giáo viên chủ nhiệm, cô là giáo viên nên cần biết", "cô"),
        ("Mình là dì của cháu, bố mẹ cháu đi Nhật", "chị"),
        ("cho anh hỏi cách chặn tin nhắn người lạ", "anh"),
        # session 18 (multiturn14): how they ask to be called wins, even in a message with "tôi"
        ("a ma em goi chi la chi thoi nhe, dung goi quy phu huynh", "chị"),
        ("bà là bà chớ không phải chị mô, cháu gọi bà là bà được rồi", "bà"),
        ("À mà đừng kêu chú bằng anh, chú 55 rồi, kêu chú được rồi con.", "chú"),
        ("Cháu cứ gọi tôi là ông, tôi ngoài bảy mươi rồi", "ông"),
        ("Chào bạn, mình là cán bộ CTXH cấp huyện, đang theo dõi một ca", "anh/chị"),
    ],
)
def test_what_a_person_says_of_themself(text: str, term: str) -> None:
    assert honorific(text) == term


@pytest.mark.parametrize(
    "text",
    [
        "chị ơi cho em hỏi",  # the person calls the bot chị
        "con tôi bị anh họ nhắn tin",  # a third person
        "anh ấy bảo em gửi ảnh",
        "con tôi 13 tuổi nghiện điện thoại",  # says nothing of how to be addressed
        "mẹ em bảo mai cài cái đó cho em",
        # someone quoted, in a message whose writer says "tôi"
        "Con trai tôi bỏ nhà đi. Người đó bảo vào Sài Gòn ở với anh, anh lo việc làm.",
    ],
)
def test_nothing_said_of_how_to_address(text: str) -> None:
    assert honorific(text) is None


def test_slash_forms_become_the_term_capitalised_alike() -> None:
    text = "Anh/chị nên cài cùng con. Nếu anh/chị lo, gọi 111. Ông/bà, thầy/cô."
    assert personal(text, "chị") == "Chị nên cài cùng con. Nếu chị lo, gọi 111. Chị, chị."


def test_no_term_leaves_the_text_as_it_is() -> None:
    assert personal("Anh/chị gọi 111.", None) == "Anh/chị gọi 111."


def test_a_professional_reads_anh_chi_not_thay_co() -> None:
    # a social worker reads the teacher's content, but is no "thầy/cô" (multiturn14 m11)
    assert personal("Thầy/cô nên ghi lại; thầy/cô gọi 111.", "anh/chị") == (
        "Anh/chị nên ghi lại; anh/chị gọi 111."
    )


def test_chu_replaces_the_slash_forms() -> None:
    assert personal("Anh/chị gọi 111.", "chú") == "Chú gọi 111."


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Cháu đừng gọi tôi là bác, tôi là ông nó, cháu nội tôi học lớp 5.", "ông"),  # refused
        ("Bà không biết dùng tiktok, làm sao xoá mấy cái video đó", "bà"),
        ("bà không cho em chơi điện thoại", None),  # a child speaking of her grandmother
        ("Gọi cô là cô nhé, cô bằng tuổi mẹ em rồi.", "cô"),
    ],
)
def test_multiturn15_terms(text: str, term: str | None) -> None:
    assert honorific(text) == term


def test_a_young_writer_may_ask_for_ban() -> None:
    from bot.conversation.honorific import as_peer, peer_requested

    assert peer_requested("đừng gọi mình là em nha, nghe như thầy cô. gọi bạn thôi")
    assert peer_requested("goi minh la ban thoi")
    assert not peer_requested("em bị bạn cùng lớp bắt nạt")
    assert not peer_requested("gọi bạn thân em ra nói chuyện")
    assert as_peer("Em làm đúng. Bạn em cần giúp, em ấy và anh chị em. Mình ở đây với em.") == (
        "Bạn làm đúng. Bạn của bạn cần giúp, em ấy và anh chị em. Mình ở đây với bạn."
    )
