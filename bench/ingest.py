"""End-to-end ingestion throughput next to the bare ``model.encode`` of the same passages.

    python bench/ingest.py [--articles 2300]

Generates a synthetic JSONL corpus (bench/corpus.py, several paragraphs per article, more
than 5,000 passages), then in one process, with the model loaded once:
  1. bare encode: ``SentenceTransformer.encode`` of every passage text, one call;
  2. end to end: ``sitrep ingest`` of the JSONL file through the application (read, parse,
     split, de-duplicate, embed in batches, write SQLite + FTS5, add to FAISS, save).
Both are run twice, alternating, and the better of each is reported with the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import articles  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from index.embeddings import SentenceTransformerEmbedder  # noqa: E402
from index.ingest.passages import split_passages  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    records = articles(args.articles, seed=3, paragraphs=5, words=40)
    texts = [r["text"][s.start : s.end] for r in records for s in split_passages(str(r["text"]))]
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"corpus: {len(records)} articles, {len(texts)} passages, {words:.0f} words/passage")
    model = SentenceTransformerEmbedder()
    model.encode(texts[:64])  # warm-up
    bare, e2e = [], []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        corpus.write_text("".join(json.dumps(r) + "\n" for r in records))
        for n in range(args.rounds):
            t = time.perf_counter()
            model.encode(texts)
            bare.append(len(texts) / (time.perf_counter() - t))
            settings = Settings.load(data_dir=Path(tmp) / f"data{n}")
            app = build_app(settings, embedder=lambda: model)
            t = time.perf_counter()
            report = app.ingest([str(corpus)])
            e2e.append(report.passages / (time.perf_counter() - t))
            app.close()
            assert report.passages == len(texts) and not report.failures
            print(
                f"  round {n + 1}: bare encode {bare[-1]:.1f} passages/s, "
                f"end to end {e2e[-1]:.1f} passages/s"
            )
    print(f"bare encode: {max(bare):.1f} passages/s")
    print(f"end-to-end ingest: {max(e2e):.1f} passages/s")
    print(f"ratio end-to-end / bare encode: {max(e2e) / max(bare):.3f}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
