"""Calibrate the relevance threshold of ``ask`` on labelled questions over the sample corpus.

    python bench/calibrate.py [--lexical-weight 0.3]

Each line of bench/calibration.jsonl is a question and the URL fragments of the sample
articles that answer it (none for a topic the corpus does not cover). A returned passage
counts as relevant when its article (or a duplicate folded into it) is one of those.
For each threshold the script prints the precision of returned passages, the share of
answerable questions whose first result is relevant, and the share of unanswerable
questions that wrongly get any result; it also prints the gap between the highest relevance
reached for an unanswerable question and the lowest best-relevant passage of an answerable
one. The shipped threshold is the midpoint of that gap, rounded down: it separates the two
groups with the widest margin either side.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.demo import SAMPLE_CORPUS  # noqa: E402
from bot.settings import Settings  # noqa: E402

LABELS = ROOT / "bench" / "calibration.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lexical-weight", type=float, default=None)
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    labels = [json.loads(x) for x in LABELS.read_text().splitlines() if x.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(
            data_dir=Path(tmp),
            ask_threshold=-1.0,
            ask_top_k=args.k,
            ask_max_k=args.k,
            ask_lexical_weight=args.lexical_weight,
        )
        app = build_app(settings)
        app.ingest([str(SAMPLE_CORPUS)])
        # (relevance, is relevant) of every passage returned with no threshold, per question
        runs = []
        for item in labels:
            answer = app.knowledge.ask(item["question"])
            hits = []
            for hit in answer.hits:
                urls = [hit.citation.article.url or ""] + [
                    d.article.url or "" for d in hit.duplicates
                ]
                good = any(frag in u for frag in item["relevant"] for u in urls)
                hits.append((hit.relevance, good))
            runs.append((item, hits))
        app.close()
    answerable = [h for item, h in runs if item["relevant"]]
    unanswerable = [h for item, h in runs if not item["relevant"]]
    print(
        f"{len(answerable)} answerable and {len(unanswerable)} unanswerable questions, "
        f"k={args.k}, lexical weight {settings.ask_lexical_weight}"
    )
    print(
        f"{'threshold':>9} {'precision':>9} {'top1 ok':>8} {'answered':>9} "
        f"{'false ans':>9} {'F1':>6}"
    )
    best = None
    for t100 in range(20, 61, 2):
        t = t100 / 100
        kept = [(r, g) for hits in answerable for r, g in hits if r >= t]
        precision = sum(g for _, g in kept) / len(kept) if kept else 1.0
        top1 = sum(1 for hits in answerable if hits and hits[0][0] >= t and hits[0][1])
        answered = sum(1 for hits in answerable if any(r >= t for r, _ in hits))
        top1_rate = top1 / len(answerable)
        false = sum(1 for hits in unanswerable if any(r >= t for r, _ in hits)) / len(unanswerable)
        f1 = 2 * precision * top1_rate / (precision + top1_rate) if precision + top1_rate else 0
        print(
            f"{t:>9.2f} {precision:>9.2f} {top1_rate:>8.2f} {answered / len(answerable):>9.2f} "
            f"{false:>9.2f} {f1:>6.2f}"
        )
        if false == 0 and (best is None or f1 > best[1]):
            best = (t, f1)
    worst_absent = max((r for hits in unanswerable for r, _ in hits), default=0.0)
    good_tops = [next((r for r, g in hits if g), 0.0) for hits in answerable]
    print(f"highest relevance of any passage for an unanswerable question: {worst_absent:.3f}")
    print(
        f"lowest relevance of the best relevant passage of an answerable one: {min(good_tops):.3f}"
    )
    print(f"midpoint of that gap: {(worst_absent + min(good_tops)) / 2:.3f}")
    if best:
        print(f"best F1 with no false answers: threshold {best[0]:.2f} (F1 {best[1]:.2f})")


if __name__ == "__main__":
    main()
