"""The compose step of a question: the Answer, its cited hits, or the note that says why none."""

from __future__ import annotations

from index.models import Answer, Citation, Hit, NothingFound, Place, Reading
from index.places.query import PlaceQuery
from index.search.question import Question
from index.search.retrieve import Retrieval


def compose(question: Question, found: Retrieval, threshold: float) -> Answer:
    """The answer to ``question`` from what retrieval found; ``threshold`` is named in the
    note when nothing passed the relevance gate."""
    query = question.query
    reason = question.reason or found.reason
    if reason is not None:
        return Answer(
            question.asked,
            (),
            question.prefix + _note(reason, question, found, threshold),
            question.since,
            place=query.place if reason in _ABOUT_THE_PLACE else None,
            radius_km=query.radius_km if reason in _ABOUT_THE_PLACE else None,
            candidates=query.candidates if reason is NothingFound.AMBIGUOUS_PLACE else (),
            suggestions=query.suggestions if reason is NothingFound.UNKNOWN_PLACE else (),
            reason=reason,
            alternatives=query.alternatives if reason in _ABOUT_THE_PLACE else (),
            named=query.surface,
        )

    def cite(pid: int) -> Citation:
        p, a = found.found[pid]
        return Citation(article=a, passage=p, places=found.mentions.get(pid, ()))

    hits = []
    for n, (head, dups) in enumerate(found.groups, start=1):
        matched = None
        if found.geo is not None:
            gid = found.geo[head][1]
            matched = next(
                (m for m in found.mentions.get(head, ()) if m.place.geonameid == gid), None
            )
        scored = found.scored[head]
        hits.append(
            Hit(
                rank=n,
                score=round(scored.score, 4),
                relevance=round(scored.relevance, 4),
                citation=cite(head),
                duplicates=tuple(cite(d) for d in dups),
                matched=matched,
            )
        )
    note = question.prefix + (_textual(query.textual) if query.textual else "")
    return Answer(
        question.asked,
        tuple(hits),
        note.strip() or None,
        question.since,
        query.place,
        query.radius_km,
        alternatives=query.alternatives,
        named=query.surface,
    )


def _textual(name: str) -> str:
    return f'"{name}" is not a place I know: the answer comes from the reports that name it.'


# The reasons whose answer still names the place asked about (and its radius).
_ABOUT_THE_PLACE = frozenset({NothingFound.NOTHING_NEAR, NothingFound.NOTHING_RELEVANT})


def _note(reason: NothingFound, question: Question, found: Retrieval, threshold: float) -> str:
    """What the user reads when there is nothing to show, and why."""
    query, since = question.query, question.since
    place, radius = query.place, query.radius_km
    window = f" since {since:%Y-%m-%d}" if since else ""
    match reason:
        case NothingFound.NO_WORDS:
            return "Ask about something: the question has no words."
        case NothingFound.EMPTY_INDEX:
            return "The index is empty: add articles first with `sitrep ingest`."
        case NothingFound.UNKNOWN_PLACE:
            hint = "; ".join(p.label for p in query.suggestions[:3])
            did_you_mean = f" Did you mean {hint}?" if hint else ""
            return f'I don\'t know the place "{query.unknown}".{did_you_mean}'
        case NothingFound.AMBIGUOUS_PLACE:
            return _several(query)
        case NothingFound.NOTHING_NEAR:
            assert place is not None
            if query.region:
                return f"Nothing in {_area(place)}{window} yet."
            assert radius is not None
            return f"Nothing near {place.label} within {radius:g} km{window} yet."
        case NothingFound.NOTHING_SINCE:
            assert since is not None
            return f"Nothing was published since {since:%Y-%m-%d %H:%M} UTC."
        case NothingFound.NOTHING_RELEVANT if query.textual:
            return (
                _textual(query.textual)
                + f" None of them scored over the relevance threshold {threshold:.2f}."
            )
        case NothingFound.NOTHING_RELEVANT:
            where = ""
            if place is not None:
                where = (
                    f" in {_area(place)}"
                    if query.region
                    else f" near {place.label} within {radius:g} km"
                )
            return (
                f'Nothing relevant found for "{question.topic or question.text}"{where}: the '
                f"best passage scored {found.best:.2f}, under the relevance threshold "
                f"{threshold:.2f}."
            )


def _area(place: Place) -> str:
    """How a note names the area a question covers: "the Belgorod Oblast region (RU)",
    "Sudan", "Europe"."""
    if place.kind in ("country", "continent"):
        return place.name
    return f"the {place.admin1} region ({place.country})"


def _several(query: PlaceQuery) -> str:
    """The note of an ambiguous name: each place with its region, a town near it and its
    reports, and the words that pick one (a town once the region is no help)."""
    readings = query.readings or tuple(Reading(p) for p in query.candidates)
    options = "; ".join(
        f"{r.described} ({_reports(r.reports)}, GeoNames {r.place.geonameid})" for r in readings
    )
    first = readings[0]
    regions = {r.place.admin1 for r in readings}
    town = first.landmark.split(" km from ", 1)[1] if first.landmark else None
    if len(regions) == len(readings) or town is None:
        how = f'name the region ("{query.surface}, {first.place.admin1}")'
    else:
        how = f'add a town nearby ("{query.surface}, {town}")'
    return (
        f'"{query.surface}" may be several places: {options}. '
        f"Say which: {how} or give the GeoNames id."
    )


def _reports(n: int) -> str:
    return "no reports" if n == 0 else "1 report" if n == 1 else f"{n} reports"
