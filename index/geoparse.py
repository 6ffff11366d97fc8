"""Find place mentions in text and resolve each to one GeoNames place, with a confidence."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.gazetteer import Candidate, Gazetteer
from index.models import Place
from index.translit import fold, skeleton

_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ\-][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’ʼ]s$")
_JOIN = re.compile(r"^[ \t]{1,2}$")
# Words after a name that make it something other than a town: a region, a river, a body.
_NOT_A_TOWN_AFTER = frozenset(
    """
    region regions oblast oblasts province provinces district districts raion rayon krai
    republic governorate county direction axis sector front river rivers lake sea reservoir
    canal bay basin area areas
    область області области район районі районе районе край республика республіка
    річка річки река реки реке напрямок направление направлении
    """.split()
)
_CONTEXT_RANGE_KM = 60.0
_CORPUS_RANGE_KM = 150.0
# How much each kind of match is worth before context; and the cap it puts on confidence.
_KIND_SCORE = {
    "exact": 0.8, "alternate": 0.6, "transliteration": 0.5, "inflection": 0.3, "fuzzy": 0.0
}  # fmt: skip
_KIND_CONFIDENCE = {
    "exact": 1.0, "alternate": 0.97, "transliteration": 0.93, "inflection": 0.85, "fuzzy": 0.8
}  # fmt: skip
_STRONG = frozenset({"exact", "alternate", "transliteration"})
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


def _tokens(text: str, lowercase: bool) -> list[re.Match[str]]:
    return [m for m in _WORD.finditer(text) if lowercase or m.group()[0].isupper()]


def _is_common(word: str, gazetteer: Gazetteer) -> bool:
    return fold(word) in gazetteer.common


def _strip_possessive(text: str, start: int, end: int) -> int:
    m = _POSSESSIVE.search(text, start, end)
    return m.start() if m else end


def spans(
    text: str, gazetteer: Gazetteer, lowercase: bool = False
) -> tuple[list[_Span], list[_Span]]:
    """Candidate place names in ``text`` with the places each may mean (no choice yet), and
    the names used as regions ("the Kharkiv region"), which help to choose.

    Capitalised words are looked up, longest run first, so "Chasiv Yar" is one name. A name
    followed by another capitalised word that is no place is part of a longer name
    ("Seversky Donets", "Vladimir Putin", "Kyiv Independent") and is skipped; a name
    followed by "region", "river" and the like is no town. Frequent words ("Near", "Roy")
    name only large places. With ``lowercase`` (questions typed in a hurry) uncapitalised
    words are looked up too.
    """
    toks = _tokens(text, lowercase)
    runs: list[list[re.Match[str]]] = []
    for tok in toks:
        if runs and _JOIN.match(text[runs[-1][-1].end() : tok.start()]):
            runs[-1].append(tok)
        else:
            runs.append([tok])
    out: list[_Span] = []
    regions: list[_Span] = []
    for run in runs:
        i = 0
        while i < len(run):
            found: list[Candidate] = []
            for width in range(min(4, len(run) - i), 0, -1):
                start = run[i].start()
                end = _strip_possessive(text, start, run[i + width - 1].end())
                surface = text[start:end]
                if len(surface) < 3:
                    continue
                lower = not surface[0].isupper()
                found = gazetteer.lookup(surface, fuzzy=width == 1 and not lower)
                if found and _is_common(surface, gazetteer):
                    found = [c for c in found if _big(c)]
                if lower:  # an uncapitalised word must be spelt like the place
                    found = [c for c in found if c.match in _STRONG] if len(surface) >= 4 else []
                if found:
                    break
            if not found:
                i += 1
                continue
            nxt = run[i + width] if i + width < len(run) else None
            if nxt is not None and (
                nxt.group().casefold() not in _NOT_A_TOWN_AFTER
                and (
                    not gazetteer.lookup(nxt.group(), fuzzy=False)
                    or all(c.match in ("inflection", "fuzzy") for c in found)
                )
            ):
                i += width + 1  # part of a longer name that is not a place
                continue
            span = _Span(surface, start, end, tuple(found))
            (regions if _followed_by_non_town(text, end) else out).append(span)
            i += width
    return out, regions


def _big(c: Candidate) -> bool:
    return c.match != "fuzzy" and c.place.population >= _COMMON_WORD_PLACE_POPULATION


def _followed_by_non_town(text: str, end: int) -> bool:
    m = _WORD.search(text, end, end + 40)
    if m is None or not _JOIN.match(text[end : m.start()]):
        return False
    return m.group().casefold() in _NOT_A_TOWN_AFTER


def _prior(c: Candidate, gazetteer: Gazetteer) -> float:
    scope = 2.0 if gazetteer.in_scope(c.place) else 0.0
    return (
        0.7 * math.log10(c.place.population + 10) + scope + _KIND_SCORE[c.match] - 0.4 * c.distance
    )


def _distances(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Pairwise great-circle distances (km) between two sets of points."""
    p1, p2 = np.radians(lat1)[:, None], np.radians(lat2)[None, :]
    dl = np.radians(lon2)[None, :] - np.radians(lon1)[:, None]
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def find_places(
    text: str,
    gazetteer: Gazetteer,
    context: Sequence[ContextPoint] = (),
    min_confidence: float = 0.5,
    lowercase: bool = False,
    context_weight: float = 1.5,
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
    cands = [c for key in keys for c in by_key[key][0].candidates]
    owner = np.array([k for k, key in enumerate(keys) for _ in by_key[key][0].candidates])
    lat = np.array([c.place.lat for c in cands])
    lon = np.array([c.place.lon for c in cands])
    prior = np.array([_prior(c, gazetteer) for c in cands])
    region_set = {
        (c.place.country, c.place.admin1)
        for sp in regions
        for c in sp.candidates[:1]
        if c.place.admin1
    }
    if region_set:
        prior += 2.0 * np.array([(c.place.country, c.place.admin1) in region_set for c in cands])
    if context:
        clat = np.array([p.lat for p in context])
        clon = np.array([p.lon for p in context])
        cw = np.array([p.weight for p in context])
        near = np.exp(-((_distances(lat, lon, clat, clon) / _CORPUS_RANGE_KM) ** 2)) * cw[None, :]
        prior += context_weight * near.max(axis=1)
    # Gaussian: a town 30 km away is strong evidence, one 150 km away almost none
    closeness = np.exp(-((_distances(lat, lon, lat, lon) / _CONTEXT_RANGE_KM) ** 2))
    same = owner[:, None] == owner[None, :]
    closeness[same] = 0.0
    groups = [np.flatnonzero(owner == k) for k in range(len(keys))]

    def softmax(score: np.ndarray) -> np.ndarray:
        prob = np.empty_like(score)
        for g in groups:
            e = np.exp(score[g] - score[g].max())
            prob[g] = e / e.sum()
        return prob

    prob = softmax(prior)
    score = prior
    for _round in range(3):
        # noisy-OR over the other names: support is at most 4, however many names agree
        miss = np.ones(len(cands))
        for g in groups if len(keys) > 1 else []:
            reach = (closeness[:, g] * prob[g][None, :]).max(axis=1)
            reach[g] = 0.0
            miss *= 1.0 - reach
        score = prior + 4.0 * (1.0 - miss)
        prob = softmax(score)
    mentions = []
    for k, key in enumerate(keys):
        g = groups[k]
        best = int(g[np.argmax(score[g])])
        by_context = best != int(g[np.argmax(prior[g])])
        c = cands[best]
        confidence = round(float(prob[best]) * (_KIND_CONFIDENCE[c.match] - 0.1 * c.distance), 3)
        n = len(g)
        why = f"{c.match} match" + (f", {n} candidates" if n > 1 else "")
        if by_context:
            why += ", chosen by the other places in the text"
        place = c.place if confidence >= min_confidence else None
        match = "context" if by_context else c.match
        ranked = sorted(g, key=lambda j: -prob[j])[:5]
        alternatives = tuple(cands[j].place for j in ranked)
        for sp in by_key[key]:
            mentions.append(
                Mention(
                    sp.surface, sp.start, sp.end, place, match, confidence, n, why, alternatives
                )
            )
    mentions.sort(key=lambda m: m.start)
    return mentions
