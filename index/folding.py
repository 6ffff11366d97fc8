"""Text folding, in one place: the three ways Sitrep makes spellings meet, and why they differ.

- :func:`fold_letters` lower-cases and strips the accents of Latin letters but keeps the
  letters of other scripts whole (й, ї, є are letters of their own): for matching words.
- :func:`fold` is ``fold_letters`` without apostrophes and with one space between words:
  the key of a place name or a keyword ("Kam'yanka", "Kamyanka" meet).
- :func:`strip_marks` drops every combining mark of every script after compatibility
  decomposition: the coarse features of the hashing embedder, where й meeting и is fine.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_APOSTROPHES = re.compile(r"[\'’ʼ`´‘\"“”]")
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.]+")


@functools.lru_cache(maxsize=8192)
def _fold_char(c: str) -> str:
    if c.isascii():
        return c
    if c in "łŁ":
        return "l"
    if c in "ßẞ":
        return "ss"
    if c in "æÆ":
        return "ae"
    if c in "øØ":
        return "o"
    if c in "ıİ":
        return "i"
    if c in "ёЁ":
        return "е"  # Russian writes ё as е more often than not: Артёмовск, Артемовск
    if not unicodedata.name(c, "").startswith("LATIN"):
        return c  # й, ї, є are letters of their own, not accented и, і, е
    return "".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))


def fold_letters(text: str) -> str:
    """Lower-case and strip the diacritics of Latin letters: "Síversk" -> "siversk"."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in unicodedata.normalize("NFC", text.casefold()))


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, strip diacritics and apostrophes, one space between words: a display key."""
    text = fold_letters(_APOSTROPHES.sub("", text))
    return " ".join(_SEPARATORS.sub(" ", text).split())


def strip_marks(text: str) -> str:
    """Case-fold, decompose (NFKD) and drop every combining mark, whatever the script."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )
