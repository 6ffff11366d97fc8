"""Render answers and reports for the terminal and as JSON; no Telegram here."""

from __future__ import annotations

import textwrap
from typing import Any

from index.geoparse import Mention
from index.knowledge import IndexStats
from index.models import Answer, Citation, IngestReport, Place, PlaceMention, StoredArticle


def _date(article: StoredArticle) -> str:
    return article.published.strftime("%Y-%m-%d") if article.published else "undated"


def citation_line(c: Citation) -> str:
    """title — source — date — url."""
    a = c.article
    parts = [a.title or "(untitled)", a.source or "unknown source", _date(a), a.url or "no URL"]
    return " — ".join(parts)


def answer_text(answer: Answer, width: int = 100) -> str:
    """An answer as plain text: numbered passages, each with its citation and score."""
    lines = [f"Q: {answer.question}"]
    if answer.place is not None:
        lines.append(f"   place: {answer.place.label}, within {answer.radius_km:g} km")
    for hit in answer.hits:
        lines.append(f"[{hit.rank}] {citation_line(hit.citation)}")
        where = ""
        if hit.matched is not None and answer.place is not None:
            where = f" · {matched_text(hit.matched, answer.place)}"
        lines.append(f"    score {hit.score:.2f} · relevance {hit.relevance:.2f}{where}")
        body = " ".join(hit.citation.passage.text.split())
        lines.extend(textwrap.wrap(body, width, initial_indent="    ", subsequent_indent="    "))
        for dup in hit.duplicates:
            lines.append(f"    also reported: {citation_line(dup)}")
    if answer.note:
        lines.append(answer.note)
    return "\n".join(lines)


def matched_text(m: PlaceMention, origin: Place) -> str:
    """Why a passage matched: "Soledar, 12 km from Bakhmut" or "names Bakhmut"."""
    said = f' ("{m.surface}")' if m.surface != m.place.name else ""
    if m.place.geonameid == origin.geonameid:
        return f"names {m.place.name}{said}"
    return f"{m.place.name}{said}, {m.distance_km or 0:g} km from {origin.name}"


def place_json(p: Place) -> dict[str, Any]:
    """A place as ``ask --json`` and ``places --json`` print it."""
    return {
        "name": p.name,
        "geonameid": p.geonameid,
        "lat": p.lat,
        "lon": p.lon,
        "country": p.country,
        "admin1": p.admin1,
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


def mentions_text(mentions: list[Mention]) -> str:
    """``sitrep places`` as a table."""
    if not mentions:
        return "no place names found"
    lines = []
    for m in mentions:
        where = (
            f"{m.place.label} [{m.place.geonameid}] {m.place.lat:.4f},{m.place.lon:.4f}"
            if m.place
            else "unresolved: " + "; ".join(p.label for p in m.alternatives[:3])
        )
        lines.append(
            f"{m.start:>6}-{m.end:<6} {m.surface:<24} {where}  "
            f"({m.match}, confidence {m.confidence:.2f})"
        )
    return "\n".join(lines)


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
    }


def report_text(report: IngestReport) -> str:
    """The summary printed after ``sitrep ingest``."""
    lines = [
        f"articles added: {report.added}, already known: {report.known}, "
        f"failed: {len(report.failures)}; passages added: {report.passages}"
    ]
    for f in report.failures:
        lines.append(f"  failed: {f.where}: {f.reason}")
    for s in report.skipped:
        lines.append(f"  skipped: {s}")
    return "\n".join(lines)


def stats_text(stats: IndexStats, index_path: str) -> str:
    """The table printed by ``sitrep stats``."""
    last = stats.last_ingest.strftime("%Y-%m-%d %H:%M UTC") if stats.last_ingest else "never"
    rows = [
        ("articles", str(stats.articles)),
        ("passages", str(stats.passages)),
        ("sources", str(stats.sources)),
        ("index size", f"{stats.indexed} vectors ({index_path})"),
        ("last ingest", last),
        ("model", stats.model or "none yet"),
    ]
    return "\n".join(f"{k:<12} {v}" for k, v in rows)
