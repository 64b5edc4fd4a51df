"""bot/local_help.py: recognising where a person lives and rendering the local contacts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from bot.local_help import local_help, render_local_help
from bot.settings import ROOT

QUANG_NGAI = "quang-ngai"
KON_TUM_CU = "quang-ngai-kon-tum-cu"


@pytest.fixture(scope="module")
def contacts() -> dict[str, Any]:
    with (ROOT / "content" / "contacts.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("Nhà em ở Quảng Ngãi", QUANG_NGAI),
        ("minh o quang ngai a", QUANG_NGAI),
        ("QUẢNG NGÃI", QUANG_NGAI),
        ("con tôi học ở tp. Quảng Ngãi", QUANG_NGAI),
        ("Quảng Ngãi.", QUANG_NGAI),
        ("Tôi ở Kon Tum", KON_TUM_CU),
        ("e o kontum", KON_TUM_CU),
        ("cháu ở Đăk Tô, Kon Tum", KON_TUM_CU),
        ("nhà em ở Đắk Hà", KON_TUM_CU),  # Đắk and Đăk are the same place
        ("em ở dak ha", KON_TUM_CU),
        ("huyện Ngọc Hồi", KON_TUM_CU),
        ("nhà ở xã Ba Tơ", QUANG_NGAI),
        ("quê em ở Lý Sơn", QUANG_NGAI),
        # the merged province named together with the former one: the more specific area wins
        ("Quảng Ngãi (Kon Tum cũ)", KON_TUM_CU),
        ("Kon Tum giờ thuộc Quảng Ngãi", KON_TUM_CU),
    ],
)
def test_recognises_a_place_accent_insensitively(
    contacts: dict[str, Any], message: str, key: str
) -> None:
    assert local_help(message, contacts) == key


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "con tôi bị bắt nạt trên mạng",
        "em ở Hà Nội",
        "bà to tiếng quá",  # "Ba Tơ" without a cue is not a place
        "mờ đục",  # folds like "Mộ Đức", but has no cue
        "Ba Tơ",  # a commune name alone is not enough
        "quangngaiabc",  # part of a longer word
    ],
)
def test_names_no_place_when_there_is_none(contacts: dict[str, Any], message: str) -> None:
    assert local_help(message, contacts) is None


def test_a_commune_an_operator_adds_is_recognised_and_wins(contacts: dict[str, Any]) -> None:
    data = copy.deepcopy(contacts)
    data["local"].append(
        {
            "key": "quang-ngai-xa-vi-du",
            "name": "xã Ví Dụ, tỉnh Quảng Ngãi",
            "within": KON_TUM_CU,
            "sources": ["directive_xa_2025"],
            "places": [],
            "communes": ["Ví Dụ"],
            "contacts": ["xa_cong_an"],
        }
    )
    assert local_help("em ở xã Vi Du, Kon Tum", data) == "quang-ngai-xa-vi-du"
    assert local_help("em ở Kon Tum", data) == KON_TUM_CU


@pytest.mark.parametrize("key", [QUANG_NGAI, KON_TUM_CU])
@pytest.mark.parametrize("voice", ["parent", "child"])
def test_renders_the_local_help_in_each_voice(
    contacts: dict[str, Any], key: str, voice: str
) -> None:
    text = render_local_help(key, contacts, voice)
    assert "111" in text and "113" in text
    assert "{" not in text and "}" not in text
    assert "Công an xã, phường" in text
    assert "Trung tâm Công tác xã hội tỉnh Quảng Ngãi" in text
    assert ("anh/chị" in text) == (voice == "parent")
    assert len(text) <= 2000  # Zalo's limit


def test_the_former_kon_tum_area_gets_its_own_centre_first(contacts: dict[str, Any]) -> None:
    text = render_local_help(KON_TUM_CU, contacts, "parent")
    assert "tỉnh Kon Tum cũ" in text
    assert text.index("Trung tâm Công tác xã hội Kon Tum") < text.index(
        "Trung tâm Công tác xã hội tỉnh Quảng Ngãi"
    )
    assert "Trung tâm Công tác xã hội Kon Tum" not in render_local_help(
        QUANG_NGAI, contacts, "parent"
    )


def test_unknown_audience_gets_the_parent_voice(contacts: dict[str, Any]) -> None:
    assert render_local_help(QUANG_NGAI, contacts, None) == render_local_help(
        QUANG_NGAI, contacts, "parent"
    )


def test_numbers_appear_only_when_the_directory_has_them(contacts: dict[str, Any]) -> None:
    assert "Điện thoại:" not in render_local_help(QUANG_NGAI, contacts, "parent")
    data = copy.deepcopy(contacts)
    centre = next(c for c in data["local_contacts"] if c["id"] == "ctxh_quang_ngai")
    centre["phone"] = "0255 1234 567"
    parent = render_local_help(QUANG_NGAI, data, "parent")
    assert "Điện thoại: 0255 1234 567." in parent
    assert "0255 1234 567" in render_local_help(QUANG_NGAI, data, "child")


def test_a_contact_without_wording_for_the_voice_is_left_out(contacts: dict[str, Any]) -> None:
    data = copy.deepcopy(contacts)
    village = next(c for c in data["local_contacts"] if c["id"] == "thon_ban_quan_ly")
    del village["child"]
    assert "Trưởng thôn" not in render_local_help(QUANG_NGAI, data, "child")
    assert "trưởng thôn" in render_local_help(QUANG_NGAI, data, "parent")


def test_an_unknown_key_is_an_error(contacts: dict[str, Any]) -> None:
    with pytest.raises(KeyError):
        render_local_help("ha-noi", contacts, "parent")


def test_a_directory_without_local_entries_names_no_place() -> None:
    assert local_help("em ở Quảng Ngãi", {}) is None
