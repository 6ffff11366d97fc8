"""Find place mentions in text and resolve each to one GeoNames place, with a confidence."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.models import Place
from index.places.gazetteer import Candidate, Gazetteer
from index.places.geo import haversine_km, haversine_matrix
from index.places.spans import NameSpan, spans
from index.places.translit import skeleton

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
# How much each kind of match is worth before context; and the cap it puts on confidence.
_KIND_SCORE = {
    "exact": 1.5, "alternate": 0.8, "transliteration": 0.6, "inflection": 0.3, "fuzzy": 0.0
}  # fmt: skip
_KIND_CONFIDENCE = {
    "exact": 1.0, "alternate": 0.97, "transliteration": 0.93, "inflection": 0.85, "fuzzy": 0.8
}  # fmt: skip
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
# Abroad, only the exact name of a large city is taken at its word ("Paris", not "Hanna").
_FOREIGN_SURE_POPULATION = 100_000


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
class ContextPoint:
    """A place the surroundings of a text make likely (e.g. much reported in the corpus)."""

    lat: float
    lon: float
    weight: float = 1.0


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
    by_key: dict[str, list[NameSpan]] = {}
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
    by_key: dict[str, list[NameSpan]],
    options: list[list[Candidate]],
    regions: list[NameSpan],
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
