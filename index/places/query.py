"""Understand the place in a question: its name (any spelling), region qualifier and radius."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.errors import QueryError
from index.folding import fold
from index.models import Place, Reading
from index.places.gazetteer import Gazetteer
from index.places.geoparse import ContextPoint, Mention, find_places
from index.places.readings import Evidence, choose, qualified, readings_of
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
    # The other places the name may mean, with their reports (the query is for ``place``).
    alternatives: tuple[Reading, ...] = ()
    readings: tuple[Reading, ...] = ()  # ``candidates`` with their reports and landmarks
    textual: str | None = None  # a name in no gazetteer that the reports hold: read as text


_RADIUS = re.compile(
    r"(?:\b(?:within|in a radius of|radius of|radius|up to)\s+)?"
    r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(?:km|kms|kilometers|kilometres|км)\b\.?",
    re.IGNORECASE,
)
# Words that put a place after them ("near X", "près de X", "في X"), per language: grammar
# words, as rules, not place names. Longer ones first so "in der Nähe von" wins over "in".
_CUES = {
    "en": "near|in|inside|around|from|at|outside|about|close to|towards|of|within|off",
    "fr": "près de|à|en|dans|autour de|vers",
    "de": "bei|in der Nähe von|nahe|nahe bei|im|aus",
    "es": "cerca de|en|desde|hacia",
    "it": "vicino a|presso|nei pressi di",
    "pt": "perto de|em|no|na",
    "uk": "біля|під|у|в|поблизу|коло|з|із",
    "ru": "около|под|у|в|возле|рядом с|из",
    "ar": "في|قرب|بالقرب من|من",
}
# Cue words that mean "in the place itself": the small radius.
_INSIDE = "in|inside|à|en|dans|im|em|no|na|у|в|في"
_ALL_CUES = sorted({w for ws in _CUES.values() for w in ws.split("|")}, key=len, reverse=True)
_CUE_WORDS = "|".join(re.escape(w) for w in _ALL_CUES)
_IN_BEFORE = re.compile(rf"(?<!\w)(?:{_INSIDE})\s+(?:the\s+)?$", re.IGNORECASE)
# A cue word and the one or two words after it that may be a place's name (any script;
# whether they are capitalised, or of a script without capitals, is checked after).
_CUE = re.compile(
    rf"(?<!\w)(?:{_CUE_WORDS})\s+(?:the\s+)?([^\W\d_][\w'’ʼ\-]{{2,}})(?:\s+([^\W\d_][\w'’ʼ\-]+))?",
)
_CUE_BEFORE = re.compile(rf"(?<!\w)(?:{_CUE_WORDS})\s*(?:the\s*)?$", re.IGNORECASE)
_CUE_INSIDE = re.compile(rf"(?<!\w)(?:{_CUE_WORDS})\s+", re.IGNORECASE)
_PICK_BEFORE = re.compile(rf"(?<!\w)(?:{_CUE_WORDS})\s+(?:the\s+)?$", re.IGNORECASE)
# "Fedorivka, Zaporizhzhia", "Fedorivka (Poltava)", "Федорівка, Запорізька область"
_QUALIFIER = re.compile(r"^\s*[,(]\s*([^\W\d_][\w'’ʼ \-]{2,40}?)\s*\)?(?=$|[,.;:?!])")
# "Fedorivka in Zaporizhzhia Oblast", "Fedorivka in the Poltava region"
_QUALIFIER_IN = re.compile(
    r"^\s+(?:in|у|в)\s+(?:the\s+)?([^\W\d_][\w'’ʼ\-]{2,40}\s+"
    r"(?:oblast|region|province|область|області|области))\b",
    re.IGNORECASE,
)


def parse_place_query(
    question: str,
    gazetteer: Gazetteer,
    context: Sequence[ContextPoint],
    default_radius_km: float,
    in_radius_km: float,
    near: str | None = None,
    radius_km: float | None = None,
    evidence: Evidence | None = None,
    in_text: Callable[[Sequence[str]], bool] | None = None,
) -> PlaceQuery:
    """Find the place a question is about ("near Seversk", "Bakhmut within 20 km").

    ``near`` and ``radius_km`` (the CLI's ``--near``, ``--radius``) win over the question's
    own words. A GeoNames id works as ``near``. "in X" means X and its immediate
    surroundings (``in_radius_km``); otherwise the radius is ``default_radius_km``.

    Of the places a name may mean, the one ``evidence`` (the stored reports within the
    radius) favours is chosen, and the others are offered as alternatives. A name no
    gazetteer holds but ``in_text`` finds in the reports is searched as text.
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
        return _unplaced(text, source, near, gazetteer, in_text)
    mention = _without_cue(mention, source, gazetteer)
    left = _CUE_BEFORE.sub("", source[: mention.start])  # "shelling in" -> "shelling"
    topic = text if near is not None else (left + " " + source[mention.end :])
    if radius_km is None:
        inside = _IN_BEFORE.search(source[: mention.start]) if near is None else None
        radius_km = in_radius_km if inside else default_radius_km
    readings = readings_of(mention, gazetteer)
    preferred = mention.place
    after = source[mention.end :]
    qualifier = _QUALIFIER_IN.match(after) or _QUALIFIER.match(after)
    if qualifier and len(readings) > 1:
        fits = qualified(readings, qualifier.group(1), gazetteer)
        if fits:
            readings = fits
            preferred = None  # the user said which; where several fit, they pick
            topic = topic.replace(qualifier.group(0), " ", 1)
    choice = choose(readings, preferred, evidence, radius_km, gazetteer)
    if choice.place is None:
        return PlaceQuery(
            None,
            None,
            text,
            mention.surface,
            candidates=tuple(r.place for r in choice.candidates),
            readings=choice.candidates,
        )
    if choice.place.is_area:  # "news from Sudan", "the Kherson region": every place inside
        return PlaceQuery(
            choice.place,
            None,
            " ".join(topic.split()),
            mention.surface,
            alternatives=choice.alternatives,
            region=True,
        )
    return PlaceQuery(
        choice.place,
        radius_km,
        " ".join(topic.split()),
        mention.surface,
        alternatives=choice.alternatives,
    )


def _unplaced(
    text: str,
    source: str,
    near: str | None,
    gazetteer: Gazetteer,
    in_text: Callable[[Sequence[str]], bool] | None,
) -> PlaceQuery:
    """A question whose names are in no gazetteer: the first name the reports hold is read
    as text; else the first name is unknown (with the places spelt like it)."""
    names = [near.strip()] if near is not None else _cue_names(source)
    names = [n for n in names if n and not _is_common_phrase(n, gazetteer)]
    if not names:
        return PlaceQuery(None, None, text)
    for name in names:
        if in_text is not None and in_text(_WORDS.findall(name)):
            return PlaceQuery(None, None, text, name, textual=name)
    name = names[0]
    return PlaceQuery(
        None, None, text, name, unknown=name, suggestions=tuple(gazetteer.suggest(name))
    )


_WORDS = re.compile(r"[^\W_]+")


def _cue_names(text: str) -> list[str]:
    """The one or two name-like words after each cue word: capitalised, or of a script
    without capitals (Arabic)."""
    out = []
    for m in _CUE.finditer(text):
        words = [w for w in m.groups() if w]
        kept = []
        for w in words:
            if not _name_like(w):
                break
            kept.append(w)
        if kept:
            out.append(" ".join(kept))
    return out


def _name_like(word: str) -> bool:
    first = word[0]
    return first.isupper() or not first.islower()


def _without_cue(mention: Mention, source: str, gazetteer: Gazetteer) -> Mention:
    """The mention without the words up to a cue word inside it: in a script the gazetteer
    does not spell ("انفجارات في Bakhmut"), a run of words can match as one name."""
    inner = list(_CUE_INSIDE.finditer(source, mention.start, mention.end))
    if not inner or mention.place is None:
        return mention
    start = inner[-1].end()
    rest = source[start : mention.end]
    if not any(c.place == mention.place for c in gazetteer.lookup(rest, fuzzy=False)):
        return mention
    return dataclasses.replace(mention, surface=rest, start=start)


def _pick(mentions: Sequence[Mention], text: str) -> Mention | None:
    """The mention the question is about: the first one after a cue word, else the first."""
    for m in mentions:
        if _PICK_BEFORE.search(text[: m.start]):
            return m
    return mentions[0] if mentions else None


def _is_common_phrase(name: str, gazetteer: Gazetteer) -> bool:
    return all(fold(w) in gazetteer.common for w in name.split())
