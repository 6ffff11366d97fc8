"""Sitrep's geoparser on the public geoparsing benchmarks, beside the systems they report on.

    .venv/bin/python bench/geobench.py                  # GeoWebNews, then LGL
    .venv/bin/python bench/geobench.py --corpus gwn --limit 50

Reads ``../shared/geobench/`` (GeoWebNews: 200 world news articles; LGL: 588 US local news
articles; both annotated with GeoNames places) and scores with that folder's own scoring code
(``eval_geoparse.py``, the papers' definitions), so the figures are comparable with the
published ones. Nothing of the benchmark is copied into the project.

Sitrep runs in this process, as ``sitrep places --json`` would answer each article (default
settings, an empty corpus), which takes seconds instead of a process start per article. On
GeoWebNews the stored outputs of the Edinburgh Geoparser, Yahoo! Placemaker and EMM are scored
in the same run, as the baseline; LGL's published figures are in the benchmark's README.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "geobench"
CACHE = Path(__file__).resolve().parent / ".cache"  # the compiled gazetteer, kept between runs
CORPORA = {"gwn": "gwn_gold.jsonl", "lgl": "lgl_gold.jsonl"}
REFERENCES = ("pred_edin.jsonl", "pred_yahoo.jsonl", "pred_emm.jsonl")


def predict(gold: Path, out: Path, limit: int | None) -> tuple[int, float]:
    """Write Sitrep's mentions for every article of ``gold`` to ``out`` (one
    ``{"id", "mentions"}`` per line); returns (articles, seconds spent geoparsing)."""
    from bot.app import build_app
    from bot.render.data import mentions_json
    from bot.settings import Settings
    from index.embeddings import HashEmbedder
    from index.places.geoparse import find_places

    lines = gold.read_text(encoding="utf-8").split("\n")  # not splitlines(): texts hold U+2028
    articles = [json.loads(line) for line in lines if line.strip()]
    articles = articles[:limit] if limit else articles
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(
            env={}, data_dir=Path(tmp) / "data", places_cache=CACHE / "gazetteer.bin"
        )
        app = build_app(settings, embedder=HashEmbedder)
        try:
            places = app.places
            gazetteer, context = places.gazetteer, places.hot_context()
            spent = 0.0
            with out.open("w", encoding="utf-8") as handle:
                for article in articles:
                    started = time.perf_counter()
                    found = find_places(
                        article["text"], gazetteer, context, settings.places_min_confidence
                    )
                    spent += time.perf_counter() - started
                    row = {"id": article["id"], **mentions_json(found)}
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        finally:
            app.close()
    return len(articles), spent


def score(gold: Path, pred: Path, limit: int | None) -> str:
    """The benchmark's own scoring of ``pred`` against ``gold``, as it prints it."""
    command = [sys.executable, str(BENCH / "eval_geoparse.py"), "--gold", str(gold)]
    command += ["--pred", str(pred)]
    if limit:
        command += ["--limit", str(limit)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"eval_geoparse.py failed:\n{done.stderr}")
    return done.stdout


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), action="append")
    parser.add_argument("--limit", type=int, help="only the first N articles")
    parser.add_argument("--save", type=Path, help="keep Sitrep's predictions in this folder")
    args = parser.parse_args()
    if not BENCH.is_dir():
        print(f"no benchmark at {BENCH}", file=sys.stderr)
        return 2
    for corpus in args.corpus or ["gwn", "lgl"]:
        gold = BENCH / CORPORA[corpus]
        with tempfile.TemporaryDirectory() as tmp:
            pred = (args.save or Path(tmp)) / f"sitrep-{corpus}.jsonl"
            pred.parent.mkdir(parents=True, exist_ok=True)
            count, seconds = predict(gold, pred, args.limit)
            print(
                f"=== {corpus}: Sitrep, default settings, empty corpus "
                f"({count} articles geoparsed in {seconds:.1f} s)"
            )
            print(score(gold, pred, args.limit))
        if corpus == "gwn":
            for name in REFERENCES:
                print(f"=== {corpus}: {name} (stored output, the baseline)")
                print(score(gold, BENCH / "reference_outputs" / name, args.limit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
