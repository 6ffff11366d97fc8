"""Candidate place names in a text: runs of capitalised words, names used as regions, and
the places each name may mean (the choice among them is :mod:`index.places.geoparse`'s)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.folding import fold
from index.places.gazetteer import STRONG_MATCHES, Candidate, Gazetteer
from index.places.geo import haversine_km
from index.places.translit import has_cyrillic

_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ\-][^\W\d_]+)*")
# Words that start with a capital letter (Latin or Cyrillic), found by the regex engine
# rather than word by word in Python: running text is mostly lower-case.
_UPPER = "".join(chr(i) for i in range(0x41, 0x530) if chr(i).isupper())
_CAPITALISED = re.compile(rf"\b[{_UPPER}][^\W\d_]*(?:['’ʼ\-][^\W\d_]+)*")
_LOWER_COMPOUND = re.compile(r"(?<![^\W\d_])[^\W\d_A-ZА-ЯЁЄІЇҐ]+(?:-[^\W\d_]+)+")
_PART = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")
_OPEN_QUOTES = frozenset("‘“«\"'")
_CLOSE_QUOTES = frozenset("’”»\"'")
_REGION_BEFORE = re.compile(
    r"\b(?:(?:province|region|oblast|governorate|state|capital)\s+of|neighbou?ring)\s+$",
    re.IGNORECASE,
)
_REGION_PAIR = re.compile(
    r"\s*(?:,|and|or|та|і|и)\s+[^\W\d_][\w'’ʼ\-]*\s+"
    r"(?:regions|oblasts|provinces|областей|областях|областями|областями)\b",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"['’ʼ]s$")
_JOIN = re.compile(r"^[ \t]{1,2}$")
# Words after a name that make it something other than a town: a region, a river, a body.
_NOT_A_TOWN_AFTER = frozenset(
    """
    region regions oblast oblasts province provinces district districts raion rayon krai
    republic governorate county river rivers lake sea reservoir canal bay basin area areas
    regional governor governor's
    область області области район районі районе районе край республика республіка
    річка річки река реки реке
    """.split()
)
# Of those, the words that make it a first-level region ("the Kherson region", "Kharkiv
# Oblast", "North Darfur state"); a district, river or lake is not one.
_REGION_AFTER = frozenset(
    """
    region regions oblast oblasts province provinces governorate governorates state krai
    область області области областях областей областю областью край
    """.split()
)
_REGION_OF = re.compile(r"\b(?:province|region|oblast|governorate|state)\s+of\s+$", re.IGNORECASE)
# Abbreviations of countries and unions, matched as written: "U.S.", "UK", "EU", "UAE".
_ABBREVIATION = re.compile(r"(?<![\w.])(?:[A-Z]\.\s?){2,3}(?!\w)|\b[A-Z]{2,4}\b")
# A lower-case word in running text names only a city this large ("kyiv-controlled").
_BIG_CITY = 500_000


@dataclass(frozen=True, slots=True)
class NameSpan:
    """A name found in a text and every place it may mean (no choice yet)."""

    surface: str
    start: int
    end: int
    candidates: tuple[Candidate, ...]
    region: bool = False  # used as the name of a first-level region: "the Kherson region"


def _strip_possessive(text: str, start: int, end: int) -> int:
    if text[end - 1] not in "sS":
        return end
    m = _POSSESSIVE.search(text, start, end)
    return m.start() if m else end


def spans(
    text: str, gazetteer: Gazetteer, lowercase: bool = False
) -> tuple[list[NameSpan], list[NameSpan]]:
    """Candidate place names in ``text`` with the places each may mean (no choice yet), and
    the names used as regions ("the Kharkiv region"), which help to choose.

    Runs of capitalised words are read as one name: "Chasiv Yar" is a place, while inside
    "Seversky Donets", "Vladimir Putin" or "Kyiv Independent" no single word counts (very
    common words at either end, "Near", "The", are trimmed first). A name followed by
    "region", "river" and the like, or by "and Donetsk regions", is a region, not a town.
    Frequent words ("Roy") name only large places; a lower-case word only a large city
    spelt exactly ("kyiv-controlled"). With ``lowercase`` (questions typed in a hurry)
    uncapitalised words are read like capitalised ones.
    """
    runs: list[list[re.Match[str]]] = []
    out: list[NameSpan] = []
    regions: list[NameSpan] = []

    def emit(surface: str, start: int, end: int, found: Sequence[Candidate]) -> None:
        regional = gazetteer.regional(surface)
        if not found and not regional:
            return  # no place and no region of this name
        if _region_use(text, start, end):
            named = _names_region(text, start, end)
            if named:  # the regions the name may mean, then its towns (whose region it is)
                found = [
                    *(Candidate(p, "exact") for p in regional),
                    *(c for c in found if c.place.kind == "region"),
                    *(c for c in found if c.place.kind == "town"),
                ]
            if found:
                regions.append(NameSpan(surface, start, end, tuple(found), named))
            return
        if not found or _quoted_or_definite(text, start, end):
            return
        out.append(NameSpan(surface, start, end, tuple(found)))

    abbreviated: set[int] = set()
    if lowercase:
        tokens = list(_WORD.finditer(text))
    else:
        for m in _ABBREVIATION.finditer(text):
            places = gazetteer.code(m.group())
            if places:
                surface = m.group().rstrip()
                emit(
                    surface,
                    m.start(),
                    m.start() + len(surface),
                    [Candidate(p, "alternate") for p in places],
                )
                abbreviated.update(range(m.start(), m.end()))
        tokens = [t for t in _CAPITALISED.finditer(text) if t.start() not in abbreviated]
        for tok in _LOWER_COMPOUND.finditer(text):  # "kyiv-controlled", "moscow-backed"
            for part in _parts(tok):
                emit(part.group(), part.start(), part.end(), _big_city(part.group(), gazetteer))
    prev_end = -10
    for tok in tokens:
        start = tok.start()
        if start - prev_end in (1, 2) and not text[prev_end:start].strip(" \t"):
            runs[-1].append(tok)
        else:
            runs.append([tok])
        prev_end = tok.end()
    for run in runs:
        trimmed = False
        country = gazetteer.demonym(run[0].group())
        if country is not None:  # "Russian forces", "Syrian Democratic Forces"
            tok = run[0]
            out.append(
                NameSpan(tok.group(), tok.start(), tok.end(), (Candidate(country, "demonym"),))
            )
            run = run[1:]
            if not run:
                continue
        while len(run) > 1 and _is_lead(run, gazetteer):
            run, trimmed = run[1:], True
        if len(run) == 1:
            tok = run[0]
            end = _strip_possessive(text, tok.start(), tok.end())
            found = gazetteer.word(text[tok.start() : end])
            if trimmed:  # "Sergei Sobyanin": a guess after a capitalised word is a name
                found = [c for c in found if c.match != "fuzzy"]
            if found or "-" not in tok.group():
                emit(text[tok.start() : end], tok.start(), end, found)
                continue
            for part in _parts(tok):  # "Bajmut-Lisichank highway"
                emit(part.group(), part.start(), part.end(), gazetteer.word(part.group()))
            continue
        if len(run) == 2 and _same_place_twice(run, gazetteer):
            for tok in run:  # "Toretsk Dzerzhinsk": a town and its old name
                emit(tok.group(), tok.start(), tok.end(), gazetteer.word(tok.group()))
            continue
        i = 0
        while i < len(run):
            for width in range(min(4, len(run) - i), 1, -1):
                start = run[i].start()
                end = _strip_possessive(text, start, run[i + width - 1].end())
                found = gazetteer.lookup(text[start:end], fuzzy=False)
                if found:
                    emit(text[start:end], start, end, found)
                    i += width
                    break
            else:
                tok = run[i]
                nxt = run[i + 1] if i + 1 < len(run) else None
                if lowercase:  # a typed question: every word on its own
                    emit(tok.group(), tok.start(), tok.end(), gazetteer.word(tok.group()))
                elif nxt is not None and fold(nxt.group()) in _NOT_A_TOWN_AFTER:
                    found = gazetteer.word(tok.group())
                    if found:  # "Kharkiv Oblast", "Dnipro River"
                        regions.append(NameSpan(tok.group(), tok.start(), tok.end(), tuple(found)))
                i += 1
    return out, regions


def _same_place_twice(run: list[re.Match[str]], gazetteer: Gazetteer) -> bool:
    """Two adjacent names that both name (nearly) the same place, written two ways."""
    if gazetteer.lookup(f"{run[0].group()} {run[1].group()}", fuzzy=False):
        return False
    a, b = ([c.place for c in gazetteer.word(t.group()) if c.match in STRONG_MATCHES] for t in run)
    if not a or not b:
        return False
    if {p.geonameid for p in a} & {q.geonameid for q in b}:
        return True
    return any(haversine_km(p.lat, p.lon, q.lat, q.lon) < 30 for p in a[:8] for q in b[:8])


def _parts(tok: re.Match[str]) -> list[re.Match[str]]:
    return list(_PART.finditer(tok.string, tok.start(), tok.end()))


def _big_city(word: str, gazetteer: Gazetteer) -> list[Candidate]:
    if len(word) < 4:
        return []
    return [
        c
        for c in gazetteer.lookup(word, fuzzy=False)
        if c.match in ("exact", "alternate") and c.place.population >= _BIG_CITY
    ]


def _is_lead(run: list[re.Match[str]], gazetteer: Gazetteer) -> bool:
    """Whether the run's first word is a frequent word that only opens it ("Near Bakhmut",
    "Обстріли Сіверська"), not the start of a longer place name ("Nova Kakhovka")."""
    word = run[0].group()
    key = fold(word)
    frequent = key in gazetteer.stop or (has_cyrillic(word) and key in gazetteer.common)
    if not frequent or _big_place(word, gazetteer):
        return False
    return not gazetteer.lookup(f"{word} {run[1].group()}", fuzzy=False)


def _big_place(word: str, gazetteer: Gazetteer) -> bool:
    return any(c.big for c in gazetteer.lookup(word, fuzzy=False))


def _quoted_or_definite(text: str, start: int, end: int) -> bool:
    """A call sign in quotes (‘Rostov’), or "the Maidan," (a square, not a town)."""
    before, after = text[max(0, start - 4) : start], text[end : end + 2]
    if before[-1:] in _OPEN_QUOTES and (
        after[:1] in _CLOSE_QUOTES or (after[:1] in ",." and after[1:] in _CLOSE_QUOTES)
    ):
        return True
    after = after[:1]
    return before.lower().endswith("the ") and (after == "" or after in ".,;:!?)")


def _names_region(text: str, start: int, end: int) -> bool:
    """Whether a name used as a region is a first-level one: "the Kherson region", "province
    of Kharkov", "Херсонська область" (not "the Dnipro river" or "the Bakhmut district")."""
    return bool(_REGION_OF.search(text[max(0, start - 30) : start])) or _followed_by(
        text, end, _REGION_AFTER
    )


def _region_use(text: str, start: int, end: int) -> bool:
    """Whether the name is used as a region: "the Donetsk region", "province of Kharkov"."""
    if _REGION_BEFORE.search(text[max(0, start - 30) : start]):
        return True
    if _REGION_PAIR.match(text, end):
        return True
    return _followed_by(text, end, _NOT_A_TOWN_AFTER)


def _followed_by(text: str, end: int, words: frozenset[str]) -> bool:
    """Whether the word right after ``end`` (a space or two away) is one of ``words``."""
    m = _WORD.search(text, end, end + 40)
    return bool(m and _JOIN.match(text[end : m.start()]) and fold(m.group()) in words)
