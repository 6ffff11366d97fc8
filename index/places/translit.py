"""Place-name normalisation: Cyrillic romanisations, diacritics, and spelling-proof keys."""

from __future__ import annotations

import functools
import re

from index.folding import fold

# Three romanisations of Cyrillic, so a name written in any of them meets its original.
# Ukrainian national system (2010), as used by Ukraine's own maps and most English news.
UKRAINIAN_NATIONAL = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "ъ": "", "ы": "y",
    "э": "e", "ё": "io", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
# BGN/PCGN for Russian, the usual source of "Kharkov", "Seversk", "Artemovsk".
BGN_PCGN_RUSSIAN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ye", "ж": "zh",
    "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "yu", "я": "ya", "ъ": "", "ы": "y",
    "э": "e", "ё": "yo", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
# The scholarly (ISO 9-like) system: "Char'kiv", "Zaporižžja", "Bachmut".
SCHOLARLY = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "je", "ж": "ž",
    "з": "z", "и": "y", "і": "i", "ї": "ji", "й": "j", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "ch", "ц": "c",
    "ч": "č", "ш": "š", "щ": "šč", "ь": "", "ю": "ju", "я": "ja", "ъ": "", "ы": "y",
    "э": "è", "ё": "ë", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
ROMANISATIONS = {
    "ukrainian-national": UKRAINIAN_NATIONAL,
    "bgn-pcgn": BGN_PCGN_RUSSIAN,
    "scholarly": SCHOLARLY,
}

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def has_cyrillic(text: str) -> bool:
    """Whether any letter of ``text`` is Cyrillic."""
    return bool(_CYRILLIC.search(text))


def romanise(text: str, table: dict[str, str]) -> str:
    """Cyrillic letters by ``table`` (case-folded); other characters unchanged."""
    return "".join(table.get(c, c) for c in text.casefold())


def romanisations(text: str) -> dict[str, str]:
    """Every romanisation of a Cyrillic text, by system name; {} for non-Cyrillic text."""
    if not has_cyrillic(text):
        return {}
    return {name: romanise(text, table) for name, table in ROMANISATIONS.items()}


# Spelling-proof skeleton: letters and digraphs that romanisations and languages write
# differently for one sound collapse to one symbol. Order matters (longest first).
_DIGRAPHS = (
    ("shch", "s"), ("szcz", "s"), ("tsch", "c"), ("sch", "s"), ("tch", "c"),
    ("ch", "c"), ("cz", "c"), ("sh", "s"), ("sz", "s"), ("zh", "z"), ("kh", "h"),
    ("ts", "c"), ("tz", "c"), ("ph", "f"), ("x", "h"), ("w", "v"), ("q", "k"), ("g", "h"),
)  # fmt: skip
_DIGRAPH = re.compile("|".join(a for a, _ in _DIGRAPHS))
_DIGRAPH_MAP = dict(_DIGRAPHS)
_J_GLIDE = re.compile(r"j(?=[aeiouy])")
_J = re.compile(r"j")
_GLIDES = re.compile(r"[yi]([aeuo])")
_I_LIKE = re.compile(r"[yi]+")
_DOUBLE = re.compile(r"(.)\1+")
# Russian -gorod and Ukrainian -horod / -hrad are one word for "town": Mirnogorod, Myrnohrad.
_TOWN = re.compile(r"horod$")
_NON_LETTER = re.compile(r"[^a-z0-9]")
# Case and adjective endings of Russian and Ukrainian names, after skeleton mapping.
_ENDING = re.compile(r"(ogo|omu|oho|ovi|ami|ah|am|om|em|im|oi|ei|ov|ev|a|u|e|i|o)$")


@functools.lru_cache(maxsize=65536)
def skeleton(text: str) -> str:
    """A key on which romanisations of one name agree: Bakhmut/Bajmut/Бахмут -> "bahmut"."""
    s = fold(text)
    if has_cyrillic(s):
        s = fold(romanise(s, UKRAINIAN_NATIONAL))
    s = _NON_LETTER.sub("", s)
    s = _DIGRAPH.sub(lambda m: _DIGRAPH_MAP[m.group()], s)
    s = _J_GLIDE.sub("y", s)  # Ja, Je, Ju: a glide, as in Polish, German, Czech
    s = _J.sub("h", s)  # before a consonant, Spanish j is kh: Bajmut, Verjnokamianske
    s = _GLIDES.sub(r"\1", s)  # ya/ia/ja -> a, yu/iu -> u, ye/ie -> e
    s = _I_LIKE.sub("i", s)  # y, i, iy, yi, ii -> i
    return _TOWN.sub("hrad", _DOUBLE.sub(r"\1", s))


def stem(key: str, min_length: int = 5) -> str:
    """A skeleton without its case ending: Kotlyarovki/Kotlyarovka -> kotlarovk.

    An adjective ending on a -sk name is kept: "Seversky" (Donets) is not Seversk, while
    "Severska" and "Severskom" (genitive, instrumental) are.
    """
    m = _ENDING.search(key)
    if m is None:
        return key
    stripped = key[: m.start()]
    if len(stripped) < min_length or (
        stripped.endswith("sk") and m.group() in ("i", "oi", "ogo", "omu")
    ):
        return key
    return stripped


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, stopping early once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]
