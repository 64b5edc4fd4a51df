from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.augment import AccentAugmenter, unaccented_copies


def _examples() -> list[Message]:
    return [
        Message.build(text="con tôi bị lừa", intent="ask_scam"),
        Message.build(text="con toi bi lua nap the", intent="ask_scam"),  # already plain
        Message.build(text="Đồng ý", intent="affirm"),
    ]


def test_copies_only_accented_examples_with_their_intent() -> None:
    copies = unaccented_copies(_examples())
    assert [(m.get("text"), m.get("intent")) for m in copies] == [
        ("con toi bi lua", "ask_scam"),
        ("Dong y", "affirm"),
    ]


def test_training_data_grows_and_inference_is_untouched() -> None:
    augmenter = AccentAugmenter({})
    data = augmenter.process_training_data(TrainingData(_examples()))
    assert len(data.intent_examples) == 5
    incoming = [Message.build(text="con tôi bị lừa")]
    assert augmenter.process(incoming)[0].get("text") == "con tôi bị lừa"
