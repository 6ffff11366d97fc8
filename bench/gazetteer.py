"""The benchmarks' gazetteer: the default GeoNames places, compiled once into bench/.cache."""

from __future__ import annotations

from pathlib import Path

from index.places.cache import GazetteerFiles
from index.places.gazetteer import Gazetteer, load_gazetteer

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SCOPE = ("UA", "RU", "BY", "MD")


def gazetteer() -> Gazetteer:
    """The default gazetteer, compiled into the cache on first use, loaded afresh each call."""
    return load_gazetteer(
        GazetteerFiles(
            cache=CACHE / "gazetteer.bin",
            extra_dir=CACHE / "gazetteer-extra",
            overrides=ROOT / "config" / "places.toml",
            scope=SCOPE,
        )
    )
