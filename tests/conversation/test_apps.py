"""Apps the bot does not know, asked about by name (bot/conversation/apps.py)."""

from __future__ import annotations

import pytest

from bot.conversation.apps import unknown_app


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "thế còn cái app KidGuard Sakura, cài cho nó được không em, có an toàn không",
            "KidGuard Sakura",
        ),
        ("app đó tên là Lumi Chat, nó có an toàn k ạ?", "Lumi Chat"),
        ("Ad có biết hãng đồng hồ K-Kid có bán dữ liệu của trẻ không ạ?", "K-Kid"),
        ("1 kênh tele tên 'Đáp Án Chuẩn 2K11' đòi thêm 100k, có lừa đảo ko", "Đáp Án Chuẩn 2K11"),
        (
            "cô giới thiệu ứng dụng học tiếng Anh tên 'Kiddo Star'. Nó có đáng tin không?",
            "Kiddo Star",
        ),
        # the name first, and "thế nào" / "chi rứa" (multiturn15)
        ("StarNest là app chi rứa ad, ad có biết k", "StarNest"),
        ("VayLien24 la app gi, co that ko", "VayLien24"),
        ("ProArena VN là app gì, có uy tín không em?", "ProArena VN"),
        ("CLB đang dùng một app quản lý đội tên TeamKick. Bạn thấy app đó thế nào?", "TeamKick"),
    ],
)
def test_a_name_the_content_does_not_know(text: str, name: str) -> None:
    assert unknown_app(text) == name


@pytest.mark.parametrize(
    "text",
    [
        "app Zalo có an toàn không",  # a platform the content answers for
        "cài app TikTok cho con được không",
        "Family Link có an toàn không",
        "trang Facebook của trường có uy tín không",
        "app này có an toàn không",  # no name: the topic answers
        "ứng dụng học tiếng Anh có an toàn không",
        "con tôi dùng app KidGuard Sakura",  # named, but nothing asked about it
        "Zalo là app gì vậy em",
        "Em ơi, Family Link là ứng dụng gì",
    ],
)
def test_no_unknown_name_asked_about(text: str) -> None:
    assert unknown_app(text) is None
