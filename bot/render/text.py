"""Render for the terminal: answers, place tables, ingest reports, stats and digests."""

from __future__ import annotations

import textwrap

from bot.domain.digests import Digest
from bot.domain.feeds import PollOutcome, PollStatus
from index.models import Answer, Citation, IngestReport, Place, PlaceMention, StoredArticle
from index.places.geoparse import Mention
from index.search.knowledge import IndexStats


def article_date(article: StoredArticle) -> str:
    """The publication day, or "undated"."""
    return article.published.strftime("%Y-%m-%d") if article.published else "undated"


def citation_line(c: Citation) -> str:
    """title — source — date — url."""
    a = c.article
    parts = [
        a.title or "(untitled)",
        a.source or "unknown source",
        article_date(a),
        a.url or "no URL",
    ]
    return " — ".join(parts)


def answer_text(answer: Answer, width: int = 100) -> str:
    """An answer as plain text: numbered passages, each with its citation and score."""
    lines = [f"Q: {answer.question}"]
    if answer.place is not None:
        lines.append(f"   place: {answer.place.label}, within {answer.radius_km:g} km")
    if answer.alternatives:
        lines.append(f"   {alternatives_text(answer)}")
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


def alternatives_text(answer: Answer) -> str:
    """ "Other places named Seversk: Seversk (Tomsk Oblast, RU) — 1 report; …": the other
    readings of the name the answer chose among, each with its reports in the radius."""
    named = answer.named or (answer.place.name if answer.place else "so")
    labels = [r.place.label for r in answer.alternatives]
    others = "; ".join(
        f"{r.described if labels.count(r.place.label) > 1 else r.place.label} — "
        f"{r.reports} report{'' if r.reports == 1 else 's'}"
        for r in answer.alternatives
    )
    return f"Other places named {named}: {others}"


def matched_text(m: PlaceMention, origin: Place) -> str:
    """Why a passage matched: "Soledar, 12 km from Bakhmut" or "names Bakhmut"."""
    said = f' ("{m.surface}")' if m.surface != m.place.name else ""
    if m.place.geonameid == origin.geonameid:
        return f"names {m.place.name}{said}"
    return f"{m.place.name}{said}, {m.distance_km or 0:g} km from {origin.name}"


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


def report_text(report: IngestReport) -> str:
    """The summary printed after ``sitrep ingest``."""
    partial = (
        f" ({len(report.summary_only)} summary only: the page failed, the feed's summary is "
        "stored and the page will be fetched again)"
        if report.summary_only
        else ""
    )
    lines = [
        f"articles added: {report.added}{partial}, already known: {report.known}, "
        f"failed: {len(report.failures)}; passages added: {report.passages}"
    ]
    for f in report.summary_only:
        lines.append(f"  summary only: {f.where}: {f.reason}")
    for f in report.failures:
        lines.append(f"  failed: {f.where}: {f.reason}")
    for s in report.skipped:
        lines.append(f"  skipped: {s}")
    return "\n".join(lines)


def poll_text(outcome: PollOutcome) -> str:
    """One feed's poll, as the bot logs it: "https://…/rss: new (3 new, 1 summary only: …)"."""
    said = f"{outcome.url}: {outcome.status}"
    if outcome.status == PollStatus.NEW:
        said += f" ({outcome.added} new"
        if outcome.summary_only:
            reasons = "; ".join(f"{f.where}: {f.reason}" for f in outcome.summary_only[:5])
            said += f", {len(outcome.summary_only)} summary only: {reasons}"
        said += ")"
    elif outcome.error:
        said += f": {outcome.error}"
    return said


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


# -- digests ---------------------------------------------------------------------------------

_SNIPPET = 110  # characters of context either side of the place name in a digest item


def snippet_parts(c: Citation, m: PlaceMention) -> tuple[str, str, str]:
    """The words before the place name, the name as written, and the words after it: about
    ``_SNIPPET`` characters either side, cut at word boundaries."""
    p = c.passage
    start, end = m.start - p.start, m.end - p.start
    if not 0 <= start < end <= len(p.text):
        return " ".join(p.text.split())[: 2 * _SNIPPET] + " …", "", ""
    left = p.text[max(0, start - _SNIPPET) : start]
    right = p.text[end : end + _SNIPPET]
    if start > _SNIPPET:
        left = "… " + left.split(" ", 1)[-1]
    if end + _SNIPPET < len(p.text):
        right = right.rsplit(" ", 1)[0] + " …"
    return left, p.text[start:end], right


def why_text(m: PlaceMention, km: float, watch_name: str) -> str:
    """ "Soledar, 12 km from Bakhmut", or "Bakhmut" when the watched place itself is named."""
    if km < 1.0 and m.place.name == watch_name:
        return m.place.name
    return f"{m.place.name}, {km:g} km from {watch_name}"


ALSO_SHOWN = 5  # copies of a story cited by name; the rest are counted


def also_shown(copies: tuple[Citation, ...]) -> tuple[tuple[Citation, ...], int]:
    """The copies of a story named in "also reported", and how many more are only counted:
    bounded so that a story carried by fifty outlets still fits in a message."""
    return copies[:ALSO_SHOWN], max(0, len(copies) - ALSO_SHOWN)


def digest_text(digest: Digest) -> str:
    """A digest for the terminal (``sitrep digest --dry-run``): the blocks a chat is sent, as
    plain text, one blank line between them."""
    if not digest.items:
        return ""
    count = len(digest.items)
    blocks = [f"🗞 {count} new report{'s' if count != 1 else ''} near your watched places"]
    for group in digest.groups:
        blocks.append(group.watch.title)
        for item in group.items:
            snippet = " ".join("".join(snippet_parts(item.citation, item.mention)).split())
            why = why_text(item.mention, item.distance_km, group.watch.name)
            a = item.citation.article
            lines = [
                f"📍 {why}: {snippet}",
                f"{a.title or '(untitled)'} — {a.source or 'unknown source'} — {article_date(a)}",
            ]
            if item.duplicates:
                named, more = also_shown(item.duplicates)
                copies = ", ".join(
                    f"{d.article.title or '(untitled)'} ({d.article.source or 'unknown source'})"
                    for d in named
                )
                lines.append(f"also reported: {copies}" + (f" and {more} more" if more else ""))
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
