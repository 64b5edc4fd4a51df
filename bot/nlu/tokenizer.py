"""A Rasa tokenizer on underthesea's word segmentation, with offsets into the original text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import textnorm
from bot.nlu.fingerprint import files_fingerprint

_HAS_WORD_CHAR = re.compile(r"\w")
AI_LEMMA = textnorm.AI_WORDS.replace(" ", "_")


def segment(text: str) -> List[str]:
    """Split text into words; compounds come back as syllables joined by spaces ("bắt nạt").

    Args:
        text: NFC text.

    Returns:
        The words, each a substring of `text` up to the spacing between its syllables.
    """
    from underthesea import word_tokenize  # imported late: 0.5 s, and only the NLU needs it

    # use_token_normalize=False: underthesea would otherwise rewrite "Hoà" to "Hòa" and the
    # words would no longer be substrings of the text (docs/tech-notes.md §2.4, pitfall 1).
    words = word_tokenize(text, use_token_normalize=False)
    # The segmenter is trained on accented text; on text typed without diacritics it joins
    # syllables at random ("e bi", "ng la"), so such words are split back into syllables and
    # the word-bigram features carry the pairs instead.
    return [part for w in words for part in (w.split() if not textnorm.has_diacritics(w) else [w])]


def lemma_of(word: str) -> str:
    """The feature form of a word: each syllable normalised, compounds joined with "_"."""
    parts = [textnorm.normalize_word(s).replace(" ", "_") for s in word.split()]
    return "_".join(p for p in parts if p)


def tokens_with_offsets(text: str, words: List[str]) -> List[Token]:
    """Locate each word's syllables in `text` from left to right and build tokens.

    Words are located syllable by syllable because the segmenter joins syllables with a single space
    whatever the text had between them; words that contain no letter or digit are dropped.
    """
    tokens: List[Token] = []
    position = 0
    lowered = text.lower()
    acronym = textnorm.says_ai(text)  # "AI" is artificial intelligence, not "ai" (who)
    for word in words:
        if not _HAS_WORD_CHAR.search(word):
            continue
        start = end = -1
        for syllable in word.split():
            found = lowered.find(syllable.lower(), position)
            if found < 0:
                break
            start = found if start < 0 else start
            end = position = found + len(syllable)
        else:
            typed = text[start:end]
            lemma = AI_LEMMA if acronym and typed == "AI" else lemma_of(word)
            tokens.append(Token(typed, start, end, lemma=lemma))
    return tokens


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Word tokens (`bắt nạt` as one token) whose lemma is the normalised form (`bắt_nạt`).

    Featurizers read the lemma (`use_lemma` is on by default), so "ko", "k" and "không" share a
    feature, while `start`/`end` still index what the person typed.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The tokenizer's default config (Rasa's tokenizer options)."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        """Retrain when this module, the normaliser or the teencode table changes."""
        return files_fingerprint(Path(__file__), Path(textnorm.__file__), textnorm.TEENCODE_FILE)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Segment the attribute's text into word tokens."""
        text = textnorm.nfc(message.get(attribute) or "")
        tokens = tokens_with_offsets(text, segment(text)) if text else []
        if not tokens:  # only punctuation or emoji: keep the message featurizable
            tokens = [Token(text or "_", 0, len(text), lemma=text or "_")]
        return self._apply_token_pattern(tokens)
