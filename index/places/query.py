"""Understand the place in a question: its name (any spelling), region qualifier and radius."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.errors import QueryError
from index.folding import fold
from index.models import Place
from index.places.gazetteer import Gazetteer
from index.places.geoparse import ContextPoint, Mention, find_places
from index.places.spans import spans


@dataclass(frozen=True, slots=True)
class PlaceQuery:
    """What a question asks about a place: which one, how far around it, and about what."""

    place: Place | None
    radius_km: float | None
    topic: str  # the question without its place and distance words
    surface: str | None = None  # the words that named the place
    candidates: tuple[Place, ...] = ()  # set when the name fits several places
    unknown: str | None = None  # set when a place-like name is in no gazetteer
    suggestions: tuple[Place, ...] = ()
    region: bool = False  # "in the Belgorod region": every place of the place's admin1 region


_RADIUS = re.compile(
    r"(?:\b(?:within|in a radius of|radius of|radius|up to)\s+)?"
    r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(?:km|kms|kilometers|kilometres|км)\b\.?",
    re.IGNORECASE,
)
_IN_BEFORE = re.compile(r"\b(?:in|inside|у|в)\s+$", re.IGNORECASE)
_CUE = re.compile(
    r"\b(?:near|in|around|from|at|outside|about|close to|towards|of|біля|під|у|в|около|под)"
    r"\s+(?:the\s+)?([A-ZА-ЯЁІЇЄҐ][\w'’ʼ\-]{2,}(?:\s+[A-ZА-ЯЁІЇЄҐ][\w'’ʼ\-]+)?)"
)
_CUE_BEFORE = re.compile(
    r"\b(?:near|in|inside|around|from|at|of|about|close to|outside|towards|within)\s*$",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(r"^\s*[,(]\s*([^\W\d_][\w' \-]{2,40}?)\s*\)?(?=$|[,.;:?!])")


def parse_place_query(
    question: str,
    gazetteer: Gazetteer,
    context: Sequence[ContextPoint],
    default_radius_km: float,
    in_radius_km: float,
    near: str | None = None,
    radius_km: float | None = None,
) -> PlaceQuery:
    """Find the place a question is about ("near Seversk", "Bakhmut within 20 km").

    ``near`` and ``radius_km`` (the CLI's ``--near``, ``--radius``) win over the question's
    own words. A GeoNames id works as ``near``. "in X" means X and its immediate
    surroundings (``in_radius_km``); otherwise the radius is ``default_radius_km``.
    """
    text = question
    m = _RADIUS.search(text)
    if radius_km is None and m:
        radius_km = float(m.group(1).replace(",", "."))
    if m:
        text = (text[: m.start()] + " " + text[m.end() :]).strip()
    if radius_km is not None and not 0 < radius_km <= 1000:
        raise QueryError(f"the radius must be between 0 and 1000 km, not {radius_km:g}")
    source = near if near is not None else text
    if near is not None and near.strip().isdigit():
        place = gazetteer.get(int(near.strip()))
        if place is None:
            raise QueryError(f"no place with GeoNames id {near.strip()} in the gazetteer")
        return PlaceQuery(place, radius_km or default_radius_km, text, near.strip())
    mentions = find_places(source, gazetteer, context, lowercase=True, context_weight=3.0)
    mention = _pick(mentions, source)
    if mention is None:
        regions = spans(source, gazetteer, lowercase=True)[1]
        if regions:  # "shelling in the Belgorod region"
            r = regions[0]
            place = max(
                (c.place for c in r.candidates),
                key=lambda p: (gazetteer.in_scope(p), p.population),
            )
            topic = source[: r.start] + " " + source[r.end :]
            topic = re.sub(r"\b(region|oblast|province|область|області|области)\b", " ", topic)
            return PlaceQuery(place, None, " ".join(topic.split()), r.surface, region=True)
        cue = _CUE.search(source) if near is None else None
        name = near.strip() if near is not None else (cue.group(1) if cue else None)
        if name and not _is_common_phrase(name, gazetteer):
            return PlaceQuery(
                None,
                None,
                text,
                name,
                unknown=name,
                suggestions=tuple(gazetteer.suggest(name)),
            )
        return PlaceQuery(None, None, text)
    left = _CUE_BEFORE.sub("", source[: mention.start])  # "shelling in" -> "shelling"
    topic = text if near is not None else (left + " " + source[mention.end :])
    place = mention.place
    candidates = mention.alternatives
    qualifier = _QUALIFIER.match(source[mention.end :])
    if qualifier and len(candidates) > 1:
        wanted = fold(qualifier.group(1))
        fits = tuple(p for p in candidates if fold(p.admin1).startswith(wanted[:5]))
        if fits:
            candidates = fits
            place = fits[0] if len(fits) == 1 else None
            topic = topic.replace(qualifier.group(0), " ", 1)
    if place is None:
        return PlaceQuery(None, None, text, mention.surface, candidates=candidates)
    if place.is_area:  # "news from Sudan", "the Kherson region": every place inside
        return PlaceQuery(place, None, " ".join(topic.split()), mention.surface, region=True)
    if radius_km is None:
        inside = _IN_BEFORE.search(source[: mention.start]) if near is None else None
        radius_km = in_radius_km if inside else default_radius_km
    return PlaceQuery(place, radius_km, " ".join(topic.split()), mention.surface)


def _pick(mentions: Sequence[Mention], text: str) -> Mention | None:
    """The mention the question is about: the first one after a cue word, else the first."""
    for m in mentions:
        if re.search(r"\b(near|in|around|from|at|of|about)\s+(the\s+)?$", text[: m.start], re.I):
            return m
    return mentions[0] if mentions else None


def _is_common_phrase(name: str, gazetteer: Gazetteer) -> bool:
    return all(fold(w) in gazetteer.common for w in name.split())
