"""Is a message written in English?

The bot speaks Vietnamese; an English message gets one English sentence saying so, with 111 and the
way to a person.

A word list, not a model: a message is English when it has no Vietnamese diacritics, at least three
words, and at least 60% of its words are common English words. Unaccented Vietnamese shares only a
few short words with English ("an", "to", "me", "do"), never most of a message.
"""

from __future__ import annotations

import re

from bot.nlu.textnorm import has_diacritics, is_teencode

MIN_WORDS = 3
SHARE = 0.6
MAX_ACCENTED = 0.1  # a few Vietnamese words ("10 triệu", "cảm ơn") in an English message
SHORT = 5  # words: in a message this short, one Vietnamese-only word makes it Vietnamese
# Unaccented Vietnamese words that are no English word: "the thoi a" ("thế thôi à") is three words,
# two of them English ("the", "a"), and Vietnamese.
VIETNAMESE_ONLY = frozenset({
    "thoi", "roi", "khong", "ko", "hok", "nhe", "nha", "nhi", "vay", "vs", "duoc", "dc", "oi", "ak",
    "ah", "ha", "ua", "uk", "ukm", "toi", "chi", "minh", "giup", "sao", "gi", "j", "ma", "cung",
    "nua", "luon", "cam", "em", "nhen", "nghen", "ne", "hen",  # "ok cam on" (multiturn14 m19)
})  # fmt: skip
_WORD = re.compile(r"[a-z']+")
# An unaccented Vietnamese syllable: an onset, one to three vowels, a final. Most English words are
# none ("chatting", "with", "friend", "he's"); short ones often are ("my", "son", "the", "been").
SYLLABLE = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x)?[aeiouy]{1,3}"
    r"(?:ch|nh|ng|c|m|n|p|t)?"
)
LONG = 6  # words: a message this long may be English by its shape, not only by the common words
SHAPE_SHARE = 0.75  # ... when this share of its words are common English words or no Vietnamese
COMMON_WITH_SHAPE = 0.25  # ... and at least this share are common English words
ENGLISH_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "can't",
        "child",
        "children",
        "could",
        "daughter",
        "did",
        "do",
        "does",
        "doesn't",
        "don't",
        "for",
        "from",
        "get",
        "gets",
        "got",
        "has",
        "have",
        "he",
        "help",
        "her",
        "him",
        "his",
        "how",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "just",
        "kid",
        "kids",
        "know",
        "like",
        "me",
        "my",
        "need",
        "no",
        "not",
        "now",
        "of",
        "on",
        "online",
        "or",
        "our",
        "out",
        "phone",
        "please",
        "safe",
        "she",
        "should",
        "so",
        "some",
        "someone",
        "son",
        "speak",
        "english",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "they",
        "this",
        "to",
        "told",
        "too",
        "up",
        "us",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "hello",
        "hi",
        "thanks",
        "thank",
        "bullied",
        "bullying",
        "scam",
        "scammed",
        "hacked",
        "account",
        "game",
        "games",
        "internet",
        "social",
        "media",
        "photos",
        "photo",
        "pictures",
        "message",
        "messages",
        "threatening",
        "threatened",
        "afraid",
        "scared",
        "worried",
        "school",
        "teacher",
        "parent",
        "parents",
        "mother",
        "father",
        "mom",
        "dad",
        "talk",
        "person",
        "human",
        "anyone",
        "something",
        "tell",
        "does",
        "said",
        "says",
        "keeps",
        "keep",
        "asking",
        "asked",
        "send",
        "sent",
        "money",
        "want",
        "here",
        "anymore",
        "many",
        "sleeping",
        "pills",
        "friend",
        "following",
        "home",
        "guy",
        "own",
        "address",
        "see",
        "tonight",
        "every",
        "night",
        "hear",
        "hitting",
        "dont",
        "vietnamese",
        "well",
        "call",
        "die",
        "kill",
        "myself",
        "hurt",
        "live",
        "life",
        "danger",
        "alone",
        "uncle",
        "touches",
        "touched",
        "neighbour",
        "neighbours",
        "neighbor",
        "girl",
        "boy",
        "student",
        "students",
        "im",
        "won't",
        "cannot",
        "nobody",
        "hotline",
        "number",
        "police",
        "abuse",
        "abused",
        "suicide",
        "end",
        "wants",
        "going",
        "think",
        "feel",
        "really",
        "still",
        "again",
        "today",
        "tomorrow",
        "because",
        "over",
        "yes",
        "ok",
        "okay",
    ]
)


ASKS_IF_HUMAN_EN = re.compile(
    r"\b(are|r) (you|u) (a |an )?(bot|robot|human|real|person|machine|ai)\b"
    r"|\b(real|actual) (person|human)\b"
    r"|\b(talk|talking|speak|speaking|chat) (to|with) (a |an )?(human|person|real)\b"
    r"|\bis (this|it) (a )?(bot|robot|human|real person|machine)\b|\banyone (there|real)\b",
    re.IGNORECASE,
)


def asks_if_human_in_english(text: str) -> bool:
    """Whether an English message asks if a person is there ("are you a bot?", "anyone real")."""
    return bool(ASKS_IF_HUMAN_EN.search(text))


def is_english(text: str) -> bool:
    """Whether `text` reads as English (see the module docstring)."""
    accented = sum(has_diacritics(w) for w in text.split())
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS or accented > len(words) * MAX_ACCENTED:
        return False  # "10 triệu" in an English message is still English
    if len(words) <= SHORT and any(w in VIETNAMESE_ONLY for w in words):
        return False
    common = sum(w in ENGLISH_WORDS for w in words) / len(words)
    if common >= SHARE:
        return True
    # "He's been chatting with one of those AI companion apps every night": few listed words, but
    # most of the rest cannot be Vietnamese syllables, typed plainly or in teencode
    foreign = sum(
        w in ENGLISH_WORDS or not (SYLLABLE.fullmatch(w) or is_teencode(w)) for w in words
    ) / len(words)
    return len(words) >= LONG and common >= COMMON_WITH_SHAPE and foreign >= SHAPE_SHARE
