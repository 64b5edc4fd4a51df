"""Is a message written in English? The bot speaks Vietnamese; an English message gets one English
sentence saying so, with 111 (which has interpreters) and the way to a person.

A word list, not a model: a message is English when it has no Vietnamese diacritics, at least three
words, and at least 60% of its words are common English words. Unaccented Vietnamese shares only a
few short words with English ("an", "to", "me", "do"), never most of a message.
"""

from __future__ import annotations

import re

from bot.nlu.textnorm import has_diacritics

MIN_WORDS = 3
SHARE = 0.6
_WORD = re.compile(r"[a-z']+")
ENGLISH_WORDS = frozenset("""
a about after all am an and any are as at be been being but by can can't child children could daughter
did do does doesn't don't for from get gets got has have he help her him his how i i'm if in into is
isn't it it's just kid kids know like me my need no not now of on online or our out phone please
safe she should so some someone son speak english than that the their them then there they this to
told too up us was we what when where which who why will with would you your yours hello hi thanks
thank bullied bullying scam scammed hacked account game games internet social media photos photo pictures
message messages threatening threatened afraid scared worried school teacher parent parents mother father
mom dad talk person human anyone something tell does said says keeps keep asking asked send sent money
""".split())


def is_english(text: str) -> bool:
    """Whether `text` reads as English (see the module docstring)."""
    if has_diacritics(text):
        return False
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return False
    return sum(w in ENGLISH_WORDS for w in words) / len(words) >= SHARE
