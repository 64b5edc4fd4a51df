"""Pure text normalisation for Vietnamese chat messages (no Rasa import, so channels can use it)."""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"
TEENCODE_FILE = DATA_DIR / "teencode.yml"

_WHITESPACE = re.compile(r"\s+")
_WORD_OR_MARK = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_VI_DIACRITIC_LETTERS = "đĐ"


def nfc(text: str) -> str:
    """Return `text` in Unicode NFC with runs of whitespace collapsed and the ends stripped.

    Keyboards on macOS and some Android IMEs send decomposed (NFD) diacritics; the model and the
    rules are written in NFC, so every channel calls this at its boundary.
    """
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def strip_accents(text: str) -> str:
    """Remove Vietnamese tone and vowel marks, mapping đ to d ("Đường" -> "Duong")."""
    # the same words come back in every message: remember short texts, not whole messages
    return _strip_word(text) if len(text) <= 32 else _strip(text)


@functools.lru_cache(maxsize=1 << 16)
def _strip_word(text: str) -> str:
    return _strip(text)


def _strip(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare).replace("đ", "d").replace("Đ", "D")


def has_diacritics(text: str) -> bool:
    """Tell whether `text` carries any Vietnamese diacritic (tone mark, vowel mark or đ)."""
    return strip_accents(text) != text


_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


@functools.lru_cache(maxsize=256)
def _toneless(letter: str) -> str:
    """A letter without its tone mark, its vowel mark kept: "ứ" -> "ư", "á" -> "a", "ư" != "u"."""
    decomposed = unicodedata.normalize("NFD", letter.lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))


def squash_repeats(word: str) -> str:
    """Collapse stretched letters: "quáaaa" -> "quá", "nhiềuuu" -> "nhiều", "ơiii" -> "ơi".

    A run is a sequence of the same letter, tone marks ignored but not vowel marks: "ứu" in
    "cứu" is two letters (ư, u), not a stretched "ứ". Runs of three or
    more are cut to their first letter; a run of two is cut only when the letters differ in accent
    ("quáa"), because doubled plain vowels are real spelling ("xoong", "quần soóc").
    """
    out: list[str] = []
    i = 0
    while i < len(word):
        base = _toneless(word[i])
        j = i + 1
        while j < len(word) and word[j].isalpha() and _toneless(word[j]) == base:
            j += 1
        run = word[i:j]
        if len(run) >= 3 or (len(run) == 2 and run[0] != run[1]):
            out.append(run[0])
        else:
            out.append(run)
        i = j
    return "".join(out)


@functools.lru_cache(maxsize=1)
def teencode() -> dict[str, str]:
    """Load the teencode table (abbreviation -> standard Vietnamese) from its data file."""
    raw = yaml.safe_load(TEENCODE_FILE.read_text(encoding="utf-8"))
    return {nfc(str(k)).lower(): nfc(str(v)).lower() for k, v in raw["words"].items()}


@functools.lru_cache(maxsize=100_000)
def normalize_word(word: str) -> str:
    """Lower-case one word, squash stretched letters and expand teencode ("kooo" -> "không").

    Cached: a chat vocabulary is small and every message passes through here several times.
    """
    lowered = squash_repeats(nfc(word).lower())
    return teencode().get(lowered, lowered)


def is_teencode(word: str) -> bool:
    """Tell whether a word is an abbreviation or teencode form listed in the table."""
    return squash_repeats(nfc(word).lower()) in teencode()


def words(text: str) -> list[str]:
    """Split text into words and single punctuation marks."""
    return _WORD_OR_MARK.findall(nfc(text))


def normalize_text(text: str) -> str:
    """Normalise a whole message for matching: NFC, lower case, teencode expanded, marks spaced."""
    return " ".join(normalize_word(w) for w in words(text))


def fold(text: str) -> str:
    """Normalise and strip accents: the form that safety rules and accent-free features compare."""
    return strip_accents(normalize_text(text))
