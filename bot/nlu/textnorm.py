"""Pure text normalisation for Vietnamese chat messages (no Rasa import, so channels can use it)."""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from collections.abc import Callable
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

    A word typed with the keyboard's Vietnamese input switched off comes back as it was meant
    ("cheets" -> "chết", "ngu7o72i" -> "người"), and a run of syllables typed without spaces is
    split ("emmuốnbiếnmất" -> "em muốn biến mất"): see `retyped`.
    Cached: a chat vocabulary is small and every message passes through here several times.
    """
    lowered = squash_repeats(nfc(word).lower())
    if lowered in teencode():
        return teencode()[lowered]
    return retyped(lowered) or lowered


# Typing forms: Telex and VNI keystrokes left in the text when the input method is off, and
# syllables typed without spaces. Each is read back only into valid Vietnamese syllables.
_ONSETS = ("ngh", "ng", "gh", "gi", "kh", "nh", "ph", "qu", "th", "tr", "ch", "b", "c", "d", "đ",
           "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")  # fmt: skip
_NUCLEI = frozenset(
    (
        "a",
        "ă",
        "â",
        "e",
        "ê",
        "i",
        "y",
        "o",
        "ô",
        "ơ",
        "u",
        "ư",
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iu",
        "iê",
        "oa",
        "oă",
        "oe",
        "oi",
        "ôi",
        "ơi",
        "ua",
        "uâ",
        "uê",
        "ui",
        "uy",
        "uô",
        "uơ",
        "ưa",
        "ưi",
        "ưu",
        "ươ",
        "yê",
        "iêu",
        "yêu",
        "oai",
        "oay",
        "oao",
        "oeo",
        "uây",
        "uôi",
        "ươi",
        "ươu",
        "uya",
        "uyê",
        "uyu",
    )
)
_NEEDS_FINAL = frozenset(("ă", "â", "iê", "yê", "uô", "ươ", "oă", "uâ", "uyê"))
_FINALS = ("ch", "nh", "ng", "c", "m", "n", "p", "t", "")
_MARKED = "ăâêôơư"
_TONE_OF_KEY = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323",
                "1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303",
                "5": "\u0323"}  # fmt: skip
_TELEX_MARKS = (("uwow", "ươ"), ("uow", "ươ"), ("uwo", "ươ"), ("aw", "ă"), ("aa", "â"),
                ("ee", "ê"), ("oo", "ô"), ("ow", "ơ"), ("uw", "ư"))  # fmt: skip
_VNI_MARKS = {"6": {"a": "â", "e": "ê", "o": "ô"}, "7": {"o": "ơ", "u": "ư"}, "8": {"a": "ă"},
              "9": {"d": "đ"}}  # fmt: skip
# English words a Telex reading would turn into Vietnamese ones ("of" -> "ò", "car" -> "cả")
_NOT_TELEX = frozenset(
    (
        "of",
        "if",
        "car",
        "bar",
        "her",
        "box",
        "tax",
        "fax",
        "mix",
        "six",
        "fix",
        "wax",
        "has",
        "its",
        "bus",
        "yes",
        "us",
        "as",
        "is",
        "now",
        "how",
        "down",
        "own",
        "owns",
        "town",
        "show",
        "know",
        "snow",
        "low",
        "slow",
        "grow",
        "flow",
        "allow",
        "below",
        "keep",
        "keeps",
        "row",
        "roof",
    )
)
_VOWELS = "aeiouyăâêôơư"
GLUED = 10  # letters: a word this long with diacritics and no space may be several syllables


def _split_syllable(toneless: str) -> tuple[str, str, str] | None:
    """(onset, nucleus, final) of a toneless syllable (vowel marks kept), or None if it is none."""
    for onset in _ONSETS:
        if not toneless.startswith(onset):
            continue
        rest = toneless[len(onset) :]
        if onset in ("gi", "qu") and not rest:
            continue
        for final in _FINALS:
            if final and not rest.endswith(final):
                continue
            nucleus = rest[: len(rest) - len(final)]
            if nucleus in _NUCLEI and (final or nucleus not in _NEEDS_FINAL):
                return onset, nucleus, final
    return None


def _with_tone(toneless: str, tone: str | None) -> str | None:
    """The syllable `toneless` with `tone` (a combining mark) on its main vowel; None if invalid."""
    parts = _split_syllable(toneless)
    if parts is None:
        return None
    onset, nucleus, final = parts
    if tone is None:
        return toneless
    marked = [i for i, ch in enumerate(nucleus) if ch in _MARKED]
    if marked:
        at = marked[-1]
    elif final or len(nucleus) == 3:
        at = len(nucleus) - 1 if final else 1
    else:
        at = 0
    nucleus = nucleus[: at + 1] + tone + nucleus[at + 1 :]
    return unicodedata.normalize("NFC", onset + nucleus + final)


def _from_telex(word: str) -> str | None:
    """Telex keys read back ("cheets" -> "chết", "lafm" -> "làm"); None if not clearly Telex."""
    if not (word.isascii() and word.isalpha()) or word in _NOT_TELEX:
        return None
    first_vowel = next((i for i, ch in enumerate(word) if ch in "aeiouy"), None)
    if first_vowel is None:
        return None
    keys = [i for i, ch in enumerate(word) if i > first_vowel and ch in "sfrxj"]
    if len(keys) > 1:
        return None
    base = word if not keys else word[: keys[0]] + word[keys[0] + 1 :]
    marked = base.startswith("dd")
    base = "đ" + base[2:] if marked else base
    for typed, letter in _TELEX_MARKS:
        if typed in base:
            base, marked = base.replace(typed, letter), True
    if "w" in base or (not keys and not marked):
        return None
    if not keys and not any(ch in base for ch in "đăơư"):
        return None  # "teen", "been", "moon": doubled vowels alone are English as often as Telex
    key = word[keys[0]] if keys else ""
    if keys and keys[0] < len(word) - 1 and key not in "fj":
        return None  # "must", "turn", "text": a tone key inside a word, only "lafm"-like
    if key in ("s", "r", "x") and not marked:
        return None  # "cats", "or", "sex": a final s, r or x only with a vowel mark ("cheets")
    return _known(_with_tone(base, _TONE_OF_KEY[key] if key else None))


@functools.lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    """The syllables of underthesea's 22,000-word Vietnamese dictionary (installed with it)."""
    spec = importlib.util.find_spec("underthesea")
    if spec is None or spec.origin is None:
        return frozenset()
    path = Path(spec.origin).parent / "corpus" / "data" / "Viet22K.txt"
    if not path.exists():
        return frozenset()
    text = unicodedata.normalize("NFC", path.read_text(encoding="utf-8")).lower()
    return frozenset(w for w in text.split() if w.isalpha())


def _known(syllable: str | None) -> str | None:
    """`syllable` if it is a Vietnamese word ("chết"), not only a valid shape ("turn": "tủn")."""
    words = _dictionary()
    return syllable if syllable is not None and (not words or syllable in words) else None


def _from_vni(word: str) -> str | None:
    """VNI keys read back ("co1" -> "có", "ngu7o72i" -> "người"); None if not clearly VNI."""
    if not word.isascii() or not word[0].isalpha() or word.isalpha() or not word.isalnum():
        return None
    if sum(ch.isalpha() for ch in word) < 2 or "0" in word:
        return None
    letters: list[str] = []
    tone: str | None = None
    for ch in word:
        if ch.isalpha():
            letters.append(ch)
        elif ch in _VNI_MARKS:
            if not letters or letters[-1] not in _VNI_MARKS[ch]:
                return None  # a mark right after the letter it marks ("u7"), or not VNI ("lop7")
            letters[-1] = _VNI_MARKS[ch][letters[-1]]
        elif tone is None and any(v in letters for v in _VOWELS):
            tone = _TONE_OF_KEY[ch]
        else:
            return None
    return _known(_with_tone("".join(letters), tone))


def _syllables(glued: str, is_word: Callable[[str], bool]) -> list[str] | None:
    """The fewest syllables, each one `is_word` accepts, that make `glued`, or None.

    "emmuốnbiếnmất" with the dictionary's syllables; "embibatnhot" with them typed without accents.
    """
    best: list[list[str] | None] = [[]] + [None] * len(glued)
    for end in range(1, len(glued) + 1):
        for start in range(max(0, end - 7), end):
            before = best[start]
            piece = glued[start:end]
            if before is None or not is_word(piece):
                continue
            if best[end] is None or len(before) + 1 < len(best[end] or []):
                best[end] = [*before, piece]
    return best[-1]


@functools.lru_cache(maxsize=1)
def _plain_dictionary() -> frozenset[str]:
    """The dictionary's syllables typed without accents ("chết" -> "chet", "đi" -> "di")."""
    return frozenset(strip_accents(w) for w in _dictionary())


GLUED_PLAIN = 12  # letters: an unaccented word this long may be several syllables without spaces


_VI_PAIRS = re.compile(r"^(ngh|ng|nh|kh|tr|gi|qu|th|ch|ph)|(nh|ng|ch)$")


def _vietnamese_pair(syllable: str) -> bool:
    return bool(_VI_PAIRS.search(syllable))


def _toneless_word(word: str) -> str:
    return "".join(_toneless(ch) for ch in word)


def retyped(word: str) -> str | None:
    """A lower-case word typed with the input method off, or glued syllables, as meant; else None.

    Only when the result is made of valid Vietnamese syllables and the word itself is none.
    """
    if word.isascii():
        if _split_syllable(word) is not None:
            return None  # "moon", "tin": already a syllable as typed
        found = _from_telex(word) or _from_vni(word)
        if found is None and len(word) >= GLUED_PLAIN and word.isalpha():
            # "embibatnhottrongkho" (caps lock, no spaces): at least four syllables, each a word,
            # two of them with a Vietnamese letter pair ("communication" splits, but has none)
            parts = _syllables(word, _plain_dictionary().__contains__)
            if parts is not None and len(parts) >= 4 and sum(map(_vietnamese_pair, parts)) >= 2:
                return " ".join(parts)
        return found
    if len(word) >= GLUED and word.isalpha() and _split_syllable(_toneless_word(word)) is None:
        parts = _syllables(word, lambda piece: _known(piece) is not None)
        if parts is not None and len(parts) >= 3 and sum(map(has_diacritics, parts)) >= 2:
            return " ".join(parts)
    return None


def is_teencode(word: str) -> bool:
    """Tell whether a word is an abbreviation or teencode form listed in the table."""
    return squash_repeats(nfc(word).lower()) in teencode()


def words(text: str) -> list[str]:
    """Split text into words and single punctuation marks."""
    return _WORD_OR_MARK.findall(nfc(text))


_AI = re.compile(r"(?<!\w)AI(?!\w)")
AI_WORDS = "trí tuệ nhân tạo"


def says_ai(text: str) -> bool:
    """Whether "AI" in `text` is the acronym (artificial intelligence), not "ai" (who, someone).

    Lower-cased, "app nói chuyện với AI" would read "talk with someone" and "nếu AI bảo em đừng kể
    với mẹ" "if someone tells me not to tell mum". The acronym is "AI" in capitals in a message
    that is not itself in capitals: in "CÓ AI Ở ĐÓ KHÔNG" it is "someone".
    """
    if not _AI.search(text):
        return False
    letters = [c for c in _AI.sub(" ", text) if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) < len(letters) / 2


# "hem" is "không" ("hem biết"), except as the alley of "đầu hẻm", "cuối hẻm", "trong hẻm" typed
# without accents ("ra dau hem don no len SG": multiturn15); "có đau hem" (does it hurt?) stays
# "không".
_ALLEY = re.compile(r"(?i)(?<!co )(?<!có )\b(đầu|dau|cuối|cuoi|trong|ngoài|ngoai) hem\b")


# Cached: the conversation's cues (content/, place names) are folded again at every turn, ~900
# folds a turn without the cache, ~40% of a turn's CPU (docs/performance.md, session 14).
@functools.lru_cache(maxsize=1 << 16)
def normalize_text(text: str) -> str:
    """Normalise a whole message for matching: NFC, lower case, teencode expanded, marks spaced."""
    if says_ai(text):
        text = _AI.sub(AI_WORDS, text)
    if "hem" in text.lower():
        text = _ALLEY.sub(lambda m: f"{m.group(1)} hẻm", text)
    return " ".join(normalize_word(w) for w in words(text))


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Normalise and strip accents: the form that safety rules and accent-free features compare.

    A word made only of marks ("0\ufe00": a digit and a variation selector) leaves nothing once its
    marks are stripped; the spaces around it are closed up.
    """
    return " ".join(strip_accents(normalize_text(text)).split())
