"""The urgency detector on a small corpus: composition, sentence-by-sentence scoring, saving."""

# ruff: noqa: E501  (test data: whole messages on one line)

from pathlib import Path

import numpy as np
import pytest

from bot.nlu import urgency
from bot.nlu.textnorm import normalize_text

ORDINARY = [
    ("con tôi chơi game suốt đêm, tôi nên đặt giới hạn bao nhiêu giờ mỗi ngày cho cháu học lớp 7", "ask_screen_time"),
    ("cháu nhà tôi mê điện thoại quá, ăn cơm cũng cầm máy, tôi phải nói chuyện với cháu thế nào", "ask_talk_with_child"),
    ("làm sao cài đặt family link trên điện thoại android cho con gái tôi mười hai tuổi", "ask_parental_controls"),
    ("tài khoản facebook của con bị hack, mật khẩu bị đổi rồi, làm sao lấy lại được", "ask_account_security"),
    ("bạn trong lớp lập nhóm chat để chê bai con tôi, cháu buồn lắm, tôi nên làm gì", "ask_cyberbullying"),
    ("có người nhắn con tôi là trúng thưởng skin miễn phí, bảo nạp thẻ để nhận quà", "ask_scam"),
    ("xin chào", "greet"), ("cảm ơn nhiều nha", "thank"), ("tạm biệt, mai nói tiếp", "goodbye"),
    ("đói chết đi được", "out_of_scope"), ("mệt muốn xỉu luôn", "out_of_scope"),
    ("dấu hiệu trẻ bị xâm hại là gì", "ask_grooming"), ("thời tiết mai thế nào", "out_of_scope"),
] * 3  # fmt: skip
URGENT = [
    ("em bị chú ruột xâm hại nhiều lần", "urgent_danger"),
    ("có người dọa tung ảnh nóng của em nếu em không chuyển tiền", "urgent_danger"),
    ("con tôi bị bắt cóc rồi, họ đòi tiền chuộc", "urgent_danger"),
    ("cứu em với", "urgent_danger"), ("em bị bố đánh và nhốt trong nhà kho", "urgent_danger"),
    ("em muốn chết, không muốn sống nữa", "self_harm"), ("em vừa uống hết vỉ thuốc ngủ", "self_harm"),
    ("mình lấy dao rạch tay mỗi tối", "self_harm"), ("tạm biệt mọi người, kiếp sau gặp lại", "self_harm"),
] * 3  # fmt: skip
EXAMPLES = ORDINARY + URGENT


@pytest.fixture(scope="module")
def model() -> urgency.UrgencyModel:
    return urgency.train(EXAMPLES, ["đói chết đi được"], c=10.0)


def test_the_training_set_composes_letters_with_one_urgent_sentence_inside() -> None:
    texts, labels = urgency.training_set(EXAMPLES, ["đói chết đi được"], compositions=2)
    urgent_texts = {normalize_text(t) for t, _ in URGENT}
    letters = {normalize_text(t) for t, i in ORDINARY if len(t.split()) >= urgency.LETTER_MIN_WORDS}
    composed = [(t, label) for t, label in zip(texts, labels, strict=True)
                if any(u.rstrip(".") in t for u in urgent_texts) and t not in urgent_texts]  # fmt: skip
    assert composed, "no letter with an urgent sentence inserted"
    assert all(label != urgency.NONE for _, label in composed)
    assert all(any(sentence in t for sentence in (s.split(" , ")[0] for s in letters))
               for t, _ in composed)  # fmt: skip
    assert labels.count(urgency.NONE) > len(ORDINARY)  # ordinary letters and clauses as negatives
    assert texts == urgency.training_set(EXAMPLES, ["đói chết đi được"], compositions=2)[0]


def test_one_urgent_sentence_in_a_long_letter_decides(model: urgency.UrgencyModel) -> None:
    letter = ("Chào chuyên gia, con tôi học lớp 7 và mê điện thoại lắm, ăn cơm cũng cầm máy. "
              "Tôi đã thử đặt giới hạn nhưng cháu cáu. Cháu kể bị chú ruột xâm hại nhiều lần. "
              "Tôi nên cài family link hay nói chuyện với cháu trước?")  # fmt: skip
    found = model.score(letter)
    assert found.score > found.whole
    assert "xâm hại" in found.evidence
    assert found.category == urgency.DANGER
    assert model.score("con tôi chơi game suốt đêm, tôi nên làm gì").score < found.score


def test_self_harm_and_ordinary_messages(model: urgency.UrgencyModel) -> None:
    harm = model.score("mình không muốn sống nữa, mình muốn chết")
    assert harm.category == urgency.SELF_HARM
    assert harm.score > 0.5
    assert model.score("cảm ơn nhiều nha").score < 0.5
    assert harm.intent == "self_harm" and harm.as_dict()["category"] == "self_harm"


def test_a_saved_model_loads_and_scores_the_same(
    model: urgency.UrgencyModel, tmp_path: Path
) -> None:
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["urgency.json", "urgency.npz"]
    loaded = urgency.UrgencyModel.load(tmp_path)
    texts = [normalize_text(t) for t, _ in EXAMPLES[:10]] + ["em bị dọa tung ảnh"]
    assert np.allclose(loaded.probabilities(texts), model.probabilities(texts))


def test_a_model_file_with_other_classes_is_refused(
    model: urgency.UrgencyModel, tmp_path: Path
) -> None:
    model.save(tmp_path)
    meta = (tmp_path / "urgency.json").read_text(encoding="utf-8")
    (tmp_path / "urgency.json").write_text(meta.replace('"self_harm"', '"other"'), encoding="utf-8")
    with pytest.raises(ValueError):
        urgency.UrgencyModel.load(tmp_path)


def test_the_fast_probabilities_are_sklearns(model: urgency.UrgencyModel) -> None:
    from sklearn.utils.extmath import softmax

    texts = [normalize_text(t) for t, _ in EXAMPLES] + ["", "xyz qqq", "em em em bị bị dọa dọa"]
    expected = softmax(np.asarray(model.matrix(texts) @ model.coef.T) + model.intercept)
    assert np.allclose(model.probabilities(texts), expected, atol=1e-9)
    # again, now from each word's n-grams kept by the first pass (`bot.nlu.ngrams`)
    assert np.allclose(model.probabilities(texts[::-1]), expected[::-1], atol=1e-9)


def test_in_a_letter_only_its_parts_decide(model: urgency.UrgencyModel) -> None:
    letter = " ".join(["Chào chuyên gia, con tôi học lớp 7 và mê điện thoại lắm."] * 8)
    assert len(letter.split()) >= urgency.LONG_WORDS
    found = model.score(letter)
    assert found.long and found.evidence != normalize_text(letter)
    assert not model.score("con tôi chơi game suốt đêm").long


def test_training_data_without_urgent_examples_gives_a_model_that_never_alarms() -> None:
    calm = urgency.train(ORDINARY, [], c=10.0)
    assert calm.score("em bị chú ruột xâm hại nhiều lần").score < 1e-6
    harm_only = urgency.train(ORDINARY + [e for e in URGENT if e[1] == "self_harm"], [], c=10.0)
    found = harm_only.probabilities([normalize_text("em muốn chết, không muốn sống nữa")])[0]
    assert found[2] > 0.5 and found[1] < 1e-6
    assert np.allclose(found.sum(), 1.0)
