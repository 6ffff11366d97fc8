"""Find place mentions in text and resolve each to one GeoNames place, with a confidence."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.folding import fold
from index.models import Place
from index.places.gazetteer import Candidate, Gazetteer
from index.places.geo import haversine_km, haversine_matrix
from index.places.translit import has_cyrillic, skeleton

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
    r"\b(?:(?:province|region|oblast|governorate|capital)\s+of|neighbou?ring)\s+$",
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
_CONTEXT_RANGE_KM = 60.0
_CORPUS_RANGE_KM = 150.0
_BROAD_RANGE_KM = 400.0
# How much the other places of a text can add to a candidate's score: up to 4 for places
# within tens of km, 1.5 more for places in the same part of the world.
_LOCAL_WEIGHT = 4.0
_BROAD_WEIGHT = 1.5
# A village this small, this far from every other place the text is sure of, is doubted.
_STRAY_POPULATION = 5_000
_STRAY_KM = 75.0
_CITY_BEFORE = re.compile(r"\b(?:city|town|village|centre|center)\s+of\s+$", re.IGNORECASE)
# How much each kind of match is worth before context; and the cap it puts on confidence.
_KIND_SCORE = {
    "exact": 1.5, "alternate": 0.8, "transliteration": 0.6, "inflection": 0.3, "fuzzy": 0.0
}  # fmt: skip
_KIND_CONFIDENCE = {
    "exact": 1.0, "alternate": 0.97, "transliteration": 0.93, "inflection": 0.85, "fuzzy": 0.8
}  # fmt: skip
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_STRONG = frozenset({"exact", "alternate", "transliteration"})
# Abroad, only the exact name of a large city is taken at its word ("Paris", not "Hanna").
_FOREIGN_SURE_POPULATION = 100_000
# A lower-case word in running text names only a city this large ("kyiv-controlled").
_BIG_CITY = 500_000
# A common word ("Moscow" is one in English) still names a place this large.
_COMMON_WORD_PLACE_POPULATION = 50_000


@dataclass(frozen=True, slots=True)
class Mention:
    """A place name in a text: where, what it resolved to, how it matched, how sure."""

    surface: str
    start: int
    end: int
    place: Place | None
    match: str  # exact | alternate | transliteration | inflection | fuzzy | context
    confidence: float
    candidates: int
    why: str
    alternatives: tuple[Place, ...] = ()  # the likeliest places, best first


@dataclass(frozen=True, slots=True)
class _Span:
    surface: str
    start: int
    end: int
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class ContextPoint:
    """A place the surroundings of a text make likely (e.g. much reported in the corpus)."""

    lat: float
    lon: float
    weight: float = 1.0


def _is_common(word: str, gazetteer: Gazetteer) -> bool:
    return fold(word) in gazetteer.common


def _strip_possessive(text: str, start: int, end: int) -> int:
    if text[end - 1] not in "sS":
        return end
    m = _POSSESSIVE.search(text, start, end)
    return m.start() if m else end


def spans(
    text: str, gazetteer: Gazetteer, lowercase: bool = False
) -> tuple[list[_Span], list[_Span]]:
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
    out: list[_Span] = []
    regions: list[_Span] = []

    def emit(surface: str, start: int, end: int, found: Sequence[Candidate]) -> None:
        if not found or _quoted_or_definite(text, start, end):
            return
        span = _Span(surface, start, end, tuple(found))
        (regions if _region_use(text, start, end) else out).append(span)

    if lowercase:
        tokens = list(_WORD.finditer(text))
    else:
        tokens = list(_CAPITALISED.finditer(text))
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
        while len(run) > 1 and _is_lead(run, gazetteer):
            run, trimmed = run[1:], True
        if len(run) == 1:
            tok = run[0]
            end = _strip_possessive(text, tok.start(), tok.end())
            found = _single(text[tok.start() : end], gazetteer)
            if trimmed:  # "Sergei Sobyanin": a guess after a capitalised word is a name
                found = [c for c in found if c.match != "fuzzy"]
            if found or "-" not in tok.group():
                emit(text[tok.start() : end], tok.start(), end, found)
                continue
            for part in _parts(tok):  # "Bajmut-Lisichank highway"
                emit(part.group(), part.start(), part.end(), _single(part.group(), gazetteer))
            continue
        if len(run) == 2 and _same_place_twice(run, gazetteer):
            for tok in run:  # "Toretsk Dzerzhinsk": a town and its old name
                emit(tok.group(), tok.start(), tok.end(), _single(tok.group(), gazetteer))
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
                    emit(tok.group(), tok.start(), tok.end(), _single(tok.group(), gazetteer))
                elif nxt is not None and fold(nxt.group()) in _NOT_A_TOWN_AFTER:
                    found = _single(tok.group(), gazetteer)
                    if found:  # "Kharkiv Oblast", "Dnipro River"
                        regions.append(_Span(tok.group(), tok.start(), tok.end(), tuple(found)))
                i += 1
    return out, regions


def _same_place_twice(run: list[re.Match[str]], gazetteer: Gazetteer) -> bool:
    """Two adjacent names that both name (nearly) the same place, written two ways."""
    if gazetteer.lookup(f"{run[0].group()} {run[1].group()}", fuzzy=False):
        return False
    a, b = ([c.place for c in _single(t.group(), gazetteer) if c.match in _STRONG] for t in run)
    if not a or not b:
        return False
    if {p.geonameid for p in a} & {q.geonameid for q in b}:
        return True
    return any(haversine_km(p.lat, p.lon, q.lat, q.lon) < 30 for p in a[:8] for q in b[:8])


def _single(surface: str, gazetteer: Gazetteer) -> list[Candidate]:
    """Candidates of one word, with the rules for common and lower-case words (memoised)."""
    cache = gazetteer.memo
    hit = cache.get(surface)
    if hit is None:
        if len(cache) > 50_000:
            cache.clear()
        hit = cache[surface] = _single_uncached(surface, gazetteer)
    return hit


def _single_uncached(surface: str, gazetteer: Gazetteer) -> list[Candidate]:
    if len(surface) < 3:
        return []
    lower = not surface[0].isupper()
    found = gazetteer.lookup(surface, fuzzy=not lower)
    if found and _is_common(surface, gazetteer):
        found = [c for c in found if _big(c)]
    if lower:  # an uncapitalised word must be spelt like the place
        found = [c for c in found if c.match in _STRONG] if len(surface) >= 4 else []
    return found


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
    return any(_big(c) for c in gazetteer.lookup(word, fuzzy=False))


def _quoted_or_definite(text: str, start: int, end: int) -> bool:
    """A call sign in quotes (‘Rostov’), or "the Maidan," (a square, not a town)."""
    before, after = text[max(0, start - 4) : start], text[end : end + 2]
    if before[-1:] in _OPEN_QUOTES and (
        after[:1] in _CLOSE_QUOTES or (after[:1] in ",." and after[1:] in _CLOSE_QUOTES)
    ):
        return True
    after = after[:1]
    return before.lower().endswith("the ") and (after == "" or after in ".,;:!?)")


def _region_use(text: str, start: int, end: int) -> bool:
    """Whether the name is used as a region: "the Donetsk region", "province of Kharkov"."""
    if _REGION_BEFORE.search(text[max(0, start - 30) : start]):
        return True
    if _REGION_PAIR.match(text, end):
        return True
    m = _WORD.search(text, end, end + 40)
    return bool(m and _JOIN.match(text[end : m.start()]) and fold(m.group()) in _NOT_A_TOWN_AFTER)


def _big(c: Candidate) -> bool:
    return c.match != "fuzzy" and c.place.population >= _COMMON_WORD_PLACE_POPULATION


def _prior(c: Candidate, gazetteer: Gazetteer, surface: str) -> float:
    scope = 2.0 if gazetteer.in_scope(c.place) else 0.0
    # Letters only Ukrainian has (і, ї, є, ґ) name a place in Ukraine more often than not.
    ukrainian = 1.0 if c.place.country == "UA" and _UKRAINIAN.search(surface) else 0.0
    size = 0.7 * math.log10(c.place.population + 10)
    return size + scope + ukrainian + _KIND_SCORE[c.match] - 0.4 * c.distance


def _certainty(c: Candidate, gazetteer: Gazetteer) -> float:
    """How far a match of this kind can be trusted, before the choice among candidates."""
    sure = _KIND_CONFIDENCE[c.match] - 0.1 * c.distance - (0.15 if c.distance >= 2 else 0.0)
    if not gazetteer.in_scope(c.place):
        big = c.match == "exact" and c.place.population >= _FOREIGN_SURE_POPULATION
        sure *= 1.0 if big else 0.6 if c.match == "exact" else 0.5
    return sure


_Choice = tuple[Candidate, float, bool, tuple[Place, ...]]


def find_places(
    text: str,
    gazetteer: Gazetteer,
    context: Sequence[ContextPoint] = (),
    min_confidence: float = 0.5,
    lowercase: bool = False,
    context_weight: float = 2.5,
) -> list[Mention]:
    """Place mentions in ``text``, each resolved to a place or to None when unsure.

    Disambiguation weighs population, the scope countries and how the name matched, then
    the other places of the same text (a Fedorivka named beside Myrnohrad is the one near
    it; a town "in the Kharkiv region" lies there), then ``context`` (e.g. the places the
    corpus reports on most). Candidates of all names support each other by proximity, in
    proportion to how likely each is, over a few rounds. One name is one place per text.
    """
    found, regions = spans(text, gazetteer, lowercase)
    if not found:
        return []
    by_key: dict[str, list[_Span]] = {}
    for sp in found:
        by_key.setdefault(skeleton(sp.surface), []).append(sp)
    keys = list(by_key)
    options = [list(by_key[key][0].candidates) for key in keys]
    choices: list[_Choice]
    if all(len(o) == 1 for o in options):  # the common case: nothing to choose
        choices = [(o[0], 1.0, False, (o[0].place,)) for o in options]
    else:
        choices = _choose(keys, by_key, options, regions, gazetteer, context, context_weight)
    confidence = [round(p * _certainty(c, gazetteer), 3) for c, p, _, _ in choices]
    _doubt_strays(choices, confidence, gazetteer)
    mentions = []
    for k, key in enumerate(keys):
        c, _, by_context, alternatives = choices[k]
        n = len(options[k])
        why = f"{c.match} match" + (f", {n} candidates" if n > 1 else "")
        if by_context:
            why += ", chosen by the other places in the text"
        place = c.place if confidence[k] >= min_confidence else None
        match = "context" if by_context else c.match
        for sp in by_key[key]:
            mentions.append(
                Mention(
                    sp.surface,
                    sp.start,
                    sp.end,
                    place,
                    match,
                    confidence[k],
                    n,
                    why,
                    alternatives,
                )
            )
    mentions.sort(key=lambda m: m.start)
    return mentions


def _doubt_strays(choices: list[_Choice], confidence: list[float], gazetteer: Gazetteer) -> None:
    """A village far from every other place the text is sure of is likely a namesake of
    one that is not in the gazetteer: lower its confidence."""
    sure = [
        (k, c.place)
        for k, (c, _, _, _) in enumerate(choices)
        if confidence[k] >= 0.8 and gazetteer.in_scope(c.place)
    ]
    for k, (c, _, _, _) in enumerate(choices):
        if c.place.population >= _STRAY_POPULATION:
            continue
        others = [p for j, p in sure if j != k]
        if (
            others
            and min(haversine_km(c.place.lat, c.place.lon, p.lat, p.lon) for p in others)
            > _STRAY_KM
        ):
            confidence[k] = round(confidence[k] * 0.5, 3)


def _choose(
    keys: list[str],
    by_key: dict[str, list[_Span]],
    options: list[list[Candidate]],
    regions: list[_Span],
    gazetteer: Gazetteer,
    context: Sequence[ContextPoint],
    context_weight: float,
) -> list[_Choice]:
    """Pick a candidate per name: priors, then rounds of mutual support by proximity."""
    cands = [c for o in options for c in o]
    owner = np.array([k for k, o in enumerate(options) for _ in o])
    lat = np.array([c.place.lat for c in cands])
    lon = np.array([c.place.lon for c in cands])
    prior = np.array(
        [
            _prior(c, gazetteer, by_key[key][0].surface)
            for key, o in zip(keys, options, strict=True)
            for c in o
        ]
    )
    region_set = set()
    for sp in regions:  # the likeliest place of the name, e.g. Donetsk UA for "Donetsk region"
        top = max(sp.candidates, key=lambda c: _prior(c, gazetteer, sp.surface))
        if top.place.admin1:
            region_set.add((top.place.country, top.place.admin1))
    if region_set:
        prior += 2.0 * np.array([(c.place.country, c.place.admin1) in region_set for c in cands])
    if context:
        clat = np.array([p.lat for p in context])
        clon = np.array([p.lon for p in context])
        cw = np.array([p.weight for p in context])
        near = (
            np.exp(-((haversine_matrix(lat, lon, clat, clon) / _CORPUS_RANGE_KM) ** 2))
            * cw[None, :]
        )
        prior += context_weight * near.max(axis=1)
    km = haversine_matrix(lat, lon, lat, lon)
    same = owner[:, None] == owner[None, :]
    # Gaussian kernels: a town 30 km away is strong evidence, one 150 km away almost none;
    # the broad one says only "the same part of the world" (the Donbas, not the Urals).
    kernel = (
        _LOCAL_WEIGHT * np.exp(-((km / _CONTEXT_RANGE_KM) ** 2))
        + _BROAD_WEIGHT * np.exp(-((km / _BROAD_RANGE_KM) ** 2))
    ) / (_LOCAL_WEIGHT + _BROAD_WEIGHT)
    kernel[same] = 0.0
    # candidates are ordered by name: each name's candidates are one slice
    starts = np.concatenate(([0], np.flatnonzero(owner[1:] != owner[:-1]) + 1))
    foreign = owner[:, None] != np.arange(len(keys))[None, :]

    def softmax(score: np.ndarray) -> np.ndarray:
        e = np.exp(score - np.maximum.reduceat(score, starts)[owner])
        return np.asarray(e / np.add.reduceat(e, starts)[owner])

    def support(kernel: np.ndarray, prob: np.ndarray) -> np.ndarray:
        # noisy-OR over the other names: at most 1, however many names agree
        reach = np.maximum.reduceat(kernel * prob[None, :], starts, axis=1) * foreign
        return np.asarray(1.0 - np.prod(1.0 - reach, axis=1))

    prob = softmax(prior)
    score = prior
    for _round in range(1 if len(keys) > 1 else 0):  # a second round changed no result
        score = prior + (_LOCAL_WEIGHT + _BROAD_WEIGHT) * support(kernel, prob)
        prob = softmax(score)
    groups = [np.arange(a, b) for a, b in zip(starts, [*starts[1:], len(cands)], strict=True)]
    out: list[_Choice] = []
    for g in groups:
        best = int(g[np.argmax(score[g])])
        by_context = best != int(g[np.argmax(prior[g])])
        ranked = sorted(g, key=lambda j: -prob[j])[:5]
        out.append(
            (cands[best], float(prob[best]), by_context, tuple(cands[j].place for j in ranked))
        )
    return out
