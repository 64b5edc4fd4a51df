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
from bot.nlu.textnorm import fold, has_diacritics
from bot.settings import ROOT

CONTENT = ROOT / "content"
RISK_TOPICS = [label for label in ALL_LABELS if label.startswith("ask_")]
FIRST_ANSWER_MAX = 600
MESSAGE_MAX = 2000  # Zalo's limit
BUTTON_MAX = 40
PLACEHOLDERS = {"title", "first", "second", "link", "limit", "minutes", "hours", "name"}
LOCAL_PLACEHOLDERS = {"place", "contacts", "line", "phone", "url"}  # filled by bot/local_help.py
URL = re.compile(r"https?://[^\s)\"'<>]+")
# keys whose values no person reads: ids, dates, cues and place names the code matches, references
SKIPPED_KEYS = ("sources", "url", "id", "cues", "reviewed", "date", "intent", "key", "places",
                "communes", "within", "contacts", "copy")  # fmt: skip


@pytest.fixture(scope="module")
def content() -> Content:
    return Content.load(CONTENT)


def texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, text) under `node` that a person may read."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in SKIPPED_KEYS:
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
            if source.get("url"):
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


def test_every_source_is_complete_and_dated() -> None:
    """Every source names its title, publisher, where to find it, and a date no later than the
    file's `reviewed:`; a source without a public address names its stored copy (`copy:`)."""
    for path in all_files():
        data = load(path)
        reviewed = str(data.get("reviewed") or "9999")
        for source in data.get("sources") or []:
            for field in ("id", "title", "publisher", "date"):
                assert str(source.get(field) or "").strip(), f"{path.name}: {source} lacks {field}"
            assert str(source.get("url") or source.get("copy") or "").strip(), (
                f"{path.name}: {source['id']} has neither url nor copy"
            )
            date = str(source["date"])
            assert re.fullmatch(r"\d{4}(-\d{2}){0,2}", date), f"{path.name}: {source['id']}"
            assert date <= reviewed, f"{path.name}: {source['id']} is dated after `reviewed:`"
            if source.get("copy"):
                assert re.fullmatch(r"shared/seeds/[\w.-]+\.txt", source["copy"]), source["id"]
                if (ROOT.parent / "shared").is_dir():
                    assert (ROOT.parent / source["copy"]).is_file(), source["copy"]


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
            allowed = PLACEHOLDERS | (LOCAL_PLACEHOLDERS if path.name == "contacts.yml" else set())
            assert names <= allowed, f"{path.name}{where}: {names}"


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


def test_no_first_urgent_reply_asks_anything_before_111(content: Content) -> None:
    firsts = {f"situation {s['key']}": s for s in content.urgent_danger["situations"]}
    # "ask" answers the next message inside the protocol, itself often urgent (multiturn6 e07)
    firsts |= {
        f"self_harm {k}": content.self_harm[k] for k in ("first", "attempt", "check_in", "ask")
    }
    firsts |= {"safety_check": content.conversation["safety_check"]}
    for where, entry in firsts.items():
        for voice in VOICES:
            text = entry[voice]
            question = text.find("?")
            assert question == -1 or text.index("111") < question, (where, voice)


# Danger rules whose situation is the general one: a cry with no context, a child married off.
GENERAL_RULES = {"cry_for_help", "distress_cry", "short_not_safe_reply", "english_danger",
                 "tells_crying", "child_hurt_on_video_now", "stuck_up_high",
                 "forced_to_work"}  # fmt: skip


def test_every_danger_rule_names_a_situation_or_is_listed_as_general(content: Content) -> None:
    # a rule no situation lists reads as "general": after a bare "cứu em với", a disclosure it
    # catches would get a listening line instead of the first reply for that danger
    rules = yaml.safe_load((ROOT / "bot" / "nlu" / "data" / "safety_rules.yml").read_text("utf-8"))
    mapped = {r for s in content.urgent_danger["situations"] for r in s.get("rules") or []}
    danger = {r["id"] for r in rules["rules"] if r["category"] == "urgent_danger"}
    assert danger - mapped == GENERAL_RULES


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
            assert content.say(
                key,
                voice,
                first="a",
                second="b",
                link="l",
                limit="1",
                minutes="10",
                hours="08:00-22:00",
                name="n",
            ), key
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
    for contact in contacts["national"] + contacts["local_contacts"]:
        assert re.fullmatch(r"(\+?[\d ]{3,15})?", str(contact.get("phone") or "")), contact


def test_every_local_entry_is_sourced_and_resolves() -> None:
    """The local directory: each contact has a source and wording for parents; each area names
    its places, its contacts (ids of `local_contacts`) and the larger area it lies `within`."""
    contacts = load(CONTENT / "contacts.yml")
    source_ids = {s["id"] for s in contacts["sources"]}
    pool = {c["id"]: c for c in contacts["local_contacts"]}
    assert len(pool) == len(contacts["local_contacts"]), "duplicate local contact id"
    for contact in pool.values():
        assert contact["sources"] and set(contact["sources"]) <= source_ids, contact["id"]
        assert contact["name"].strip() and contact["parent"].strip(), contact["id"]
        assert {"phone", "url"} <= set(contact), contact["id"]
    keys = [entry["key"] for entry in contacts["local"]]
    assert len(set(keys)) == len(keys), "duplicate local key"
    seen_places: dict[str, str] = {}
    for entry in contacts["local"]:
        assert entry["sources"] and set(entry["sources"]) <= source_ids, entry["key"]
        assert entry["within"] in ("", *keys) and entry["within"] != entry["key"], entry["key"]
        assert entry["contacts"] and set(entry["contacts"]) <= set(pool), entry["key"]
        assert entry["places"] or entry.get("communes"), entry["key"]
        for place in (entry["places"] or []) + (entry.get("communes") or []):
            folded = fold(place)
            assert folded not in seen_places, f"{place}: {entry['key']} and {seen_places[folded]}"
            seen_places[folded] = entry["key"]
    for voice in VOICES:
        assert "111" in contacts["local_help"][voice]


# --- Rules from issue #16 ------------------------------------------------------------------
def every_text() -> Iterator[tuple[Path, str, str]]:
    """(file, path, text) for every text a person may read, in every content file."""
    for path in all_files():
        for where, text in texts(load(path)):
            yield path, where, text


def voice_of(where: str) -> str | None:
    """ "parent" or "child" when a text path ends in one of the voices."""
    last = where.rsplit(".", 1)[-1]
    return last if last in VOICES else None


def negated(text: str, start: int) -> bool:
    """Whether the words just before `start` say not to ("đừng", "không", "chớ")."""
    before = text[max(0, start - 32) : start]
    return re.search(r"\b(đừng|không|chớ)\b[^.;:\n]{0,20}$", before) is not None


# A text concerns a child's image if its file is about one of these subjects (a file whose name
# contains the word, so follow-up files under content/followups/ count too) or names an image.
IMAGE_FILES = ("urgent_danger", "self_harm", "sextortion", "grooming", "cyberbullying", "privacy",
               "harmful_content", "reporting")  # fmt: skip
IMAGE_WORD = re.compile(r"\b(hình ảnh|ảnh|video|clip)\b")
NOT_AN_IMAGE = re.compile(r"ảnh chụp màn hình|ảnh hưởng")
SCREENSHOT = re.compile(r"(?<!ảnh )\bchụp (màn hình|lại)")
KEEP_IMAGE = re.compile(  # "nhấn giữ" is a long press, not keeping
    r"(?<!nhấn )(?<!bấm )(?<!chạm )\b(giữ|lưu)( lại)?( các| những| mọi| cả)? "
    r"(hình ảnh|ảnh|video|clip)\b(?! chụp)"
)
ONLY_TEXT = "chỉ chụp chữ"  # "chỉ chụp chữ và tên tài khoản, đừng chụp lại ảnh"


def test_evidence_advice_never_asks_for_a_photo_of_an_image() -> None:
    """Where a child's image may be involved, a screenshot is of words and account names only
    ("chỉ chụp chữ …"); no text tells anyone to keep or save an image ("giữ/lưu hình ảnh")."""
    problems = []
    for path, where, text in every_text():
        lowered = text.lower()
        if "hình ảnh liên quan" in lowered:
            problems.append(f"{path.name}{where}: hình ảnh liên quan")
        for match in KEEP_IMAGE.finditer(lowered):
            if not negated(lowered, match.start()):
                problems.append(f"{path.name}{where}: {match.group()}")
        concerns_image = any(word in path.stem for word in IMAGE_FILES) or IMAGE_WORD.search(
            NOT_AN_IMAGE.sub("", lowered)
        )
        asks_screenshot = any(not negated(lowered, m.start()) for m in SCREENSHOT.finditer(lowered))
        if concerns_image and asks_screenshot and ONLY_TEXT not in lowered:
            problems.append(f"{path.name}{where}: screenshot without “{ONLY_TEXT} …”")
    assert not problems, "\n".join(problems)


def test_a_call_is_hung_up_cup_may_never_tat_may() -> None:
    """ "tắt máy" (switch the phone off) is never what we mean: hang up is "cúp máy"."""
    problems = [f"{p.name}{w}" for p, w, text in every_text() if "tắt máy" in text.lower()]
    assert not problems, "\n".join(problems)


# Safe messaging: name the risk, never the method or a lethal challenge's name.
METHOD_FILES = ("dangerous_challenge", "self_harm", "urgent_danger")  # in the file's name
METHOD_WORDS = ("blackout", "choking", "ngạt thở", "nhịn thở", "nín thở", "bóp cổ", "siết cổ",
                "thắt cổ", "treo cổ", "tự siết", "nhảy lầu", "nhảy cầu", "cắt tay", "rạch tay",
                "dao lam", "thuốc chuột", "thuốc trừ sâu", "thuốc ngủ", "quá liều thuốc",
                "nitơ lỏng", "nitrogen", "dragon's breath", "cá voi xanh", "blue whale", "momo",
                "tide pod", "benadryl", "skull breaker", "chroming", "hít khí")  # fmt: skip


def test_challenge_and_self_harm_texts_name_no_method() -> None:
    problems = []
    for path, where, text in every_text():
        if any(word in path.stem for word in METHOD_FILES):
            folded = f" {fold(text)} "
            problems += [
                f"{path.name}{where}: {w}" for w in METHOD_WORDS if f" {fold(w)} " in folded
            ]
    assert not problems, "\n".join(problems)


# English labels a phone shows in Vietnamese: allowed only as "<Vietnamese> (<English>)".
UI_LABELS = {
    "Screen Time": "Thời gian sử dụng",
    "Downtime": "Giờ nghỉ",
    "App Limits": "Giới hạn ứng dụng",
    "Family Sharing": "Chia sẻ trong gia đình",
    "Family Pairing": "Gia đình Thông minh",
    "Restricted Mode": "Chế độ hạn chế",
    "Ask to Buy": "Hỏi để mua",
    "Digital Wellbeing": "Sức khỏe Kỹ thuật số",
    "Communication Limits": None,  # no Vietnamese label sourced: describe it instead
    "Content & Privacy Restrictions": None,
    "Approved content only": None,
}


def test_english_ui_labels_only_in_brackets_after_the_vietnamese_one() -> None:
    problems = []
    for path, where, text in every_text():
        for english, vietnamese in UI_LABELS.items():
            for match in re.finditer(re.escape(english), text, re.IGNORECASE):
                ok = (
                    vietnamese is not None
                    and match.group() == english
                    and text[: match.start()].endswith(f"{vietnamese} (")
                    and text[match.end() :].startswith(")")
                )
                if not ok:
                    problems.append(f"{path.name}{where}: {english!r} → {vietnamese} ({english})")
    assert not problems, "\n".join(problems)


JARGON = ("hàm băm", "mã băm", "mã bí danh", "cơ quan chức năng", "cơ quan có thẩm quyền",
          "người thật luôn chỉ cách một bước")  # fmt: skip
CALQUES = (re.compile(r"cảm xúc[^.!?\n]{0,20}có thể thay đổi"),)


def test_no_jargon_and_no_calques() -> None:
    """Say who (công an, 111, Ủy ban nhân dân xã…), not "cơ quan chức năng"; no translated
    idioms."""
    problems = []
    for path, where, text in every_text():
        lowered = text.lower()
        problems += [f"{path.name}{where}: {phrase}" for phrase in JARGON if phrase in lowered]
        problems += [f"{path.name}{where}: {c.pattern}" for c in CALQUES if c.search(lowered)]
    assert not problems, "\n".join(problems)


STUDY_YEARS = {"U-Report": "2019", "Disrupting Harm": "2022"}
OLD_MINISTRY = re.compile(r"Bộ TT&TT|Bộ Thông tin và Truyền thông")  # merged into Bộ KH&CN, 2025
HISTORICAL = re.compile(r"khi đó|trước đây|\bcũ\b")


def test_stale_facts_are_dated_or_gone() -> None:
    """Kon Tum is part of Quảng Ngãi since 1/7/2025; the 2018 cybersecurity law is only cited
    next to the 2025 law that replaced it; Bộ TT&TT appears only historically ("khi đó",
    "trước đây", "cũ"), in texts and in source titles; a survey figure carries its year."""
    problems = []
    for path in all_files():
        data = load(path)
        for source in data.get("sources") or []:
            if OLD_MINISTRY.search(source["title"]) and not HISTORICAL.search(source["title"]):
                problems.append(f"{path.name}: source {source['id']} names Bộ TT&TT as current")
        for where, text in texts(data):
            if "Kon Tum" in text and "Kon Tum cũ" not in text:
                problems.append(f"{path.name}{where}: Kon Tum as its own province")
            if "An ninh mạng 2018" in text and "116/2025/QH15" not in text:
                problems.append(f"{path.name}{where}: the 2018 law cited as current")
            if OLD_MINISTRY.search(text) and not HISTORICAL.search(text):
                problems.append(f"{path.name}{where}: Bộ TT&TT as current")
            for study, year in STUDY_YEARS.items():
                if study in text and year not in text:
                    problems.append(f"{path.name}{where}: {study} without {year}")
    assert not problems, "\n".join(problems)


# The lead plans to address grandparents by replacing "anh/chị" with "ông/bà" and "con" with
# "cháu" in parent texts: a parent text must not use "con" as part of another word, nor call
# the reader "bố mẹ" inside a line it suggests they say.
NOT_A_CHILD = re.compile(
    r"\b(con (số|đường|người|cái|em|mồi|dao|vật|trỏ|dấu|mắt|trẻ|nít|đẻ|ruột)|trẻ con)\b",
    re.IGNORECASE,
)
QUOTE = re.compile(r"[\"“]([^\"”]+)[\"”]")
SELF_AS_PARENT = re.compile(r"\b(bố mẹ|ba mẹ|cha mẹ|bố|mẹ)\b", re.IGNORECASE)


def test_parent_texts_survive_the_grandparent_substitution() -> None:
    problems = []
    for path, where, text in every_text():
        if voice_of(where) != "parent":
            continue
        problems += [f"{path.name}{where}: {m.group()}" for m in NOT_A_CHILD.finditer(text)]
        for quoted in QUOTE.findall(text):
            if SELF_AS_PARENT.search(quoted):
                problems.append(f"{path.name}{where}: “{quoted}”")
    assert not problems, "\n".join(problems)


def test_a_safety_rule_names_the_situation_a_cue_misses(content: Content) -> None:
    text = "e co gui hinh cho anh ta, gio anh ta doi tien ko thi gui cho lop e"
    assert content.urgent_situation(text) == "general"
    assert content.urgent_situation(text, ["sextortion_threat"]) == "sextortion"
    # the first situation in the file's order wins, by a cue or a rule
    assert content.urgent_situation("bố dượng say rượu đánh em", ["violence_near_victim"]) == (
        "violence_home"
    )


def test_danger_at_the_door_is_read_in_any_spelling(content: Content) -> None:
    assert content.urgent_danger_now("ong ta dang go cua 😭")
    assert content.urgent_danger_now("Hắn tới rồi")
    assert not content.urgent_danger_now("mẹ em đi làm ca đêm chưa về")
