# ruff: noqa: E501  (test data: whole messages on one line)
from bot.nlu.clauses import MAX_PARTS, clauses, parts, sentences
from bot.nlu.textnorm import normalize_text


def test_sentences_are_cut_at_sentence_ends_and_line_breaks() -> None:
    text = "Chào chuyên gia. Con tôi 13 tuổi!\nCháu chơi game suốt… Tôi phải làm sao?"
    assert sentences(text) == ["Chào chuyên gia", "Con tôi 13 tuổi", "Cháu chơi game suốt",
                               "Tôi phải làm sao"]  # fmt: skip


def test_clauses_are_cut_at_commas_and_joiners_and_short_pieces_are_joined() -> None:
    cut = clauses("con tôi học lớp 8, điểm kém nhưng ông hàng xóm hay gọi cháu sang nhà")
    assert all(len(c.split()) >= 3 for c in cut)
    assert any(c.startswith("nhưng ông hàng xóm") for c in cut)


def test_a_buried_sentence_is_a_part_of_its_own_and_the_whole_message_comes_first() -> None:
    letter = ("Chào chuyên gia, con tôi năm nay học lớp 7. Cháu mê điện thoại lắm. "
              "Bạn của cháu kể cháu bị chú họ sờ soạng. Tôi không biết nên đặt giờ thế nào.")  # fmt: skip
    found = parts(letter)
    assert found[0] == normalize_text(letter)
    assert normalize_text("Bạn của cháu kể cháu bị chú họ sờ soạng") in found
    assert len(found) == len(set(found))


def test_neighbouring_clauses_are_also_scored_together() -> None:
    found = parts("em bị chú ruột giữ lại, ông ấy xâm hại em")
    assert normalize_text("em bị chú ruột giữ lại") in found
    assert normalize_text("ông ấy xâm hại em") in found
    assert any("giữ lại" in p and "xâm hại" in p for p in found[1:])


def test_a_flood_of_text_gives_a_bounded_number_of_parts() -> None:
    flood = ". ".join(f"câu thứ {i} về chuyện học hành" for i in range(500))
    assert len(parts(flood)) == MAX_PARTS
    assert parts("   ") == []
