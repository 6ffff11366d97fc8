"""Render as JSON objects: ``ask --json`` and ``places --json``."""

from __future__ import annotations

from typing import Any

from index.models import Answer, Citation, Place, PlaceMention, Reading, StoredArticle
from index.places.geoparse import Mention


def place_json(p: Place) -> dict[str, Any]:
    """A place as ``ask --json`` and ``places --json`` print it."""
    return {
        "name": p.name,
        "geonameid": p.geonameid,
        "lat": p.lat,
        "lon": p.lon,
        "country": p.country,
        "admin1": p.admin1 if p.kind in ("town", "region") else "",
        "kind": p.kind,  # town | region | country | continent
    }


def reading_json(r: Reading) -> dict[str, Any]:
    """Another place a question's place name may mean, and how much the corpus reports
    within the answer's radius of it."""
    return {
        **place_json(r.place),
        "label": r.place.label,
        "reports": r.reports,
        "landmark": r.landmark,
    }


def _mention_json(m: PlaceMention) -> dict[str, Any]:
    return {
        **place_json(m.place),
        "surface": m.surface,
        "start": m.start,
        "end": m.end,
        "match": m.match,
        "confidence": m.confidence,
        "distance_km": m.distance_km,
    }


def mentions_json(mentions: list[Mention]) -> dict[str, Any]:
    """The ``places --json`` object."""
    return {
        "mentions": [
            {
                "surface": m.surface,
                "start": m.start,
                "end": m.end,
                "place": place_json(m.place) if m.place else None,
                "match": m.match,
                "confidence": m.confidence,
            }
            for m in mentions
        ]
    }


def _article_json(a: StoredArticle) -> dict[str, Any]:
    return {
        "id": a.id,
        "url": a.url,
        "title": a.title,
        "published": a.published.isoformat().replace("+00:00", "Z") if a.published else None,
        "source": a.source,
    }


def _citation_json(c: Citation) -> dict[str, Any]:
    p = c.passage
    return {
        "article": _article_json(c.article),
        "passage": {"id": p.id, "text": p.text, "start": p.start, "end": p.end},
        "places": [_mention_json(m) for m in c.places],
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    """The ``ask --json`` object for one question."""
    return {
        "question": answer.question,
        "place": place_json(answer.place) if answer.place else None,
        "radius_km": answer.radius_km,
        "results": [
            {
                "rank": hit.rank,
                "score": hit.score,
                "relevance": hit.relevance,
                **_citation_json(hit.citation),
                "matched": _mention_json(hit.matched) if hit.matched else None,
                "duplicates": [_citation_json(d) for d in hit.duplicates],
            }
            for hit in answer.hits
        ],
        "note": answer.note,
        "candidates": [place_json(p) for p in answer.candidates],
        "suggestions": [place_json(p) for p in answer.suggestions],
        "alternatives": [reading_json(r) for r in answer.alternatives],
    }
