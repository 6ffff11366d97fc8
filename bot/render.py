"""Render answers and reports for the terminal and as JSON; no Telegram here."""

from __future__ import annotations

import textwrap
from typing import Any

from index.knowledge import IndexStats
from index.models import Answer, Citation, IngestReport, StoredArticle


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
    for hit in answer.hits:
        lines.append(f"[{hit.rank}] {citation_line(hit.citation)}")
        lines.append(f"    score {hit.score:.2f} · relevance {hit.relevance:.2f}")
        body = " ".join(hit.citation.passage.text.split())
        lines.extend(textwrap.wrap(body, width, initial_indent="    ", subsequent_indent="    "))
        for dup in hit.duplicates:
            lines.append(f"    also reported: {citation_line(dup)}")
    if answer.note:
        lines.append(answer.note)
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
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    """The ``ask --json`` object for one question."""
    return {
        "question": answer.question,
        "place": None,
        "radius_km": None,
        "results": [
            {
                "rank": hit.rank,
                "score": hit.score,
                "relevance": hit.relevance,
                **_citation_json(hit.citation),
                "places": [],
                "duplicates": [_citation_json(d) for d in hit.duplicates],
            }
            for hit in answer.hits
        ],
        "note": answer.note,
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
