"""Follow-ups read inside the topic: own cues, a named platform, generic cues, "còn cách nào"."""

from __future__ import annotations

import pytest

from bot.conversation.followups import Followups

TOPICS = {
    "ask_sextortion": {"followups": {
        "steps": {"title": "Các bước"}, "report": {"title": "Báo cáo"},
        "pay": {"title": "Có nên trả tiền?", "cues": ["chuyển tiền", "trả tiền", "ck tiền"]},
    }},
}  # fmt: skip
DIALOGUE = {
    "followup_cues": {"report": ["báo cáo ở đâu", "ở đâu"], "steps": ["phải làm gì"]},
    "more_cues": ["còn cách nào", "cách khác"],
    "platform_cues": {"report": ["báo cáo"], "block": ["chặn"]},
    "question_cues": ["sao", "không"],
    "change_cues": ["chuyện khác"],
}
PLATFORMS = {"platforms": {"roblox": {"names": ["roblox"], "report": {}, "block": {}}}}


@pytest.fixture
def follow() -> Followups:
    return Followups(TOPICS, DIALOGUE, PLATFORMS)


@pytest.mark.parametrize(
    ("text", "kind", "item", "platform"),
    [
        ("hay là chuyển tiền cho nó cho xong chuyện?", "item", "pay", None),
        ("hay la chuyen tien cho no cho xong", "item", "pay", None),
        ("nút báo cáo trong Roblox ở đâu", "platform", "report", "roblox"),
        ("chặn nó trên roblox thế nào", "platform", "block", "roblox"),
        ("báo cáo ở đâu", "item", "report", None),
        ("giờ phải làm gì", "item", "steps", None),
    ],
)
def test_choose(follow: Followups, text: str, kind: str, item: str, platform: str | None) -> None:
    choice = follow.choose(text, "ask_sextortion")
    assert choice is not None
    assert (choice.kind, choice.item, choice.platform) == (kind, item, platform)


def test_own_cues_are_stronger_than_generic_ones(follow: Followups) -> None:
    assert follow.choose("chuyển tiền ở đâu", "ask_sextortion").strength == 2  # type: ignore[union-attr]
    assert follow.choose("báo cáo ở đâu", "ask_sextortion").strength == 1  # type: ignore[union-attr]


def test_another_way_is_the_next_item_not_shown(follow: Followups) -> None:
    first = follow.choose("còn cách nào khác không", "ask_sextortion", ["answer", "steps"])
    assert first is not None and first.item == "report"
    last = follow.choose("cách khác?", "ask_sextortion", ["answer", "steps", "report", "pay"])
    assert last is not None and last.kind == "unknown"


def test_nothing_to_follow(follow: Followups) -> None:
    assert follow.choose("cảm ơn nhé", "ask_sextortion") is None
    assert follow.changes_subject("thôi hỏi chuyện khác")
    assert follow.is_question("vậy sao?") and not follow.is_question("ok")


WAITING = {
    "waiting_cues": ["bao lâu", "có ai", "chờ", "đợi", "lâu quá", "chờ lâu"],
    "waiting_question_cues": ["trong lúc chờ", "trong khi chờ"],
    "later_cues": ["mai nhắn lại", "mai tôi nhắn", "có bị mất"],
}


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("em chờ lâu quá", True),
        ("có ai ở đó không", True),
        ("e cho lau qua", True),  # no diacritics: "lâu quá" still says it
        ("cho em hỏi cách đổi mật khẩu", False),  # "cho" is not "chờ"
        ("cho e hoi cach doi mat khau", False),  # unaccented "cho", "doi": too unsure
        ("trong lúc chờ cho tôi hỏi dấu hiệu nghiện game", False),  # a question while waiting
    ],
)
def test_what_is_about_the_wait(text: str, about: bool) -> None:
    follow = Followups(TOPICS, WAITING, PLATFORMS)
    assert follow.about_waiting(text) is about


def test_coming_back_later() -> None:
    follow = Followups(TOPICS, WAITING, PLATFORMS)
    assert follow.comes_back_later("hôm nay không ai trả lời thì mai tôi nhắn lại được không")
    assert not follow.comes_back_later("bao lâu nữa thì có người")


@pytest.mark.parametrize(
    ("text", "kidding"),
    [("=)) dua thoi, test xem bot co ngu ko", True), ("giỡn chơi thôi mà", True),
     ("em không đùa đâu", False), ("không phải đùa thôi đâu, em sợ thật", False)],
)  # fmt: skip
def test_kidding(text: str, kidding: bool) -> None:
    follow = Followups(TOPICS, {"kidding_cues": ["đùa thôi", "giỡn chơi", "test bot"]}, PLATFORMS)
    assert follow.is_kidding(text) is kidding


@pytest.mark.parametrize(
    ("text", "question"),
    [("gọi 111 có mất tiền không", True), ("có ai ở đó ko", True), ("xong chưa", True),
     ("tôi không có nhiều tiền", False), ("em không biết", False)],
)  # fmt: skip
def test_a_question_ends_with_khong(text: str, question: bool) -> None:
    assert Followups(TOPICS, {}, PLATFORMS).is_question(text) is question


def test_asking_whether_we_tell_the_parents_is_not_asking_to_tell_them() -> None:
    follow = Followups(TOPICS, {"tell_adult_cues": ["báo bố mẹ", "đánh thức"]}, PLATFORMS)
    assert follow.asks_if_we_tell("bot có báo bố mẹ em không ạ")
    assert not follow.asks_to_tell_an_adult("bot có báo bố mẹ em không ạ")
    assert follow.asks_to_tell_an_adult("bố mẹ em ngủ rồi, em vào đánh thức mẹ luôn hả")
    assert not follow.asks_if_we_tell("bố mẹ em ngủ rồi, em vào đánh thức mẹ luôn hả")


@pytest.mark.parametrize(
    ("text", "ack"),
    [("Ừ để chị thử", True), ("uk", True), ("ok", True), ("dạ được rồi", True),
     ("ok vậy chặn ở đâu?", False), ("ừ nhưng nó vẫn nhắn tiếp cho con tôi hằng ngày suốt", False),
     ("thế thôi à", False)],
)  # fmt: skip
def test_an_acknowledgement_is_short_and_asks_nothing(text: str, ack: bool) -> None:
    assert real_cues().is_ack(text) is ack


@pytest.mark.parametrize(
    ("text", "asks"),
    [("mà nếu sáng mai xe tới thiệt thì bà làm sao?", True), ("giờ phải làm gì", True),
     ("con tôi làm sao mà bị lừa được", False), ("căn cước đưa họ giữ rồi có sao không", False)],
)  # fmt: skip
def test_asking_what_to_do_now(text: str, asks: bool) -> None:
    assert real_cues().asks_what_to_do(text) is asks


def real_cues() -> Followups:
    """The cues of content/dialogue.yml."""
    import yaml

    from bot.settings import ROOT

    dialogue = yaml.safe_load((ROOT / "content" / "dialogue.yml").read_text(encoding="utf-8"))
    return Followups(TOPICS, dialogue, PLATFORMS)


def test_platform_steps_names_the_platform_and_the_action_in_any_language() -> None:
    dialogue = {**DIALOGUE, "platform_cues": {"report": ["báo cáo", "report"],
                                              "privacy": ["riêng tư", "strangers"]}}  # fmt: skip
    platforms = {"platforms": {"zalo": {"names": ["zalo"], "privacy": {}},
                               "tiktok": {"names": ["tiktok"], "report": {}}}}  # fmt: skip
    follow = Followups(TOPICS, dialogue, platforms)
    text = "What should I change on his Zalo so strangers can't message him?"
    assert follow.platform_steps(text) == ("zalo", "privacy")
    assert follow.platform_steps("how do I report someone on TikTok") == ("tiktok", "report")
    assert follow.platform_steps("báo cáo trên zalo") is None  # Zalo has no report steps here
    assert follow.platform_steps("is this app safe for kids") is None  # no platform named


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("ad ơi có ng rủ e cho thuê tk ngân hàng, 1tr5 hoa hồng mỗi tháng", "rent_bank_account"),
        ("e lỡ đưa r, h tk e có tiền vô ra lung tung", "rent_bank_account_done"),
        ("nhóm zalo bán pod, vape ship tận cổng trường", "vape_group"),
        ("me tui moi mat 2 thang, fb cua me van con", "deceased_account"),
        # the same words in other questions name nothing (multiturn16 m05: "tài khoản của bố mẹ")
        ("youtube có cho trẻ 12 tuổi tự lập kênh ko, hay phải dùng tài khoản của bố mẹ?", None),
        ("tide pod challenge o vn co ko ad", None),
        ("mở tk ngân hàng cho con 15 tuổi được không", None),
        ("muốn tố cáo một đường dây thuê tài khoản ngân hàng thì báo ở đâu", None),
        ("em tìm việc làm thêm phụ mẹ, ba em mất rồi, nhóm facebook tuyển like dạo", None),
        ("tinh dầu tràm cho bé có an toàn không", None),
        ("video nói ai xem xong không chia sẻ cho 5 người thì đêm nay ma sẽ đến", "chain_threat"),
        ("thằng đó nhắn là tối nay nó sẽ đến nhà em", None),  # a threat, never a chain letter
        ("hỏi chuyện con mà con cứ bảo mẹ không hiểu đâu", None),  # "con mà" folds to "con ma"
        ("nó đòi ảnh, ko gửi thì nó đăng thông tin của em", None),  # a threat, not a chain letter
        ("bố em quay video lúc bố phạt em rồi đăng lên tiktok", "parent_posts_child"),
        (
            "mấy đứa cùng lớp quay clip đánh con tui rồi đăng lên fb",
            None,
        ),  # classmates, not a parent
    ],
)
def test_decisive_items(text: str, item: str | None) -> None:
    from bot.content import load_content

    content = load_content()
    real = Followups(content.topics, content.dialogue, content.platforms)
    found = real.decisive_items(text)
    assert (found[0].item if found else None) == item
