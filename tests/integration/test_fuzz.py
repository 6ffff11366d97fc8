"""Generated hostile inputs through ingest, questions and places, on a small budget.

The checks and the input strategies are bench/fuzz.py's, which runs them longer and counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.fuzz import TARGETS, Workspace, fuzz, page_server
from bot.app import build_app
from bot.settings import Settings
from index.clock import ManualClock
from index.embeddings import HashEmbedder
from index.places.gazetteer import Gazetteer
from tests.conftest import START

EXAMPLES = 25  # per target: the whole file runs in well under a minute


@pytest.fixture(scope="module")
def workspace(
    tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer, gazetteer_cache: Path
) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("fuzz")
    settings = Settings.load(env={}, data_dir=root / "data", places_cache=gazetteer_cache)
    app = build_app(
        settings.replace(vector_index="numpy", ask_threshold=0.2),
        embedder=HashEmbedder,
        transport=page_server(),
        gazetteer=lambda: gazetteer,
        clock=ManualClock(START),
    )
    (root / "inputs").mkdir()
    yield Workspace(app, root / "inputs")
    app.close()


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_hostile_inputs_are_answered_or_reported_and_lose_nothing(
    workspace: Workspace, target: str
) -> None:
    report = fuzz(workspace, target, EXAMPLES)
    assert report.tried >= min(EXAMPLES, 10)
    assert not report.failures, "\n".join(
        f"{why}\n  input: {example!r:.400}" for example, why in report.failures[:5]
    )
