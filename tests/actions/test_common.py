"""Who is writing: the audience inferred from the words of a message."""

from __future__ import annotations

import pytest

from actions.common import infer_audience


@pytest.mark.parametrize(
    ("text", "audience"),
    [
        ("con tôi bị bắt nạt trên mạng", "parent"),
        ("chau nha toi nghien game qua", "parent"),
        ("tôi là phụ huynh, muốn hỏi về Family Link", "parent"),
        ("em bị bạn cùng lớp chê cười", "child"),
        ("bố mẹ em cài app theo dõi máy em", "child"),
        ("minh bi hack nick roi", "child"),
        ("sao ko dc vay", "child"),
        ("báo cáo trang đăng ảnh trẻ em ở đâu", None),
        ("chào ad", None),
        ("cài Family Link thế nào", None),
    ],
)
def test_infer_audience(text: str, audience: str | None) -> None:
    assert infer_audience(text) == audience
