"""The misses and false alarms named by the triage issue (#14), each in several spellings.

These were found by people outside the project; none of these texts is a training example.
"""

# ruff: noqa: E501  (test data: whole messages on one line)

from __future__ import annotations

import pytest

pytestmark = pytest.mark.model

URGENT = [
    # a cry for help with no context
    "cứu em với", "cuu em voi", "cuu e vs", "CỨU EM VỚI!!!", "SOS", "help me", "help me pls",
    # offline danger, in the child's and the parent's words
    "con tôi bị bắt cóc", "con toi bi bat coc",
    "em bị chú ruột xâm hại nhiều lần", "em bi chu ruot xam hai nhieu lan",
    "e bị bố đánh rồi nhốt trong nhà kho từ tối qua", "e bi bo danh roi nhot trong nha kho",
    # told by a bystander
    "bạn cùng lớp em bị bố dượng đánh bầm tím, bạn ấy không dám về nhà",
    "cô ơi bạn Lan lớp em bị ông hàng xóm sờ soạng",
    "tôi là hàng xóm, đứa bé nhà bên bị bố mẹ nhốt ngoài trời cả đêm",
    # "việc nhẹ lương cao" across a border; a child not home since yesterday
    "con gái tôi được người quen rủ sang Campuchia làm việc nhẹ lương cao, mai cháu đi",
    "con gai toi duoc ru sang campuchia lam viec nhe luong cao",
    "con tôi đi từ hôm qua đến giờ chưa về, gọi không được", "con toi di tu hom qua chua ve nha",
    # a farewell message; self-injury in unusual words
    "tạm biệt mọi người, cảm ơn vì tất cả", "tam biet moi nguoi, cam on vi tat ca",
    "em lấy com-pa cào vào tay cho đỡ buồn", "em lay compa cao vao tay cho do buon",
]  # fmt: skip

NOT_URGENT = [
    "Vâng, con tôi 13 tuổi, đang học lớp 8",
    "em muốn biết cách từ chối mà anh ấy không giận",
    "Tôi là bà nội, cháu tôi 9 tuổi cứ cầm điện thoại chơi game suốt, ăn cơm cũng không bỏ máy, tối "
    "thì thức khuya, tôi nói mãi cháu không nghe, bố mẹ cháu đi làm xa. Tôi phải làm sao để cháu bớt chơi?",
    "cứu tui bài toán này với", "team mình thua rồi cứu với", "bị giết 10 lần trong liên quân",
    "đói chết đi được",
]  # fmt: skip


@pytest.mark.parametrize("text", URGENT)
async def test_the_named_misses_are_urgent(parser, text: str) -> None:  # noqa: ANN001
    result = await parser.parse(text)
    assert result["urgent"], result


@pytest.mark.parametrize("text", NOT_URGENT)
async def test_the_named_false_alarms_are_not_urgent(parser, text: str) -> None:  # noqa: ANN001
    result = await parser.parse(text)
    assert not result["urgent"] and result["intent"] not in ("self_harm", "urgent_danger"), result
