"""Lint of content/: voices, sources, lengths, NFC, 111, URLs, and the keys the code uses."""

from __future__ import annotations

import datetime as dt
import re
import string
import unicodedata
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from bot.content import VOICES, Content
from bot.nlu.datacheck import ALL_LABELS
from bot.nlu.textnorm import has_diacritics
from bot.settings import ROOT

CONTENT = ROOT / "content"
RISK_TOPICS = [label for label in ALL_LABELS if label.startswith("ask_")]
FIRST_ANSWER_MAX = 600
MESSAGE_MAX = 2000  # Zalo's limit
BUTTON_MAX = 40
PLACEHOLDERS = {"first", "second", "link", "limit"}
URL = re.compile(r"https?://[^\s)\"'<>]+")


@pytest.fixture(scope="module")
def content() -> Content:
    return Content.load(CONTENT)


def texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, text) under `node` that a person may read."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ("sources", "url", "id", "cues", "reviewed", "date", "intent", "key"):
                yield from texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from texts(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def all_files() -> list[Path]:
    return sorted(CONTENT.rglob("*.yml"))


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def source_urls() -> set[str]:
    urls = set()
    for path in all_files():
        data = load(path)
        for source in data.get("sources") or []:
            urls.add(source["url"].rstrip("/"))
        for contact in data.get("national") or []:
            if contact.get("url"):
                urls.add(contact["url"].rstrip("/"))
    return urls


@pytest.mark.parametrize("intent", RISK_TOPICS)
def test_every_topic_has_both_voices_and_sources(content: Content, intent: str) -> None:
    topic = content.topics[intent]
    ids = {s["id"] for s in topic["sources"]}
    assert ids, intent
    assert isinstance(topic["reviewed"], dt.date)
    assert topic["answer"]["sources"] and set(topic["answer"]["sources"]) <= ids
    for key, item in (topic.get("followups") or {}).items():
        assert item["sources"] and set(item["sources"]) <= ids, f"{intent}.{key}"
        assert len(item["title"]) <= BUTTON_MAX, f"{intent}.{key}"
        for voice in VOICES:
            assert item[voice].strip(), f"{intent}.{key}.{voice}"
    for voice in VOICES:
        assert len(content.answer(intent, voice)) <= FIRST_ANSWER_MAX, f"{intent}.{voice}"


def test_every_source_is_complete() -> None:
    for path in all_files():
        for source in load(path).get("sources") or []:
            for field in ("id", "title", "publisher", "url", "date"):
                assert str(source.get(field) or "").strip(), f"{path.name}: {source} lacks {field}"
            assert re.fullmatch(r"\d{4}(-\d{2}){0,2}", str(source["date"])), (
                f"{path.name}: {source['id']}"
            )


def test_every_text_is_nfc_short_enough_and_has_diacritics() -> None:
    for path in all_files():
        for where, text in texts(load(path)):
            assert unicodedata.normalize("NFC", text) == text, f"{path.name}{where}"
            assert len(text) <= MESSAGE_MAX, f"{path.name}{where}"
            if len(text.split()) >= 6:
                assert has_diacritics(text), f"{path.name}{where} has no diacritics"


def test_placeholders_are_only_the_ones_the_code_fills() -> None:
    for path in all_files():
        for where, text in texts(load(path)):
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            assert names <= PLACEHOLDERS, f"{path.name}{where}: {names}"


def test_every_urgent_and_self_harm_reply_names_111(content: Content) -> None:
    for situation in content.urgent_danger["situations"]:
        for voice in VOICES:
            assert "111" in situation[voice], situation["key"]
            assert len(situation[voice].strip()) <= FIRST_ANSWER_MAX, situation["key"]
    assert content.urgent_danger["situations"][-1]["key"] == "general"
    for where, text in texts({k: v for k, v in content.self_harm.items()}):
        assert "111" in text, f"self_harm{where}"
    for intent in ("urgent_danger", "self_harm"):
        for key in ("offer", "handed_over", "not_recorded", "declined"):
            for voice in VOICES:
                assert "111" in content.protocol(intent, key, voice), (intent, key)
    for voice in VOICES:
        assert "111" in content.help_card(voice)


def test_no_url_outside_the_sources_and_contacts() -> None:
    allowed = source_urls()
    for path in all_files():
        for where, text in texts(load(path)):
            for url in URL.findall(text):
                assert url.rstrip("/.,;:") in allowed, f"{path.name}{where}: {url}"


def test_every_key_the_code_uses_exists(content: Content) -> None:
    files = [p for folder in ("actions", "bot") for p in (ROOT / folder).rglob("*.py")]
    code = "\n".join(p.read_text(encoding="utf-8") for p in files)
    for key in set(re.findall(r'\.say\(\s*"([a-z_]+)"', code)):
        for voice in VOICES:
            assert content.say(key, voice, first="a", second="b", link="l", limit="1"), key
    for key in set(re.findall(r'\.button\(\s*"([a-z_0-9]+)"', code)):
        assert 0 < len(content.button(key)) <= 30, key
    for intent, key in set(re.findall(r'\.protocol\(\s*"([a-z_]+)"\s*,\s*"([a-z_]+)"', code)):
        for voice in VOICES:
            assert content.protocol(intent, key, voice), (intent, key)


def test_every_intent_the_answer_action_handles_has_wording(content: Content) -> None:
    rules = load(ROOT / "nlu_data" / "rules" / "answers.yml")["rules"]
    answered = [
        r["steps"][0]["intent"] for r in rules if r["steps"][1]["action"] == "action_answer"
    ]
    for intent in answered:
        assert content.has_topic(intent) or intent in content.conversation, intent
    for intent in ("affirm", "deny"):
        assert intent in content.conversation


def test_contacts_name_the_national_lines_and_leave_unknown_numbers_empty() -> None:
    contacts = load(CONTENT / "contacts.yml")
    ids = {c["id"] for c in contacts["national"]}
    assert {"hotline_111", "police_113", "vncop", "vneid", "tinnhiemmang", "takeitdown"} <= ids
    hotline = next(c for c in contacts["national"] if c["id"] == "hotline_111")
    assert hotline["phone"] == "111"
    for province in contacts["provinces"]:
        for contact in province["contacts"]:
            assert set(contact) >= {"role", "name", "phone", "url"}
            assert re.fullmatch(r"(\+?[\d ]{3,15})?", contact["phone"]), contact


EVIDENCE_FILES = ("urgent_danger.yml", "ask_sextortion.yml", "ask_grooming.yml")
ONLY_TEXT = ("chỉ chụp chữ", "đừng chụp lại", "không chụp lại", "không tự chụp lại",
             "không bao giờ chụp lại")  # fmt: skip


def test_evidence_advice_never_asks_for_a_photo_of_an_image() -> None:
    """Where a child's own images may be involved, screenshots are of words and account names."""
    for path in all_files():
        for where, text in texts(load(path)):
            lowered = text.lower()
            assert "hình ảnh liên quan" not in lowered, f"{path.name}{where}"
            if path.name in EVIDENCE_FILES and "chụp màn hình" in lowered:
                assert any(m in lowered for m in ONLY_TEXT), f"{path.name}{where}"


def test_a_scam_call_is_hung_up_not_the_phone_switched_off(content: Content) -> None:
    for situation in content.urgent_danger["situations"]:
        for voice in VOICES:
            assert "tắt máy" not in situation[voice], situation["key"]
