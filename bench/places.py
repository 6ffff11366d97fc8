"""Geoparser quality and speed: precision and recall of resolved place mentions.

    python bench/places.py [--seeds ../shared/seeds]

Labelled sets:
  bench/places_seed_labels.jsonl  every place mention in the five seed articles
                                  (read from --seeds; skipped if they are not there)
  bench/places_hard.jsonl         short texts written for this benchmark with hard cases
                                  (homonyms, inflections, Cyrillic, rivers, people); none of
                                  them is used by the unit tests, so they measure
                                  generalisation
A resolved mention is correct when it names the labelled place or one within 5 km of it;
mentions labelled "uncertain" (the labeller could not tell which place) are not scored.
Precision counts every resolved mention (a river, region, person or unlabelled word resolved
to a town is wrong); recall counts the labelled mentions of places that are in the gazetteer.
Also printed: find_places throughput on 5,000 distinct synthetic passages, and the time to
compile the gazetteer and to load its cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import articles  # noqa: E402
from index.ingest.passages import split_passages  # noqa: E402
from index.places.cache import GazetteerFiles  # noqa: E402
from index.places.gazetteer import Gazetteer, load_gazetteer  # noqa: E402
from index.places.geo import haversine_km  # noqa: E402
from index.places.geoparse import find_places  # noqa: E402

SEED_LABELS = ROOT / "bench" / "places_seed_labels.jsonl"
HARD = ROOT / "bench" / "places_hard.jsonl"
SAMPLE = ROOT / "bot" / "sample" / "corpus.jsonl"
SCOPE = ("UA", "RU", "BY", "MD")


def documents(seeds: Path) -> list[tuple[str, str, list[dict[str, object]]]]:
    """(name, text, labels) for every labelled document available."""
    docs: dict[str, list[dict[str, object]]] = defaultdict(list)
    if seeds.is_dir():
        for line in SEED_LABELS.read_text().splitlines():
            if line.strip():
                label = json.loads(line)
                docs[str(label["doc"])].append(label)
    out = [
        (name, (seeds / name).read_text(encoding="utf-8"), labels) for name, labels in docs.items()
    ]
    for line in HARD.read_text().splitlines():
        if line.strip():
            item = json.loads(line)
            out.append((str(item["id"]), str(item["text"]), list(item["mentions"])))
    return out


def evaluate(gaz: Gazetteer, docs: list[tuple[str, str, list[dict[str, object]]]]) -> None:
    tp = fp = fn = 0
    by_written: dict[str, Counter[str]] = defaultdict(Counter)
    errors: list[str] = []
    for name, text, labels in docs:
        mentions = find_places(text, gaz)
        gold = [lab for lab in labels if lab.get("geonameid")]
        matched_gold: set[int] = set()
        for m in mentions:
            if m.place is None:
                continue
            overlap = [
                lab
                for lab in labels
                if int(lab["start"]) < m.end and m.start < int(lab["end"])  # type: ignore[call-overload]
            ]
            label = overlap[0] if overlap else None
            if label and label["kind"] == "uncertain":
                continue  # the labeller could not tell which place is meant
            truth = gaz.get(int(label["geonameid"])) if label and label.get("geonameid") else None  # type: ignore[call-overload]
            ok = truth is not None and (
                truth.geonameid == m.place.geonameid
                or haversine_km(truth.lat, truth.lon, m.place.lat, m.place.lon) <= 5.0
            )
            written = str(label["written"]) if label else "unlabelled"
            if label and label.get("geonameid"):
                matched_gold.add(id(label))
            if ok:
                tp += 1
                by_written[written]["tp"] += 1
            else:
                fp += 1
                kind = label["kind"] if label else "unlabelled"
                by_written[written if truth else f"({kind})"]["fp"] += 1
                errors.append(
                    f"  FP {name} {m.surface!r} -> {m.place.label} [{m.match} {m.confidence:.2f}]"
                    f" (label: {kind}{', ' + truth.label if truth else ''})"
                )
        for lab in gold:
            if id(lab) not in matched_gold or not any(
                m.place
                and int(lab["start"]) < m.end
                and m.start < int(lab["end"])  # type: ignore[call-overload]
                and (m.place.geonameid == lab["geonameid"] or _near(gaz, lab, m.place))
                for m in mentions
            ):
                fn += 1
                by_written[str(lab["written"])]["fn"] += 1
                errors.append(f"  FN {name} {lab['surface']!r} ({lab['written']})")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    print(f"documents: {len(docs)}; resolved correctly {tp}, wrongly {fp}; missed {fn}")
    print(f"precision {precision:.3f}   recall {recall:.3f}   (targets: >= 0.95, >= 0.90)")
    print(
        f"{'written':<18} {'correct':>7} {'wrong':>6} {'missed':>6} {'precision':>9} {'recall':>7}"
    )
    for written, c in sorted(by_written.items()):
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
        print(f"{written:<18} {c['tp']:>7} {c['fp']:>6} {c['fn']:>6} {p:>9.3f} {r:>7.3f}")
    if errors:
        print("errors:")
        print("\n".join(errors))


def _near(gaz: Gazetteer, label: dict[str, object], place: object) -> bool:
    truth = gaz.get(int(label["geonameid"]))  # type: ignore[call-overload]
    return truth is not None and haversine_km(truth.lat, truth.lon, place.lat, place.lon) <= 5.0  # type: ignore[attr-defined]


def throughput(gaz: Gazetteer, docs: list[tuple[str, str, list[dict[str, object]]]]) -> None:
    """find_places over 5,000 passages: news text (the passages of the sample corpus and of
    the seed articles, cycled) and synthetic reports dense with place names (all distinct)."""
    texts = [json.loads(x)["text"] for x in SAMPLE.read_text().splitlines() if x.strip()]
    texts += [text for name, text, _ in docs if name.endswith(".txt")]
    news = [t[s.start : s.end] for t in texts for s in split_passages(t)]
    records = articles(2400, seed=5, paragraphs=5, words=40)
    dense = [
        str(r["text"])[s.start : s.end] for r in records for s in split_passages(str(r["text"]))
    ]
    sets = (("news", (news * (5000 // len(news) + 1))[:5000]), ("dense", dense[:5000]))
    for name, passages in sets:
        find_places(passages[0], gaz)
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            found = sum(len(find_places(p, gaz)) for p in passages)
            runs.append(time.perf_counter() - t)
        elapsed = min(runs)
        words = sum(len(p.split()) for p in passages) / len(passages)
        print(
            f"find_places, {name}: {len(passages) / elapsed:,.0f} passages/s, best of 3 "
            f"({len(passages) / max(runs):,.0f} worst; {len(passages)} "
            f"passages of {words:.0f} words, {found / len(passages):.1f} place mentions each; "
            "target >= 5,000)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = GazetteerFiles(
            cache=Path(tmp) / "gazetteer.bin",
            extra_dir=Path(tmp) / "extra",
            overrides=ROOT / "config" / "places.toml",
            scope=SCOPE,
        )
        t = time.perf_counter()
        load_gazetteer(files)
        compile_s = time.perf_counter() - t
        loads = []
        for _ in range(3):
            t = time.perf_counter()
            gaz = load_gazetteer(files)
            loads.append(time.perf_counter() - t)
        print(
            f"gazetteer: {len(gaz):,} places; compile {compile_s:.1f} s (once); "
            f"cache load {min(loads):.2f} s (best of 3), {files.cache.stat().st_size / 1e6:.1f} MB"
        )
    docs = documents(args.seeds)
    if not args.seeds.is_dir():
        print(f"(seed articles not found at {args.seeds}: hard cases only)")
    evaluate(gaz, docs)
    throughput(gaz, docs)


if __name__ == "__main__":
    main()
