"""The second pass: a question's words against every follow-up (bot/conversation/retrieval.py)."""

from __future__ import annotations

from bot.conversation.retrieval import CURRENT, Retriever

TOPICS = {
    "ask_scam": {"followups": {
        "refund": {"title": "Lấy lại tiền", "cues": ["hoàn tiền", "đòi lại tiền"],
                   "parent": "Google Play có mục báo cáo khoản phí trái phép trong vòng 120 ngày.",
                   "child": "Kể với bố mẹ."},
        "how_they_know": {"title": "Vì sao họ biết tên con", "cues": ["sao biết tên"],
                          "parent": "Kẻ gian lấy tên, lớp, số điện thoại từ mạng xã hội.",
                          "child": "Đừng đăng tên trường."},
    }},
    "ask_screen_time": {"followups": {
        "ban": {"title": "Cấm hẳn điện thoại?", "cues": ["cấm chơi game", "thu điện thoại"],
                "parent": "Cấm đột ngột thường phản tác dụng; hãy cùng con thỏa thuận giờ dùng.",
                "child": "Nói chuyện với bố mẹ."},
    }},
}  # fmt: skip


def test_the_question_finds_the_follow_up_it_asks_across_topics() -> None:
    retriever = Retriever(TOPICS)
    found = retriever.rank("Google chịu hoàn tiền thì bao lâu mới về?", current="ask_screen_time")
    assert (found[0].topic, found[0].item) == ("ask_scam", "refund")
    found = retriever.rank("có nên cấm nó chơi game luôn không", current="ask_scam")
    assert (found[0].topic, found[0].item) == ("ask_screen_time", "ban")


def test_the_conversations_topic_weighs_more_and_what_was_read_is_left_out() -> None:
    retriever = Retriever(TOPICS)
    plain = {f.item: f.score for f in retriever.rank("vì sao họ biết tên con tôi")}
    preferred = {f.item: f.score for f in retriever.rank("vì sao họ biết tên con tôi", "ask_scam")}
    assert abs(preferred["how_they_know"] - plain["how_they_know"] * CURRENT) < 1e-9
    shown = retriever.rank("vì sao họ biết tên con tôi", "ask_scam", shown=["how_they_know"])
    assert "how_they_know" not in [f.item for f in shown]


def test_words_it_has_never_seen_find_nothing() -> None:
    assert Retriever(TOPICS).rank("xyz qwerty") == []
    assert Retriever({}).rank("hoàn tiền") == []
