"""Apps, pages and brands the bot does not know, asked about by name.

"app KidGuard Sakura có an toàn không", "ứng dụng tên 'Kiddo Star' có đáng tin không": the content
knows the big platforms (Facebook, Zalo, TikTok, YouTube, Roblox…); any other name is one it cannot
vouch for, and the honest answer says so and how to check (`conversation.yml`, `unknown_app`). Every
blind multi-turn set since multiturn13 asked about an invented app. Pure: no Rasa, no I/O.
"""

from __future__ import annotations

import re

from bot.nlu.textnorm import fold

# Names the content answers for, folded; a name starting with one of them is known too.
KNOWN = frozenset(
    {
        "facebook", "fb", "zalo", "tiktok", "tik tok", "youtube", "youtube kids", "roblox",
        "free fire", "ff", "family link", "google", "google family link", "instagram", "insta",
        "messenger", "lien quan", "minecraft", "telegram", "tele", "discord", "snapchat",
        "threads", "twitter", "screen time", "thoi gian su dung", "chrome", "safari", "vneid",
        "momo", "shopee", "lazada", "gmail", "icloud", "apple", "android", "iphone", "ipad",
        "netflix", "spotify", "capcut", "canva", "duolingo", "zoom", "google meet", "meet",
        "teams", "pubg", "genshin", "among us", "chatgpt", "gemini", "dong hanh", "play store",
        "app store", "google play", "viber", "whatsapp", "wechat", "kakao", "line",
    }
)  # fmt: skip
# "app", "ứng dụng", "kênh tele" … then the name: capitalised words, or quoted.
_NAMED = re.compile(
    r"(?:\bapp|\bứng dụng|\bung dung|\bphần mềm|\bphan mem|\bkênh(?: tele| telegram)?"
    r"|\bkenh(?: tele| telegram)?|\bwebsite|\bweb|\btrang|\bpage|\bhãng(?: đồng hồ)?)"
    r"(?: (?:đó|đấy|này|ấy|do|nay|ay))?"
    r"(?:(?: [^\s'\"“‘]+){0,4}? (?:tên là|ten la|tên|ten|gọi là|goi la)| (?:là|la))?"
    r" (?:['\"“‘](?P<quoted>[^'\"”’]{2,40})['\"”’]"
    r"|(?P<name>[A-ZĐ][\w.\-]*(?: [A-ZĐ0-9][\w.\-]*){0,3}))"
)
# The name first: "StarNest là app chi rứa", "VayLien24 la app gi", "ProArena VN là ứng dụng gì".
_NAMED_FIRST = re.compile(
    r"(?P<name>[A-ZĐ][\w.\-]*(?: [A-ZĐ0-9][\w.\-]*){0,3}) (?:là|la) (?:cái )?"
    r"(?:app|ứng dụng|ung dung|phần mềm|phan mem|trang|web|website|kênh|kenh)\b"
)
# A question whether it can be trusted, or what it is.
_ASKS = re.compile(
    r"\b(an toan|uy tin|tin duoc|dang tin|co sao|duoc khong|duoc k|dc k|dc ko|duoc ko|lua dao"
    r"|that khong|that ko|co nen cai|co nen dung|nen cai|la app gi|la gi|dung duoc|xai duoc|co tot"
    r"|co ok|co on|ban du lieu|lay du lieu|co lua|co that|the nao|ra sao|co biet|biet khong|biet k"
    r"|la app chi|chi rua|gi rua|gi vay|gi the)\b"
)


def unknown_app(text: str) -> str | None:
    """The name of an app, page or brand the person asks about that the content does not know."""
    folded = fold(text)
    if not _ASKS.search(folded):
        return None
    for match in (*_NAMED_FIRST.finditer(text), *_NAMED.finditer(text)):
        found = match.groupdict()
        name = (found.get("quoted") or found.get("name") or "").strip(" .,!?")
        name = re.split(r"[.!?] ", name)[0]  # "… tên TeamKick. Bạn thấy …": one sentence
        plain = fold(name)
        if len(plain) < 2 or any(plain == k or plain.startswith(f"{k} ") for k in KNOWN):
            continue
        return name
    return None
