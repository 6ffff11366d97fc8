"""Warm in-process latency of ``ask`` at 10k and 100k passages, and peak memory.

    python bench/ask.py                 # sizes 10000 and 100000, 200 questions each
    python bench/ask.py --sizes 10000 --questions 50

Synthetic passages (bench/corpus.py) are embedded once with the real model and cached in
bench/.cache/ (the first run at 100k takes a while on a CPU); each size then runs in a fresh
process: the store is filled, the FAISS index rebuilt from SQLite, and every question timed
end to end (question encoding included). The bare question encode is timed in the same
process as the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import articles, questions  # noqa: E402
from index.clock import SystemClock  # noqa: E402
from index.embeddings import SentenceTransformerEmbedder  # noqa: E402
from index.ingest.formats import article_from_record  # noqa: E402
from index.ingest.passages import split_passages  # noqa: E402
from index.models import Article  # noqa: E402
from index.search.knowledge import KnowledgeBase  # noqa: E402
from index.search.retrieve import SearchConfig  # noqa: E402
from index.store import Store  # noqa: E402
from index.store.writes import NewArticle, content_hash  # noqa: E402
from index.vectors import factory as vector_backends  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SEED = 7


def corpus(size: int) -> list[Article]:
    """``size`` one-passage articles (each synthetic paragraph is one passage)."""
    out = [article_from_record(r) for r in articles(size, seed=SEED)]
    assert all(len(split_passages(a.text)) == 1 for a in out[:1000])
    return out


def cached_vectors(size: int, embedder: SentenceTransformerEmbedder) -> np.ndarray:
    """Vectors of the first ``size`` synthetic passages, embedding (and caching) what is missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"vectors-seed{SEED}.npy"
    have = np.load(path) if path.exists() else np.zeros((0, embedder.dim), dtype=np.float32)
    if len(have) >= size:
        return have[:size]
    texts = [a.text for a in corpus(size)]
    started = time.perf_counter()
    first = len(have)
    for lo in range(first, size, 2000):
        chunk = embedder.encode(texts[lo : lo + 2000])
        have = np.concatenate([have, chunk])
        np.save(path, have)
        rate = (len(have) - first) / (time.perf_counter() - started)
        print(f"  embedded {len(have)}/{size} ({rate:.0f}/s)", file=sys.stderr, flush=True)
    return have[:size]


def run_one(size: int, n_questions: int) -> dict[str, float]:
    """Fill a fresh store with ``size`` passages and time ``n_questions`` asks."""
    embedder = SentenceTransformerEmbedder()
    vectors = cached_vectors(size, embedder)
    docs = corpus(size)
    rss_model = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "sitrep.sqlite3")
        now = datetime.now(UTC)
        for lo in range(0, size, 5000):
            batch = [
                NewArticle(a, content_hash(a.text), split_passages(a.text), vectors[i : i + 1])
                for i, a in enumerate(docs[lo : lo + 5000], start=lo)
            ]
            store.add(batch, now)
        store.set_meta("model", embedder.name)
        store.set_meta("dim", str(embedder.dim))
        del docs, batch
        kb = KnowledgeBase(
            store,
            lambda: embedder,
            Path(tmp) / "vectors.faiss",
            vector_backends.backend("faiss"),
            SearchConfig(),
            clock=SystemClock(),
        )
        t = time.perf_counter()
        _ = kb.vectors.index  # rebuilt from the vectors stored in SQLite
        rebuild_s = time.perf_counter() - t
        qs = questions(n_questions + 20)
        for q in qs[:20]:
            kb.ask(q)
        latencies, encodes, answered = [], [], 0
        for q in qs[20:]:
            t = time.perf_counter()
            answer = kb.ask(q)
            latencies.append(time.perf_counter() - t)
            answered += bool(answer.hits)
            t = time.perf_counter()
            embedder.encode([q])
            encodes.append(time.perf_counter() - t)
        store.close()
    ms = np.array(latencies) * 1000
    enc = np.array(encodes) * 1000
    return {
        "passages": size,
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "encode_p50_ms": float(np.percentile(enc, 50)),
        "encode_p95_ms": float(np.percentile(enc, 95)),
        "answered": answered / len(latencies),
        "index_rebuild_s": rebuild_s,
        "rss_model_mb": rss_model / 1024,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help="only embed and cache passages")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.prepare:
        cached_vectors(max(args.sizes), SentenceTransformerEmbedder())
        return
    if args.one:
        print(json.dumps(run_one(args.one, args.questions)))
        return
    cached_vectors(max(args.sizes), SentenceTransformerEmbedder())
    rows = []
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--questions", str(args.questions)],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        f"ask latency, warm, in process, {args.questions} questions per size "
        f"(question encode included); torch threads: {os.cpu_count()} cores"
    )
    print(
        f"{'passages':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'encode p50':>11} "
        f"{'ask/encode':>10} {'answered':>9} {'rebuild s':>9} {'peak RSS MB':>11}"
    )
    for r in rows:
        print(
            f"{r['passages']:>9} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{r['encode_p50_ms']:>11.1f} {r['p50_ms'] / r['encode_p50_ms']:>10.2f} "
            f"{r['answered']:>9.0%} {r['index_rebuild_s']:>9.2f} {r['peak_rss_mb']:>11.0f}"
        )
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        per = (b["peak_rss_mb"] - a["peak_rss_mb"]) / (b["passages"] - a["passages"]) * 100_000
        print(
            f"peak RSS per 100k passages (difference {a['passages']} -> {b['passages']}): "
            f"{per:.0f} MB; model-loaded baseline {a['rss_model_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
