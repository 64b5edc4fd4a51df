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

from bot.language import is_english
from bot.nlu.textnorm import fold, is_teencode, normalize_text

ROLES = ("parent", "grandparent", "teacher", "adult", "child")
ADULT_ROLES = ("parent", "grandparent", "teacher", "adult")
# Evidence is clamped so that a long conversation can still change its mind.
SCORE_LIMIT = 6.0
DECIDES = 1.0

# Declarations: "tôi là …", "em 13 tuổi". A pronoun pattern counts only at the start of a clause
# (after greetings such as "chào cháu", "dạ"), so "kể với tôi là bố dượng…" or "thằng cháu tui 10
# tuổi" declare nothing. Matched on the folded text (accents stripped, teencode expanded), first hit
# wins; grandparents also on the accented text: folded, "bà" (grandmother) and "ba" (father, in the
# South) are the same word.
_GRANDPARENT_ACCENTED = (
    r"^(tôi|tui|tao|mình|đây) là (bà|ông)\b", r"^(bà|ông) (nội|ngoại) (của|cháu) \w+ đây\b",
    r"^(bà|ông) (nội|ngoại) (của|cháu)\b", r"\bcháu (nội|ngoại) (của )?(tôi|tui|mình)\b",
    r"^(bà|ông) (nội|ngoại)( của \w+)? (đây|nè|đây nè)\b", r"^(bà|ông) đây\b",
    r"\b(bà|ông) (nội|ngoại) (đây|nè)\b",  # dictated: "alo alo có ai đấy không bà ngoại đây"
    r"\b(con nhỏ|thằng nhỏ|đứa|thằng|con) cháu (bà|ông)\b",
    r"^(tôi|tui|mình) (là )?(bà|ông) già\b",
    # "bà hỏi chút, thằng cu nhà bà…", "Con ơi tui hỏi cái ni": an elder speaking of themself as
    # bà/ông, or calling the bot "con"
    r"^(bà|ông) (hỏi|muốn|không|chưa|cần|đang|có|nhờ|xin|mới|thấy|lo)\b",
    r"\b(cháu|thằng cu|thằng cháu|con bé|cái con|thằng nhỏ|con nhỏ) nhà (bà|ông)\b",
    r"^(con|cháu) ơi\b",
    # how they ask to be called, or whom they raise: "bà là bà chớ không phải chị", "bà nuôi hai đứa
    # cháu nội" (multiturn14 m04)
    r"^(bà|ông) là (bà|ông)\b", r"\b(gọi|kêu) (bà|ông) (là|bằng) (bà|ông)\b",
    r"\b(gọi|kêu) (tôi|tui|mình) (là|bằng) (bà|ông)\b",
    r"^(bà|ông) (nuôi|trông|giữ|chăm) (hai |ba |mấy )?(đứa )?cháu\b",
    # "con ơi cho bà hỏi…" (the "con ơi" is gone once normalised), "video thằng cháu nội bà nó bị…"
    # (multiturn15 m03)
    r"\bcho (bà|ông) (hỏi|xin|nhờ)\b", r"\b(thằng|con|đứa) cháu (nội|ngoại) (bà|ông)\b",
    # a Southern grandmother calls herself "ngoại" or "nội": "con ơi ngoại hỏi con cái nè, ngoại hay
    # chụp hình hai đứa cháu" (multiturn17 m14)
    r"^(ngoại|nội) (hỏi|muốn|không|chưa|cần|đang|có|nhờ|xin|mới|thấy|lo|hay|chụp|đăng)\b",
    r"\bcho (ngoại|nội) (hỏi|xin|nhờ)\b",
)  # fmt: skip
# A grandfather typing without accents (multiturn16 m14): "ong hoi…", "chau gai ong 9 tuoi"; "ông"
# has no other reading, and "cháu ông ấy" is someone else's grandchild. Also read by
# `bot.conversation.honorific` (he is addressed as ông).
GRANDFATHER_VERBS = "hoi|muon|nho|xin|khong|chua|can|dang|moi|thay|lo|go|doc"
GRANDCHILD_OF_ONG = r"\bchau (gai |trai |noi |ngoai )?ong\b(?! (ay|ta|kia|do|nay|hang xom|chu|lao))"
_GRANDPARENT = (
    r"^(toi|tui|minh) la (ba|ong) (noi|ngoai)\b", r"\bchau (noi|ngoai) (cua )?(toi|tui|minh)\b",
    r"^(toi|tui|minh) (gia roi|lon tuoi roi)\b",
    r"^(toi|tui|minh|ba|ong) (nam nay |da )?[6-9]\d tuoi\b",
    # typed without accents, an elder asking the bot ("con") to show them: "con chi tung buoc giup
    # ba"; not a child's "cháu chỉ cho bà cách dùng zalo" (the clause ends elsewhere)
    r"^(con|chau) (chi|chi giup|chi cho|chi dum)( \w+){0,4} (ba|ong)$",
    # no accents, an elder's grandchild: "chau oi ba hoi, … thang chau ba no co dung zalo khong"
    r"\b(thang|con|dua) chau (ba|ong) (no|nay|o|hoc|di|len)\b",
    # a grandfather typing with one finger: "chau oi ong hoi. Chau gai ong 9 tuoi…", "ong khong
    # biet dung may" (multiturn16 m14); "ông" is never a father, and "cháu ông ấy" is someone else's
    rf"^ong ({GRANDFATHER_VERBS})\b",
    GRANDCHILD_OF_ONG,
    r"^ngoai (hoi|muon|khong|chua|can|dang|nho|xin|moi|thay|lo|hay|chup|dang)\b",
)  # fmt: skip
_TEACHER = (
    r"^(toi|tui|minh|em|co|thay) la (giao vien|co giao|thay giao|gv|gvcn|can bo|hieu truong"
    r"|hieu pho|tong phu trach|bao mau|nhan vien tu van|tu van vien|chuyen vien tu van|giao vu"
    r"|huan luyen vien|hlv|nhan vien y te|y ta|y te truong|can bo y te|nhan vien tam ly)\b",
    r"^(toi|tui|minh|em|co|thay) la (co|thay) chu nhiem\b",
    r"^(toi|tui|minh|em|co|thay) (day|chu nhiem) lop\b",
    r"\b(hoc sinh|hs)( nu| nam)? (cua|lop|trong lop) (toi|tui|co|thay)\b",
    r"\blop (toi|tui|co|thay) chu nhiem\b", r"\bhoc sinh cua (em|minh)\b",
    r"\bem hoc sinh lop (toi|minh|co)\b",
    # boarding-school staff: "tôi quản lý ký túc xá trường nội trú", "mình là giám thị"
    r"^(toi|tui|minh|em|co|thay) (la )?(quan ly|phu trach|trong coi)"
    r" (ky tuc xa|ktx|khu noi tru|noi tru|ban tru)\b",
    r"^(toi|tui|minh|em|co|thay) la (giam thi|quan sinh|co quan sinh|thay quan sinh"
    r"|nhan vien cong tac xa hoi)\b",
)  # fmt: skip
# Another adult who is not the child's parent nor a teacher: a neighbour, a pharmacist, a youth
# union officer, a landlord ("mình là bí thư Đoàn xã": multiturn17 m18). Addressed as anh/chị,
# the child as "cháu".
_ADULT = (
    r"^(toi|tui|minh|em|anh|chi) la (bi thu doan|bi thu chi doan|pho bi thu doan|can bo doan"
    r"|thu thu|nhan vien thu vien|duoc si|y si|bac si|dieu duong|chu nha tro|chu tro|chu quan"
    r"|chu tiem"
    r"|hang xom|nguoi hang xom|tai xe|nhan vien xa hoi|truong thon|truong ban|truong khu pho"
    r"|cong tac vien|tinh nguyen vien|nhan vien ban thuoc|nguoi ban thuoc)\b",
    r"^(toi|tui|minh) (o|song|la nguoi o) (nha )?(ben canh|sat vach|doi dien)\b",
)  # fmt: skip
_PARENT = (
    r"^(toi|tui|minh|em|tao) la (bo|me|ba|ma|cha|phu huynh|mama|papa)\b",
    # "tôi là phụ huynh của bé…", "phụ huynh bé Na đây"; not a teacher's "Phụ huynh em ấy chưa biết"
    r"^(toi |tui |minh |em )(la )?phu huynh (cua|hs|hoc sinh|be|chau|em)\b(?! ay\b)",
    r"^phu huynh (cua |hs |hoc sinh )?(be |chau )?\w+( \w+)? (day|nay)\b", r"\bla phu huynh\b",
    r"^(toi|tui) (khong phai|ko phai|chang phai) (la )?(hoc sinh|tre con|con nit|em)\b",
    r"\bgoi (toi|tui) la em\b", r"^(toi|tui) la nguoi lon\b",
    # an aunt or an uncle caring for the child: "À mình là dì của bé chứ không phải mẹ"
    r"^(toi|tui|minh|em|chi|anh|tao) la (di|co|chu|bac|cau|mo|thim|duong)( ruot| ho)?( cua| chau)?"
    r" (be|chau|no|con|em|thang|con be|thang be)\b",
    r"^(toi|tui|minh|em) (nam nay |da )?[2-5]\d tuoi\b", r"\bme bim\b",
    # how they ask to be called: "gọi chị là chị thôi nhé", "đừng kêu chú bằng anh, chú 55 rồi"
    r"\b(goi|keu) (chi|anh|chu|bac|di) (la|bang) (chi|anh|chu|bac|di)\b",
    r"\bdung (goi|keu) (chi|chu|bac|di) (la|bang) (em|anh|ban|con)\b",
    r"^(chu|bac) (nam nay |da )?[3-9]\d( tuoi)? roi\b",
)  # fmt: skip
_CHILD = (
    r"^(em|minh|chau|tui|con|t|tao) (la |dang la )?hoc sinh\b",
    # "mình 17t" (multiturn17)
    r"^(em|minh|tui|t|tao) (nam nay |moi |da )?(1[0-7]|[6-9]) ?(tuoi|t)\b",
    r"^(em|minh|chau|tui|t) (dang )?hoc lop\b", r"^(em|minh|t) lop (\d|1[0-2])\b",
    # "cháu 13 tuổi", "con 12 tuổi": the writer, unless the message is about one's child
    r"^(chau|con) (nam nay |moi |da )?(1[0-7]|[6-9]) tuoi\b",
    r"^(em|minh) (khong phai|ko phai) (la )?(phu huynh|nguoi lon)\b",
    # "thật ra e ko phải mẹ đâu, e là Na, e mượn đt mẹ hỏi"
    r"^(em|minh|t|tui|con|chau) (khong phai|ko phai|chang phai) (la )?(me|bo|ba|ma)"
    r" (dau|nha|a|ma)\b",
)  # fmt: skip
TUI_PLURAL = re.compile(r"\b[Tt]ụi\b")
CONJUNCTION_MA = re.compile(r"\b[Mm]à\b")
QUOTED = re.compile(r"'[^']{2,200}'|\"[^\"]{2,200}\"|“[^”]{2,200}”|‘[^’]{2,200}’")
_CLAUSE_END = re.compile(r"[.,!?;:\n]")
_OPENING = re.compile(
    r"^(?:(?:chao|xin chao|chào|xin chào)"
    r"(?: (?:chau|cháu|con|em|e|bot|ad|admin|ban|bạn|chi|chị|anh|co|cô))?\s+"
    r"|(?:da|vang|thua|a|ah|ad|admin|bot|oi|hi|hello|alo|that ra|thuc ra|nhung|ma"
    r"|thật ra|thực ra|nhưng|mà|dạ|vâng)\s+|\S+ oi\s+|\S+ ơi\s+)*"
)


def _clauses(text: str) -> list[str]:
    """The clauses of a normalised text, greetings at their start removed."""
    return [_OPENING.sub("", part.strip()) for part in _CLAUSE_END.split(text) if part.strip()]


# Evidence from ordinary words (folded text); positive means an adult writes, negative a child.
_EVIDENCE = (
    (2.0, r"\b(con|chau|be) (toi|tui|nha toi|nha tui|nha minh|cua toi|cua tui|cua minh|cua em)\b"),
    (2.0, r"\b(con gai|con trai|dua con|dua nho|chau gai|chau trai) (toi|tui|minh|em|nha)\b"),
    (2.0, r"\b(con|chau) (nha|minh) (hoc|nghien|bi|dang|lop)\b"),
    (2.0, r"\bcon (em|minh)\b"),
    (2.0, r"\bchau minh (\d{1,2} tuoi|lop|choi|hoc|bi|dang|nam nay)\b"),  # "cháu mình 10 tuổi"
    (2.0, r"\b(vo|chong) (toi|tui|minh|em|anh|chi)\b"),  # "Vợ tôi bảo nguy hiểm"
    (2.0, r"\b(hai|ba|may) (dua nho|dua con|dua tre) (nha|cua) (toi|tui|minh|em)\b"),
    (
        2.0,
        r"\b(chau|be|con|thang nho|con nho|dua nho|thang cu|con be|thang be|nhoc) nha"
        r" (em|minh|toi|tui|chi|anh)\b",
    ),
    (1.0, r"\b(chau|be) (nha|em|minh)\b"),
    (1.5, r"\b(ba me no|bo me no|cha me no|bo no|me no)\b"),
    (1.5, r"\b(bo|me|ba|ma|cha) (cua )?(chau|be)\b(?! (noi|ngoai|em|minh))"),
    # not "à mà em gọi…" typed without accents ("a ma em"): the bot addressed, no mother
    (
        -2.0,
        r"\b(bo me|ba me|cha me|bo|me|ba|(?<!\ba )ma|anh|chi|co giao|thay|co)"
        r" (em|minh|tui|t|tao)\b",
    ),
    (
        -2.0,
        r"\b(lop|truong|ban|ban than|ban cung lop|crush|nguoi yeu) (em|minh|tui|t|tao)\b",
    ),
    # one's own photos or account ("lấy ảnh của mình đăng lại"): a teenager, until a later
    # "con tôi" says otherwise
    (-1.0, r"\b(anh|hinh|acc|nick|ten|story|trang ca nhan) cua (minh|tui|t|tao)\b"),
    (-0.5, r"\b(ban cung lop|co chu nhiem|thay chu nhiem|gvcn|di hoc|bai tap|kiem tra)\b"),
    (-2.0, r"\bchu nhiem (em|minh|tui|t)\b"),
    # not "dì": folded, "còn đi" would read "con dì" ("còn đi cmt linh tinh")
    (2.0, r"\b(con|chau|be|con gai|con trai) (chi|anh|co|chu|bac|cau|mo)\b(?! (ay|oi)\b)"),
    (1.5, r"^ ?(chao|da|a) em\b"),  # "Chào em, chị…": an adult greets the bot as younger
    # ... and speaks of themself as anh or chị at once: "Chào em, anh ở Quảng Ngãi" (multiturn14)
    (
        2.0,
        r"^ ?(chao|xin chao|da|a) (em|ban|bot|ad)\W* (anh|chi|co|chu|bac)"
        r" (o|la|co|can|muon|hoi|dang|moi|vua|thay|de|nho|xin)\b",
    ),
    (1.5, r"^ ?(em|e) oi\b"),  # "Em ơi cho chị hỏi": an adult calls the bot younger
    (2.0, r"\bcho (chi|anh|co|chu|bac|di|cau|mo|thim) (hoi|xin|nho)\b"),  # "cho chị hỏi"
    # "thằng Bin nhà chị", "bé Na nhà tôi": one's child by name (not "thằng em nhà mình")
    (
        2.0,
        r"\b(thang|be|con be|thang cu) (?!em\b|anh\b|chi\b)\w+ nha (chi|anh|co|chu|toi|tui|bac)\b",
    ),
    # "thằng con 13 tuổi", "bé nhà em (4 tuổi)": one's child and its age
    (
        2.0,
        r"\b(thang con|dua con|con trai|con gai|thang nho|con nho|thang cu|con be|thang be|be)"
        r"( (nha|cua) \w+)?( \(| )(nam nay |moi )?(\d{1,2}|muoi \w+) (tuoi|thang)\b",
    ),
    (1.0, r"\b(nhom|hoi|hop|group) phu huynh\b"),
    # "nhà bên cạnh tui ông bố hay livestream con nhỏ" (multiturn17 m19): an adult neighbour
    (1.5, r"\bnha ben canh (toi|tui)\b"),
    # a mother of a newborn: "e mới sinh bé đc 5 ngày" (multiturn14 m06), not "mẹ em mới sinh em bé"
    (
        2.0,
        r"(?<!me )(?<!ma )\b(e|em|chi|toi|tui|minh) (moi|vua) sinh\b"
        r"|\bsinh (be|con) (duoc|dc) \d+ (ngay|tuan|thang)\b"
        r"|\b(dang )?o cu\b|\bcho (con|be) bu\b",
    ),
    (
        1.5,
        r"\b(truong|co giao|thay giao|lop|lich hoc|giao vien|co chu nhiem|hinh|anh|dien thoai)"
        r" (cua )?(con|be|chau|thang nho|con nho) (em|toi|tui|minh|nha)\b",
    ),
    (1.0, r"\b(lay|muon|xai|dung) (dt|dien thoai|may) (cua )?(em|toi|tui|minh|chi|anh)\b"),
    (-2.0, r"\b(muon|lay|xai|dung) (dt|dien thoai|may) (cua )?(me|bo|ba|ma)\b"),  # "mượn đt mẹ"
    (-1.0, r"(?<!con )(?<!chau )(?<!chao )\b(em|e)\b(?! oi\b)"),
    # "t" for oneself, a teenager's word: "acc fb t", "bot ơi cho t hỏi" (multiturn13 m16, m20)
    (-1.0, r"\b(acc|nick|fb|facebook|tai khoan|ny|nguoi yeu|crush|bo cu) (cua )?t\b"),
    (-1.0, r"\bcho t hoi\b"),
)
TO = -1.5
# Children rarely call themselves "tôi" when they write to us; adults often do.
TOI = 0.75
# A message this sure moves the conversation at once ("con tôi", "bố mẹ em"), whatever came before.
STRONG = 2.0
STRONG_SCORE = 3.0
SIBLING = re.compile(
    r"\b(?:chi|anh) (?:em|minh|tui|t|to)"
    r"(?: \d{1,2} ?(?:t|tuoi)\b| (?:bi|dang|bao|noi|xep|di|ke|nhan|dan|hen)\b)"
)
_NOT_PEOPLE = ("tre em", "em be", "anh em", "chi em", "ban be", "cac em", "hoc sinh em")
# Abbreviations adults use as much as teenagers: they say nothing about the writer.
SHARED_ABBREVIATIONS = frozenset(
    {
        "ad",
        "admin",
        "ok",
        "oke",
        "fb",
        "acc",
        "tk",
        "sdt",
        "stk",
        "otp",
        "pass",
        "mk",
        "zl",
        "clip",
        "vid",
        "pic",
        "dt",
        "face",
        "ib",
        "ck",
        "onl",
        "app",
        "ko",
        "k",
    }
)


def _youth_code(word: str) -> bool:
    """Teencode typed in ASCII ("ko", "dc", "j"), not a dialect word ("hông") or a shared one."""
    plain = word.lower().strip(".,!?;:()\"'")
    return (
        plain.isascii()
        and plain.isalnum()
        and is_teencode(plain)
        and plain not in SHARED_ABBREVIATIONS
    )


def _any(patterns: tuple[str, ...], text: str) -> bool:
    return any(re.search(p, text) for p in patterns)


@dataclass(frozen=True)
class Reading:
    """What one message says about its writer."""

    role: str | None  # a declared role, or the role the evidence leans to
    declared: bool  # "tôi là …", a correction, or a button: holds until changed
    evidence: float  # > 0 an adult, < 0 a child
    sure: int = 0  # 1: a sure adult cue ("bé nhà em"), -1: a sure child cue ("bố mẹ em"), 0: none


def read_message(text: str) -> Reading:
    """Read one message: a declaration wins; else evidence from its words.

    Quoted words are someone else's ("nó nhắn 'bố em không cho đi'"): left out.
    """
    text = QUOTED.sub(" ", text)
    # "tụi" (plural: "ảnh tụi nhỏ", "tụi nó") folds to "tui" (I): "ảnh tụi" would read "anh tui"
    text = TUI_PLURAL.sub(lambda m: "Bọn" if m.group(0)[0] == "T" else "bọn", text)
    if is_english(text):
        return Reading(None, False, 0.0)  # English words say nothing here ("can't" is no "t")
    accented = _clauses(normalize_text(text).lower())
    clauses = _clauses(fold(text))
    # "mà tui", "mà em" typed with accents: a conjunction, not "má" (folded, both are "ma")
    folded = f" {fold(CONJUNCTION_MA.sub('nhưng', text))} "
    sibling = SIBLING.search(folded)  # "chị em 16 tuổi", "anh em bảo…": one's own older sibling
    # "bạn bè mình": one's own friends (read before "bạn bè" is blanked as no person)
    own_friends = re.search(r"\bban be (em|minh|tui|t|tao)\b", folded)
    for phrase in _NOT_PEOPLE:
        folded = folded.replace(f" {phrase} ", " _ ")
    declared = (
        (
            "grandparent",
            [(p, accented) for p in _GRANDPARENT_ACCENTED] + [(p, clauses) for p in _GRANDPARENT],
        ),
        ("teacher", [(p, clauses) for p in _TEACHER]),
        ("adult", [(p, clauses) for p in _ADULT]),
        ("parent", [(p, clauses) for p in _PARENT]),
        ("child", [(p, clauses) for p in _CHILD]),
    )
    weights = [weight for weight, pattern in _EVIDENCE if re.search(pattern, folded)]
    evidence = sum(weights)
    if sibling or own_friends:
        weights.append(-STRONG)
    evidence = sum(weights)
    sure = 0
    if max(weights, default=0.0) >= STRONG:
        sure = 1
    elif min(weights, default=0.0) <= -STRONG:
        sure = -1
    if re.search(r"(?<!con )(?<!cháu )\btôi\b", " ".join(accented)):
        evidence += TOI  # typed with its diacritics: unaccented "toi" may be "tối"
    if re.search(r"\btớ\b", " ".join(accented)):
        evidence += TO  # "tớ" (and "lớp tớ", "mẹ tớ"): a child or a teenager
        if re.search(r"\b(bố|mẹ|ba|má|lớp|bạn|cô|thầy|trường) tớ\b", " ".join(accented)):
            sure = -1
    if any(_youth_code(w) for w in text.split()):
        evidence -= 0.5
    for role, patterns in declared:
        if any(re.search(p, clause) for p, where in patterns for clause in where):
            if role == "child" and evidence >= STRONG:
                break  # "con gái tôi… Cháu 15 tuổi": the age is the child's, not the writer's
            return Reading(role, True, -SCORE_LIMIT if role == "child" else SCORE_LIMIT)
    leaning = "parent" if evidence >= DECIDES else "child" if evidence <= -DECIDES else None
    return Reading(leaning, False, evidence, sure)


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
        if reading.sure > 0 and reading.evidence > 0 and self.score > -STRONG_SCORE:
            score = max(score, STRONG_SCORE)  # unless a child was already clear
        elif reading.sure < 0 and reading.evidence < 0 and self.score < STRONG_SCORE:
            score = min(score, -STRONG_SCORE)  # unless an adult was already clear
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
