"""How to address an adult: "chị", "anh", "bà", "ông", "cô", "thầy", not "anh/chị".

The parent's content says "anh/chị" (and, for a grandparent or a teacher, "ông/bà", "thầy/cô":
`bot.content.ADDRESS`). Once a person says who they are ("tôi là bố nó", "bà nội đây", "mình là
cô giáo") or speaks of themself as chị or anh ("thằng cu nhà chị", "cho anh hỏi"), they are
addressed that way for the rest of the conversation: a mother who reads "anh/chị" in every reply
hears a form, not a person. Pure: no Rasa, no I/O.
"""

from __future__ import annotations

import re

from bot.conversation.audience import GRANDCHILD_OF_ONG, GRANDFATHER_VERBS

TERMS = ("chị", "anh", "bà", "ông", "cô", "thầy", "chú", "bác", "dì")
# A professional who is not a teacher (a social worker, a commune officer) reads the teacher's
# content, addressed "anh/chị" instead of "thầy/cô".
PROFESSIONAL = "anh/chị"
_SELF = r"(?:tôi|toi|mình|minh|tui|em|tớ)"
_VERBS = (
    r"(?:cần|muốn|hỏi|có|đang|sợ|thử|lo|không|chưa|đã|vừa|mới|bị|thấy|nghĩ|biết|tính|định|cài|"
    r"xem|đọc|vào|tải|gọi|nói|nhờ|phải|nên|làm|check|kiểm tra|mua|cho|bảo|hiểu|cảm ơn|cám ơn)"
)
_START = r"^(?:(?:chào|xin chào|dạ|vâng|à|ờ|ừ|hi|alo)[^.,!?]{0,20}[.,!?]\s*)?"
_NOT_SELF = r"(?! (?:ơi|ấy|ta|kia|đó|họ|nó|trai|gái|em|chị|anh|lớp|hàng xóm)\b)"
# (pattern, term), first match wins within a message; searched on the lowercased text.
# Who they say they are:
_DECLARED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), term)
    for pattern, term in (
        (
            rf"\b{_SELF} là (?:bà nội|bà ngoại|bà)\b|\bbà (?:nội|ngoại) (?:đây|nè|của)\b"
            r"|^bà đây\b|^(?:cháu|chau) (?:ơi|oi),? ba (?:hoi|muon|can|nho|xin|khong|dang|lo)\b"
            r"|\bcho bà hỏi\b|\b(?:thằng|con|đứa) cháu bà\b",
            "bà",
        ),
        (
            rf"\b{_SELF} là (?:ông nội|ông ngoại|ông)\b|\bông (?:nội|ngoại) (?:đây|nè|của)\b"
            r"|\bcho ông hỏi\b|\b(?:thằng|con|đứa) cháu ông\b",
            "ông",
        ),
        (rf"\b{_SELF} là (?:mẹ|má|mạ|u)\b|\b(?:toi|minh|em) la (?:me|ma)\b", "chị"),
        (rf"\b{_SELF} là (?:bố|ba|cha|tía)\b|\b(?:toi|minh|tui) la (?:bo|ba|cha)\b", "anh"),
        (rf"\b{_SELF} là (?:cô giáo|cô chủ nhiệm|cô)\b|\bcô là giáo viên\b", "cô"),
        (rf"\b{_SELF} là (?:thầy giáo|thầy chủ nhiệm|thầy)\b|\bthầy là giáo viên\b", "thầy"),
        (rf"\b{_SELF} là (?:dì|cô ruột|chị gái|mợ|thím)\b", "chị"),
        (rf"\b{_SELF} là (?:chú|cậu|bác trai|anh trai|dượng)\b", "anh"),
    )
)
# Speaking of themself as chị or anh, at the start ("Chào em, chị cần hỏi chút") or as an owner
# ("thằng cu nhà chị"); not after a comma, where it is often someone quoted ("người đó bảo vào Sài
# Gòn ở với anh, anh lo việc làm").
_RULES = _DECLARED + tuple(
    (re.compile(pattern), term)
    for pattern, term in (
        (rf"{_START}chị {_VERBS}\b|\b(?:nhà|của|cho|giúp|để|con|cháu) chị\b{_NOT_SELF}", "chị"),
        (rf"{_START}anh {_VERBS}\b|\b(?:nhà|của|cho|giúp|để|con) anh\b{_NOT_SELF}", "anh"),
    )
)
# How they ask to be called, whatever else the message says: "gọi chị là chị thôi nhé", "bà là bà
# chớ không phải chị", "đừng kêu chú bằng anh… kêu chú được rồi", "cứ gọi tôi là ông" (multiturn14).
_TERM = r"(chú|bác|dì|cô|chị|anh|bà|ông|thầy)"
_REQUESTED: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        rf"\b(?:gọi|kêu) (?:tôi|tui|mình|em|tớ) (?:là|bằng) {_TERM}\b",
        rf"\b(?:gọi|kêu) {_TERM} (?:là|bằng) \1\b",
        rf"^{_TERM} là \1\b",
        rf"\bđừng (?:gọi|kêu) {_TERM} (?:là|bằng) ",
        rf"\b(?:gọi|kêu) {_TERM} (?:được rồi|là được|thôi)\b",
    )
)
# What they do not want to be called, left out before anything else is read: "cháu đừng gọi tôi là
# bác, tôi là ông nó" is ông (multiturn15).
_REFUSED = re.compile(
    rf"\b(?:đừng|không được|chớ|đâu phải) (?:gọi|kêu) (?:tôi|tui|mình|em|tớ) (?:là|bằng) {_TERM}\b"
)
# A grandparent speaking of themself as bà or ông at the start ("Bà không biết dùng tiktok, làm sao
# xoá"), when nothing in the message is a child's own word for themself ("bà không cho em chơi").
_GRANDPARENT_SELF = re.compile(
    rf"^(?:(?:cháu|chau) ơi,? )?(bà|ông) {_VERBS}\b(?!.*\b(?:em|con|tớ|tao|mình|cháu)\b)"
)
# A grandfather typing without accents: "chau oi ong hoi", "chau gai ong 9 tuoi" (multiturn16 m14);
# "ông" has no other reading, unlike "ba" (bố or bà); "cháu ông ấy" is someone else's grandchild.
_GRANDFATHER_PLAIN = re.compile(
    rf"^(?:chau oi,? )?ong (?:{GRANDFATHER_VERBS}|phai)\b|{GRANDCHILD_OF_ONG}"
)
# The same typed without accents; "ba" (father, or bà) and "co" (cô, or có) are left out.
_PLAIN = {"chi": "chị", "anh": "anh", "chu": "chú", "bac": "bác", "di": "dì", "ong": "ông"}
_REQUESTED_PLAIN = re.compile(r"\b(?:goi|keu) (chi|anh|chu|bac|di|ong) (?:la|bang) \1\b")
_PROFESSIONAL = re.compile(
    rf"\b{_SELF} là (?:cán bộ|nhân viên công tác xã hội|nhân viên xã hội|cộng tác viên"
    r"|chuyên viên)\b|\b(?:toi|minh|tui|em) la (?:can bo|nhan vien cong tac xa hoi|nhan vien xa hoi"
    r"|cong tac vien|chuyen vien)\b"
    r"|\b(?:cán bộ|can bo|nhân viên|nhan vien) (?:ctxh|công tác xã hội|cong tac xa hoi)\b"
)
_WRITES_TOI = re.compile(r"\btôi\b")
# The slash forms of the parent's content, as `bot.content.ADDRESS` leaves them.
_SLASH = re.compile(r"\b(anh/chị|Anh/chị|ông/bà|Ông/bà|thầy/cô|Thầy/cô)\b")
_TEACHER_SLASH = re.compile(r"\b(thầy/cô|Thầy/cô)\b")


def honorific(text: str) -> str | None:
    """How the writer of `text` is to be addressed, if the message says it."""
    lowered = _unrefused(text)
    if (asked := _requested_in(lowered)) is not None:
        return asked
    if _PROFESSIONAL.search(lowered):
        return PROFESSIONAL
    if _WRITES_TOI.search(lowered):
        # "tôi" is the writer: a chị or anh in the message is someone else (who they are is then
        # only what they declare: "tôi là bố nó")
        return next((term for pattern, term in _DECLARED if pattern.search(lowered)), None)
    for pattern, term in _RULES:
        if pattern.search(lowered):
            return term
    if (elder := _GRANDPARENT_SELF.search(lowered)) is not None:
        return elder.group(1)
    if _GRANDFATHER_PLAIN.search(lowered):
        return "ông"
    return None


def _unrefused(text: str) -> str:
    """The message lowercased, without the terms it refuses ("đừng gọi tôi là bác")."""
    return _REFUSED.sub(" ", text.lower().strip())


def requested(text: str) -> str | None:
    """The term the writer asks to be called by ("gọi cô là cô nhé", "gọi tôi là ông"), if asked."""
    return _requested_in(_unrefused(text))


def _requested_in(lowered: str) -> str | None:
    for pattern in _REQUESTED:
        if (asked := pattern.search(lowered)) is not None:
            return asked.group(1)
    if (plain := _REQUESTED_PLAIN.search(lowered)) is not None:
        return _PLAIN[plain.group(1)]
    return None


# A child or teenager who asks to be called "bạn", not "em" ("đừng gọi mình là em nha, nghe như thầy
# cô. gọi bạn thôi": multiturn15 m16); typed with or without accents.
PEER = "bạn"
_PEER_ASKED = re.compile(
    r"\b(?:gọi|kêu|goi|keu) (?:mình|tớ|tui|em|tao|minh|to|t) (?:là|bằng|la|bang) (?:bạn|ban)\b"
    r"|\b(?:gọi|goi) (?:bạn|ban) (?:thôi|được rồi|là được|thoi|duoc roi|la duoc)\b"
    r"|\b(?:đừng|dung|đừng có) (?:gọi|kêu|goi|keu) (?:mình|tớ|tui|minh|to)"
    r" (?:là|bằng|la|bang) (?:em|e)\b"
    r"|\bxưng (?:hô )?(?:là )?bạn\b"
)
# In a child's text, "em" is the reader, except a younger one ("em ấy", "em trai", "anh chị em").
_YOU_EM = re.compile(
    r"(?<![Aa]nh )(?<![Cc]hị )(?<![Cc]ác )(?<!những )(?<!đứa )\b([Ee])m\b"
    r"(?! (?:ấy|trai|gái|bé|họ|út|nhỏ|học sinh)\b)"
)
_FRIEND_OF_YOU = re.compile(r"\b([Bb])ạn em\b")


def peer_requested(text: str) -> bool:
    """Whether a young writer asks to be called "bạn" instead of "em"."""
    return bool(_PEER_ASKED.search(text.lower()))


def as_peer(text: str) -> str:
    """A child's text with the reader called "bạn": "bạn em" is "bạn của bạn"."""
    text = _FRIEND_OF_YOU.sub(lambda m: f"{m.group(1)}ạn của em", text)
    return _YOU_EM.sub(lambda m: "Bạn" if m.group(1) == "E" else "bạn", text)


def role_of(term: str) -> str | None:
    """The adult role a term asked for implies, if one: bà, ông → grandparent; thầy → teacher."""
    return {"bà": "grandparent", "ông": "grandparent", "thầy": "teacher"}.get(term)


def personal(text: str, term: str | None) -> str:
    """`text` with its slash forms ("anh/chị") replaced by `term` ("chị"), capitalised alike."""
    if term == PROFESSIONAL:
        return _TEACHER_SLASH.sub(lambda m: "Anh/chị" if m.group(1)[0] == "T" else "anh/chị", text)
    if not term or term not in TERMS:
        return text

    def one(match: re.Match[str]) -> str:
        return term.capitalize() if match.group(1)[0].isupper() else term

    return _SLASH.sub(one, text)
