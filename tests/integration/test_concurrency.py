"""Ingest, questions and digests at once, on one application: no exception, and every answer
cites passages that exist with the text it shows (bench/stress.py is the long form)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.stress import run
from bot.app import App, build_app
from bot.settings import Settings
from conftest import SAMPLE
from index.clock import ManualClock
from index.embeddings import HashEmbedder
from index.places.gazetteer import Gazetteer


@pytest.mark.parametrize("kind", ["numpy", "faiss"])
def test_ingest_ask_and_digests_together(
    kind: str, settings: Settings, gazetteer: Gazetteer, clock: ManualClock, tmp_path: Path
) -> None:
    app: App = build_app(
        settings.replace(vector_index=kind, ask_threshold=0.2),
        embedder=HashEmbedder,
        gazetteer=lambda: gazetteer,
        clock=clock,
    )
    try:
        app.ingest([str(SAMPLE)])
        before = app.knowledge.store.stats().articles
        report = run(app, tmp_path, rounds=6, ingesters=2, askers=3, per_round=4)
        assert report.errors == []
        assert report.bad_citations == []
        assert report.questions > 0 and report.digest_rounds > 0
        assert report.articles == 2 * 6 * 4
        assert app.knowledge.store.stats().articles == before + report.articles
        # Every stored passage is findable: the vector index holds exactly SQLite's passages.
        assert app.knowledge.stats().indexed == app.knowledge.store.passage_count()
    finally:
        app.close()
