"""Question resolution: does a question name the place its knowledge base reports on?

Cases are in bench/places_questions.jsonl, one a line:

    {"id": "q001", "split": "tune" | "held", "reports": ["short report", ...],
     "question": "What happened in Seversk?", "expect": {"geonameid": 694403}}

For each case a fresh knowledge base is built over the case's reports alone: a Store on a
temporary SQLite file, the reports split into passages and geoparsed by the real
:class:`~index.places.resolve.PlaceIndex` (with the corpus context of the reports before
them, as ingest does), stored with dummy one-dimensional vectors (no embedding model is
needed: place resolution never reads them). Then ``PlaceIndex.parse(question)`` is asked.

A case passes when
  {"geonameid": N}                       the query's place is N (a town-kind place)
  {"several": true, "reports_for": N}    the name fits several places the reports name, so
                                         the query has no place but two or more candidates,
                                         and the first candidate is N, the place the reports
                                         name most (the one the user most likely means)
Accuracy is printed for the tune and held halves separately (target >= 0.95). The held
half must not be used by unit tests or for tuning, as for bench/places_world.jsonl.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.ingest.passages import split_passages
from index.models import Article
from index.places.gazetteer import Gazetteer
from index.places.query import PlaceQuery
from index.places.resolve import PlaceIndex
from index.store import Store
from index.store.writes import NewArticle, content_hash

QUESTIONS = Path(__file__).resolve().parent / "places_questions.jsonl"
TARGET = 0.95
SPLITS = ("tune", "held")
# Stored as the reports' ingestion time; nothing here depends on it.
_NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One case's result and why."""

    case: str
    split: str
    passed: bool
    detail: str


def cases(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    """The question cases (JSON lines)."""
    return [json.loads(x) for x in path.read_text(encoding="utf-8").split("\n") if x.strip()]


def ask(gaz: Gazetteer, reports: list[str], question: str) -> PlaceQuery:
    """Parse ``question`` against a knowledge base holding only ``reports``."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "sitrep.sqlite3")
        try:
            places = PlaceIndex(store, lambda: gaz)
            for text in reports:
                spans = split_passages(text)
                mentions = places.mentions(text, places.hot_context())
                vectors = np.zeros((len(spans), 1), dtype=np.float32)
                store.add(
                    [NewArticle(Article(text), content_hash(text), spans, vectors, mentions)], _NOW
                )
            return places.parse(question, None, None)
        finally:
            store.close()


def judge(case: dict[str, Any], query: PlaceQuery) -> Outcome:
    """Whether the parsed question resolves as the case expects (see the module docstring)."""
    expect = case["expect"]
    got = query.place
    shown = (
        f"{got.geonameid} {got.label} [{getattr(got, 'kind', 'town')}]"
        if got is not None
        else "no place"
    )
    if query.candidates:
        shown += "; candidates " + ", ".join(
            f"{p.geonameid} {p.label}" for p in query.candidates[:4]
        )
    if query.unknown:
        shown += f"; unknown {query.unknown!r}"
    if expect.get("several"):
        want = int(expect["reports_for"])
        passed = (
            got is None and len(query.candidates) >= 2 and query.candidates[0].geonameid == want
        )
        detail = f"expected a choice led by {want}, got {shown}"
    else:
        want = int(expect["geonameid"])
        passed = (
            got is not None and got.geonameid == want and getattr(got, "kind", "town") == "town"
        )
        detail = f"expected {want}, got {shown}"
    return Outcome(str(case["id"]), str(case["split"]), passed, detail)


def run(gaz: Gazetteer, splits: tuple[str, ...] = SPLITS, errors: bool = False) -> list[Outcome]:
    """Score every case of ``splits``; print accuracy per split and, if asked, the failures."""
    outcomes = [
        judge(c, ask(gaz, list(c["reports"]), str(c["question"])))
        for c in cases()
        if c["split"] in splits
    ]
    for split in splits:
        mine = [o for o in outcomes if o.split == split]
        if not mine:
            continue
        right = sum(o.passed for o in mine)
        acc = right / len(mine)
        mark = "<" if acc < TARGET else " "
        print(
            f"questions, {split}: {right}/{len(mine)} resolved as expected, "
            f"accuracy {acc:.3f}{mark} (target >= {TARGET})"
        )
    if errors:
        by_id = {str(c["id"]): c for c in cases()}
        for o in outcomes:
            if not o.passed:
                print(f"  {o.case} {o.split} {by_id[o.case]['question']!r}: {o.detail}")
    return outcomes
