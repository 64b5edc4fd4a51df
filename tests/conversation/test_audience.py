"""Who is writing: declarations hold, cues add up over messages, "tui"/"mình" alone say little."""

from __future__ import annotations

import pytest

from bot.content import load_content
from bot.conversation.audience import Audience, read_message


@pytest.mark.parametrize(
    ("text", "role", "declared"),
    [
        ("À mình là dì của bé chứ không phải mẹ, mẹ bé làm ca đêm", "parent", True),  # an aunt
        ("tôi là chú ruột của cháu, bố mẹ cháu đi làm xa", "parent", True),
        ("Cháu gái mình 12 tuổi chơi Roblox suốt", "parent", False),
        ("Cho mình hỏi, cháu mình 10 tuổi chơi Roblox trên iPad", "parent", False),
        ("Mình là dì nó chứ ko phải mẹ, bố mẹ nó đi làm bên Nhật", "parent", True),
        ("phụ huynh bé Na đây ạ", "parent", True),
        ("Phụ huynh em ấy chưa biết. Tôi có nên gọi ngay không?", None, False),  # a teacher's pupil
        ("tui là bà ngoại của thằng bé", "grandparent", True),
        ("Bà nội của cháu đây, cháu nó bị lừa", "grandparent", True),
        ("Tôi 67 tuổi rồi, không rành điện thoại", "grandparent", True),
        ("tôi là bố nó mà, sao gọi tôi là em", "parent", True),
        ("em là mẹ của bé 5 tuổi", "parent", True),
        ("toi la ba cua no", "parent", True),
        ("tôi là giáo viên chủ nhiệm lớp 7", "teacher", True),
        ("học sinh của tôi kể bị chú hàng xóm sờ", "teacher", True),
        ("em 13 tuổi", "child", True),
        ("mình là học sinh lớp 8", "child", True),
        ("con tôi bị bắt nạt trên mạng", "parent", False),
        ("chau nha toi nghien game qua", "parent", False),
        ("em bị bạn cùng lớp chê cười", "child", False),
        ("bố mẹ em cài app theo dõi máy em", "child", False),
        ("ba mẹ em không biết chuyện này", "child", False),
        # elders, school staff, "thật ra…", a child's age inside a parent's message
        ("bà hỏi chút, thằng cu nhà bà cứ chơi điện thoại tới khuya", "grandparent", True),
        ("Con ơi, tui hỏi cái tin trên Zalo với", "grandparent", True),
        ("mình là cán bộ tư vấn học đường ở một trường THCS", "teacher", True),
        ("thật ra em là học sinh lớp 7, em hỏi cho em", "child", True),
        ("Tôi hỏi vì con gái tôi. Cháu 15 tuổi. Có đứa dọa tung ảnh", "parent", False),
        ("Thằng nhỏ nhà em 12 tuổi lấy đt em chuyển tiền nạp game", "parent", False),
        ("tôi vừa xem điện thoại thằng con 13 tuổi", "parent", False),
        ("chị em 16 tuổi, đêm nay có người quen trên mạng về đón chị em", "child", False),
        ("bạn lớp tớ bảo cả lớp chơi thử thách", "child", False),
        ("nó nhắn cho người kia 'bố em không cho đi'. Giờ tôi phải làm gì?", None, False),
        # session 10: "bà nội đây"; "vợ tôi"; "ảnh tụi nhỏ" is no "anh tui" (my brother)
        ("bà nội đây. con nhỏ cháu bà 16 tuổi, có người rủ qua Campuchia", "grandparent", True),
        ("Tôi hay đăng ảnh hai đứa nhỏ lên Facebook. Vợ tôi bảo nguy hiểm.", "parent", False),
        ("Ảnh tụi nhỏ mặc đồng phục có tên trường thì có nên xóa không?", None, False),
        ("thật ra e ko phải mẹ đâu, e là Na, e mượn đt mẹ hỏi", "child", True),
        ("alo alo có ai đấy không bà ngoại đây bà nhờ thằng cháu nó cài cho", "grandparent", True),
        # no accents, the bot called "con": "ba" is "bà" here, not a Southern father
        ("ba khong biet bam cho nao, con chi tung buoc giup ba", "grandparent", True),
        # session 17: calling the bot "cháu" and speaking of "thằng cháu bà" (multiturn13 m10)
        ("chau oi ba hoi, lam sao biet thang chau ba no dung zalo khong", "grandparent", True),
        ("thang chau ba no hoc o ha noi", "grandparent", True),
        ("bot ơi cho t hỏi, ảnh nhạy cảm của 1 đứa bị đăng lên nhóm có gỡ đc ko", "child", False),
        ("sao acc fb t tự nhiên toàn gái xinh kb v", "child", False),
        # session 13: boarding-school staff (multiturn9 h07); "tôi quản lý" alone is a parent's word
        ("chào bạn, tôi quản lý ký túc xá trường nội trú. Có em H 15 tuổi bị lừa", "teacher", True),
        ("mình là giám thị trường THPT, có em học sinh bị dọa", "teacher", True),
        ("tôi quản lý giờ chơi game của con thế nào", None, False),
        # session 14: a 17-year-old whose photos a fake account took (multiturn10 m18)
        (
            "có acc threads lấy ảnh của mình đăng lại, để tên gần giống mình, còn đi cmt :((",
            "child",
            False,
        ),
        ("bạn bè mình đang share acc đó kiểu cho vui, mình nhục lắm", "child", False),
        # session 21 (multiturn17): other adults, and a teenager's "17t"
        ("Chào Đồng Hành, mình là bí thư Đoàn xã, tháng sau mình tổ chức buổi", "adult", True),
        ("em là dược sĩ, có bé gái tới mua nhiều thuốc ngủ", "adult", True),
        ("con ơi ngoại hỏi con cái nè ngoại hay chụp hình hai đứa cháu", "grandparent", True),
        ("con oi ngoai hoi con cai nay", "grandparent", True),
        ("tôi ở nhà bên cạnh, đêm nào cũng nghe thằng bé khóc", "adult", True),
        ("Hi, mình 17t. Người yêu cũ của mình đăng tin nhắn riêng lên story", "child", True),
        ("Facebook của mình bị hack, lấy lại thế nào", None, False),
        # session 18 (multiturn14): an elder dictating after "chào cháu"; how they ask to be called;
        # "à mà em gọi…" typed without accents is no mother; the mother of a newborn
        ("chào cháu bà hỏi cái ni với bà nuôi hai đứa cháu nội", "grandparent", True),
        ("bà là bà chớ không phải chị mô, cháu gọi bà là bà được rồi", "grandparent", True),
        ("a ma em goi chi la chi thoi nhe, dung goi quy phu huynh", "parent", True),
        ("À mà đừng kêu chú bằng anh, chú 55 rồi, kêu chú được rồi con.", "parent", True),
        ("a ma em goi cho me roi", "child", False),
        # "mà tui" with its accents is "but I", not "my mother" (multiturn14 m03)
        (
            "Khuya rồi mà tui ngủ hông được. Con gái tui 14 tuổi có tài khoản tiktok thứ hai",
            "parent",
            False,
        ),
        ("má tui đánh tui hoài", "child", False),
        ("Chào em, anh ở Quảng Ngãi, nhà bị ngập. Có tin được không em", "parent", False),
        ("má em đánh em", "child", False),
        ("mẹ em mới sinh em bé, em muốn đăng ảnh em bé lên fb", "child", False),
    ],
)
def test_one_message(text: str, role: str, declared: bool) -> None:
    reading = read_message(text)
    assert (reading.role, reading.declared) == (role, declared)


def test_a_grandchild_showing_grandma_is_not_read_as_a_grandparent() -> None:
    reading = read_message("chau chi cho ba cach dung zalo roi ma ba van bam nham")
    assert reading.role != "grandparent"


@pytest.mark.parametrize(
    "text",
    ["cài Family Link thế nào", "báo cáo trang đăng ảnh trẻ em ở đâu", "chào ad", "tui muốn hỏi"],
)
def test_words_that_say_nothing_about_the_writer(text: str) -> None:
    assert read_message(text).role is None


def test_a_teacher_who_mentions_the_parents_group_stays_a_teacher() -> None:
    audience = Audience(None, False, 0.0).after(read_message("tôi là thầy chủ nhiệm lớp 6"))
    audience = audience.after(read_message("Phụ huynh trong nhóm Zalo lớp gửi nhau tin Momo"))
    assert audience.role == "teacher"


def test_a_young_mother_who_writes_em_stays_a_parent() -> None:
    """One sure message ("bé nhà em (4 tuổi)") outweighs several plain "em"s that follow."""
    audience = Audience(None, False, 0.0)
    audience = audience.after(read_message("em hay đăng hình bé nhà em (4 tuổi) lên Facebook"))
    for text in ("em có cần xóa hết không", "em để chế độ bạn bè thì có an toàn hông",
                 "em có nên báo cáo mấy tài khoản lạ không"):  # fmt: skip
        audience = audience.after(read_message(text))
        assert audience.role == "parent", text


def test_a_declaration_holds_against_later_cues() -> None:
    audience = Audience(None, False, 0.0).after(read_message("tui là bà nội của cháu"))
    for text in ("em không biết cài", "e ko bit lam", "mình hỏi chút"):
        audience = audience.after(read_message(text))
    assert audience.role == "grandparent" and audience.fixed


def test_a_button_wins_and_a_new_declaration_changes_it() -> None:
    audience = Audience("child", False, -3.0).chosen("parent")
    assert audience.after(read_message("bố mẹ em cài app")).role == "parent"
    assert audience.after(read_message("em là học sinh lớp 9 mà")).role == "child"


def test_weak_cues_add_up_instead_of_each_message_deciding() -> None:
    audience = Audience(None, False, 0.0)
    audience = audience.after(read_message("em hỏi chút"))  # most who write "em" are children
    assert audience.role == "child"
    audience = audience.after(read_message("con em bị bạn trêu trên zalo"))  # a young mother
    assert audience.role == "parent"
    audience = audience.after(read_message("em phải làm sao"))
    assert audience.role == "parent"


@pytest.mark.parametrize(
    ("role", "must", "must_not"),
    [
        ("grandparent", ["ông/bà", "cháu"], ["anh/chị", "Anh/chị"]),
        ("teacher", ["thầy/cô"], ["anh/chị", "Anh/chị"]),
        ("parent", ["anh/chị"], ["ông/bà", "thầy/cô"]),
        ("adult", ["anh/chị", "cháu"], ["ông/bà", "thầy/cô", "với con"]),
    ],
)
def test_adults_are_addressed_by_their_role(
    role: str, must: list[str], must_not: list[str]
) -> None:
    text = load_content().protocol("self_harm", "first", role)
    assert all(word in text for word in must), text
    assert not any(word in text for word in must_not), text


def test_grandparent_address_keeps_words_that_only_contain_con() -> None:
    text = load_content().say("delete_confirm", "grandparent")
    assert "con số" not in text or "cháu số" not in text
    assert "cháu số" not in text


def test_a_mother_of_a_newborn_who_writes_e_is_a_parent() -> None:
    # "chị ơi e mới sinh bé đc 5 ngày" (multiturn14 m06): "e" and "chị ơi" say little, a birth
    # says more
    audience = Audience(None, False, 0.0).after(
        read_message("chị ơi e mới sinh bé đc 5 ngày, đăng ảnh bé có sao k ạ")
    )
    assert audience.role == "parent"
