"""Who is writing, read over the whole conversation instead of message by message.

A person says who they are ("tôi là bà của cháu", the "Tôi là phụ huynh" button) and that holds
until they say otherwise. Otherwise the cues of every message add up: "con tôi" is strong evidence
of an adult, "bố mẹ em" of a child, while "em", "mình", "tui" alone say little, since a young
mother, a father and a grandmother use them too.

Roles: parent, grandparent and teacher read the parent's content (addressed as anh/chị, ông/bà,
thầy/cô: `bot.content.address`); child reads the child's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.textnorm import fold, is_teencode, normalize_text

ROLES = ("parent", "grandparent", "teacher", "child")
ADULT_ROLES = ("parent", "grandparent", "teacher")
# Evidence is clamped so that a long conversation can still change its mind.
SCORE_LIMIT = 6.0
DECIDES = 1.0

# Declarations, matched on the folded text (accents stripped, teencode expanded), first hit wins.
# Grandparents are matched on the accented text as well: folded, "bà" (grandmother) and "ba"
# (father, in the South) are the same word.
_GRANDPARENT_ACCENTED = (
    r"\b(tôi|tui|tao|mình) là (bà|ông)\b", r"\bbà (nội|ngoại) (của|cháu)\b",
    r"\bông (nội|ngoại) (của|cháu)\b", r"\bcháu (nội|ngoại) (của )?(tôi|tui|mình)\b",
    r"\b(bà|ông) già\b", r"\bngười già\b",
)  # fmt: skip
_GRANDPARENT_FOLDED = (
    r"\b(toi|tui|minh) la (ba|ong) (noi|ngoai)\b", r"\bchau (noi|ngoai) (cua )?(toi|tui|minh)\b",
    r"\b(ba|ong) (noi|ngoai) cua (chau|be|no)\b", r"\bgia roi\b", r"\b(6|7|8)\d tuoi\b",
)  # fmt: skip
_TEACHER = (
    r"\b(toi|tui|minh|em|co) la (giao vien|co giao|thay giao|gv|gvcn|co chu nhiem)\b",
    r"\bgiao vien chu nhiem\b(?! (cua )?(em|minh|con))",
    r"\b(hoc sinh|hs) (cua|lop) (toi|tui|co)\b",
    r"\blop (toi|tui|co|minh) chu nhiem\b", r"\bhoc sinh cua (em|minh)\b",
    r"\bem hoc sinh lop (toi|minh|co)\b",
    r"\bday lop\b", r"\bchu nhiem lop\b(?! (em|minh))",
)  # fmt: skip
_PARENT = (
    r"\b(toi|tui|minh|em|tao) la (bo|me|ba|ma|cha|phu huynh|mama|papa)\b",
    r"\b(bo|me|ba|ma|cha) (cua )?(no|chau|be|ban ay)\b(?! (noi|ngoai))", r"\bphu huynh\b",
    r"\b(toi|tui) (khong phai|ko phai|chang phai) (la )?(hoc sinh|tre con|con nit|em)\b",
    r"\bgoi (toi|tui) la em\b", r"\btoi la nguoi lon\b", r"\b(2|3|4|5)\d tuoi (roi|ma)\b",
    r"\bme bim\b",
)  # fmt: skip
_CHILD = (
    r"\b(em|minh|chau|tui|con|t|tao) (la|đang la)? ?hoc sinh\b",
    r"\b(em|minh|chau|tui|t) (1\d|\d) tuoi\b",
    r"\b(em|minh|chau|tui|t) (dang )?hoc lop\b", r"\b(em|minh|t) (lop) (\d|1[0-2])\b",
    r"\b(em|minh) (khong phai|ko phai) (la )?(phu huynh|nguoi lon)\b",
)  # fmt: skip

# Evidence from ordinary words (folded text); positive means an adult writes, negative a child.
_EVIDENCE = (
    (2.0, r"\b(con|chau|be) (toi|tui|nha toi|nha tui|nha minh|cua toi|cua tui|cua minh|cua em)\b"),
    (2.0, r"\b(con gai|con trai|dua con|dua nho) (toi|tui|minh|em|nha)\b"),
    (2.0, r"\b(con|chau) (nha|minh) (hoc|nghien|bi|dang|lop)\b"),
    (2.0, r"\bcon (em|minh)\b"),
    (1.0, r"\b(chau|be) (nha|em|minh)\b"),
    (1.5, r"\b(ba me no|bo me no|cha me no|bo no|me no)\b"),
    (-2.0, r"\b(bo me|ba me|cha me|bo|me|ba|ma|anh|chi|co giao|thay|co) (em|minh|tui|t|tao)\b"),
    (-2.0, r"\b(lop|truong|ban|ban than|ban cung lop|crush|nguoi yeu) (em|minh|tui|t|tao)\b"),
    (-1.5, r"\b(ban cung lop|co chu nhiem|thay chu nhiem|gvcn|di hoc|bai tap|kiem tra)\b"),
    (-2.0, r"\bchu nhiem (em|minh|tui|t)\b"),
    (-1.0, r"(?<!con )(?<!chau )\b(em|e)\b"),
)
_NOT_PEOPLE = ("tre em", "em be", "anh em", "chi em", "ban be", "cac em", "hoc sinh em")
# Abbreviations adults use as much as teenagers: they say nothing about the writer.
SHARED_ABBREVIATIONS = frozenset(
    {"ad", "admin", "ok", "oke", "fb", "acc", "tk", "sdt", "stk", "otp", "pass", "mk", "zl"}
)


def _any(patterns: tuple[str, ...], text: str) -> bool:
    return any(re.search(p, text) for p in patterns)


@dataclass(frozen=True)
class Reading:
    """What one message says about its writer."""

    role: str | None  # a declared role, or the role the evidence leans to
    declared: bool  # "tôi là …", a correction, or a button: holds until changed
    evidence: float  # > 0 an adult, < 0 a child


def read_message(text: str) -> Reading:
    """Read one message: a declaration wins; else evidence from its words."""
    accented = f" {normalize_text(text)} "
    folded = f" {fold(text)} "
    for phrase in _NOT_PEOPLE:
        folded = folded.replace(f" {phrase} ", " _ ")
    if _any(_GRANDPARENT_ACCENTED, accented) or _any(_GRANDPARENT_FOLDED, folded):
        return Reading("grandparent", True, SCORE_LIMIT)
    if _any(_TEACHER, folded):
        return Reading("teacher", True, SCORE_LIMIT)
    if _any(_PARENT, folded):
        return Reading("parent", True, SCORE_LIMIT)
    if _any(_CHILD, folded):
        return Reading("child", True, -SCORE_LIMIT)
    evidence = sum(weight for weight, pattern in _EVIDENCE if re.search(pattern, folded))
    if any(is_teencode(w) and w.lower() not in SHARED_ABBREVIATIONS for w in text.split()):
        evidence -= 1.0
    role = "parent" if evidence >= DECIDES else "child" if evidence <= -DECIDES else None
    return Reading(role, False, evidence)


@dataclass(frozen=True)
class Audience:
    """Who the conversation is with (slots `audience`, `audience_fixed`, `audience_score`)."""

    role: str | None
    fixed: bool
    score: float

    def after(self, reading: Reading) -> "Audience":
        """The audience once one more message has been read."""
        if reading.declared:
            return Audience(reading.role, True, reading.evidence)
        score = max(-SCORE_LIMIT, min(SCORE_LIMIT, self.score + reading.evidence))
        if self.fixed:
            return Audience(self.role, True, score)
        role: str | None
        if score >= DECIDES:
            role = self.role if self.role in ADULT_ROLES else "parent"
        elif score <= -DECIDES:
            role = "child"
        else:
            role = self.role
        return Audience(role, False, score)

    def chosen(self, role: str) -> "Audience":
        """A button or a switch: the person said who they are."""
        return Audience(role, True, SCORE_LIMIT if role in ADULT_ROLES else -SCORE_LIMIT)


def is_adult(role: str | None) -> bool:
    """Whether the role reads the parent's content."""
    return role in ADULT_ROLES
