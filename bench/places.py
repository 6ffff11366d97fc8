"""Geoparser quality and speed: precision and recall of resolved place mentions.

    python bench/places.py [--seeds ../shared/seeds] [--set seeds|hard|world-tune|world-held|all]
                           [--errors] [--no-questions]

Labelled sets, each scored on its own (and once all together):
  seeds        bench/places_seed_labels.jsonl: every place mention in the five seed articles
               (read from --seeds; skipped if they are not there)
  hard         bench/places_hard.jsonl: short texts written for this benchmark with hard cases
               (homonyms, inflections, Cyrillic, rivers, people) from the war in Ukraine
  world-tune   bench/places_world.jsonl, split "tune": short texts written for this benchmark
               from situations outside the former USSR (Sudan, Gaza, Syria, Yemen, Myanmar, the
               Sahel, the 2023 Turkey and Morocco earthquakes) in English, French, Spanish,
               German, Arabic, Turkish and Russian; may be looked at while tuning
  world-held   the same file, split "held": the held-out half. No unit test may use these
               texts and no rule, alias or threshold may be tuned on them; they measure
               generalisation, and lose their value once they are tuned on
None of the hard or world texts is used by the unit tests.

A label's kind says what a correct resolution is:
  populated   a town-kind place (``Place.kind`` "town", or no kind) that is the labelled
              GeoNames id or lies within 5 km of it
  country     a country-kind place whose ``country`` is the labelled ISO code
  region      a region-kind place of the labelled country whose ``admin1`` is the name of the
              labelled first-level region ("CC.code", named by index/places/data/admin1.tsv);
              a region label without a code (Donbas spans two) scores nothing: a region-kind
              resolution there is skipped, a town resolved there is wrong
  continent   a continent-kind place with the labelled GeoNames id or the continent's name
  other, person, populated-missing (a village the gazetteer lacks)  never: a resolved
              mention overlapping one is wrong, as is one overlapping no label at all
  uncertain   not scored (the labeller could not tell which place is meant)
Precision counts every resolved mention; recall counts the labelled mentions that can be
resolved (populated, country, region with a code, continent). Both are printed per "written"
class: how the text writes the name against GeoNames (exact, alternate, romanisation, script,
inflection, fuzzy, historic, diacritics, region, country, demonym); wrong resolutions of
unlabelled words, "other" and "person" labels are listed as (unlabelled), (other), (person).
Targets: precision >= 0.97 and recall >= 0.93 overall, and >= 0.90 in every class with at
least 10 cases; a figure below its target is marked "<".

Also printed: question resolution (bench/place_questions.py, --no-questions skips it),
find_places throughput on 5,000 passages, and the time to compile the gazetteer and to
load its cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import articles  # noqa: E402
from index.ingest.passages import split_passages  # noqa: E402
from index.models import Place  # noqa: E402
from index.places.cache import GazetteerFiles  # noqa: E402
from index.places.gazetteer import Gazetteer, load_gazetteer  # noqa: E402
from index.places.geo import haversine_km  # noqa: E402
from index.places.geonames import default_cities_file, read_admin1, read_cities_json  # noqa: E402
from index.places.geoparse import find_places  # noqa: E402

SEED_LABELS = ROOT / "bench" / "places_seed_labels.jsonl"
HARD = ROOT / "bench" / "places_hard.jsonl"
WORLD = ROOT / "bench" / "places_world.jsonl"
SAMPLE = ROOT / "bot" / "sample" / "corpus.jsonl"
SCOPE = ("UA", "RU", "BY", "MD")
SETS = ("seeds", "hard", "world-tune", "world-held")
PRECISION_TARGET, RECALL_TARGET, CLASS_TARGET, CLASS_MIN_CASES = 0.97, 0.93, 0.90, 10
NEAR_KM = 5.0
SCORED_KINDS = frozenset({"populated", "country", "region", "continent"})

Label = dict[str, Any]
Doc = tuple[str, str, list[Label]]  # name, text, labels


def _jsonl(path: Path) -> list[dict[str, Any]]:
    # Split at newlines only: str.splitlines() would also split at U+2028 inside a text.
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()
    ]


def documents(seeds: Path, wanted: Sequence[str] = SETS) -> dict[str, list[Doc]]:
    """The labelled documents of each wanted set; every label's offsets are checked."""
    out: dict[str, list[Doc]] = {}
    if "seeds" in wanted and seeds.is_dir():
        by_doc: dict[str, list[Label]] = defaultdict(list)
        for label in _jsonl(SEED_LABELS):
            by_doc[str(label["doc"])].append(label)
        out["seeds"] = [
            (name, (seeds / name).read_text(encoding="utf-8"), labels)
            for name, labels in by_doc.items()
        ]
    if "hard" in wanted:
        out["hard"] = [(str(i["id"]), str(i["text"]), list(i["mentions"])) for i in _jsonl(HARD)]
    for item in _jsonl(WORLD):
        name = f"world-{item['split']}"
        if name in wanted:
            doc = (f"{item['id']} {item['lang']}", str(item["text"]), list(item["mentions"]))
            out.setdefault(name, []).append(doc)
    for docs in out.values():
        for name, text, labels in docs:
            for lab in labels:
                got = text[int(lab["start"]) : int(lab["end"])]
                assert got == lab["surface"], f"{name}: {lab['surface']!r} is not at its offsets"
    return {name: out[name] for name in SETS if name in out}


class Truth:
    """What a label's place is: positions of labelled GeoNames ids, region names by code."""

    def __init__(self, gaz: Gazetteer, docs: dict[str, list[Doc]]) -> None:
        self.gaz = gaz
        self.regions = read_admin1()
        ids = {
            int(lab["geonameid"])
            for d in docs.values()
            for _, _, labels in d
            for lab in labels
            if lab["kind"] == "populated" and lab.get("geonameid")
        }
        self.where: dict[int, tuple[float, float]] = {
            gid: (p.lat, p.lon) for gid in ids if (p := gaz.get(gid)) is not None
        }
        if ids - set(self.where):
            # Places the gazetteer does not keep (small ones outside the scope): their
            # positions come from its source, so a neighbour within 5 km still counts.
            for rec in read_cities_json(default_cities_file()):
                if rec.geonameid in ids:
                    self.where[rec.geonameid] = (rec.lat, rec.lon)

    def correct(self, place: Place, label: Label) -> bool:
        """Whether a resolved place is the one the label names (see the module docstring)."""
        kind = getattr(place, "kind", "town")
        want = label["kind"]
        if want == "populated":
            gid = int(label["geonameid"])
            if kind != "town":
                return False
            if place.geonameid == gid:
                return True
            at = self.where.get(gid)
            return at is not None and haversine_km(at[0], at[1], place.lat, place.lon) <= NEAR_KM
        if want == "country":
            return kind == "country" and place.country == label.get("country")
        if want == "region":
            code = label.get("admin1")
            return (
                kind == "region"
                and code is not None
                and place.country == label.get("country")
                and _same_name(place.admin1, self.regions.get(str(code), ""))
            )
        if want == "continent":
            return kind == "continent" and (
                place.geonameid == label.get("geonameid")
                or _same_name(place.name, str(label.get("name") or ""))
            )
        return False


def _same_name(a: str, b: str) -> bool:
    return bool(a) and a.casefold() == b.casefold()


def _scored(label: Label) -> bool:
    """Whether recall counts the label: a place the parser can name."""
    if label["kind"] not in SCORED_KINDS:
        return False
    if label["kind"] == "populated":
        return bool(label.get("geonameid"))
    if label["kind"] == "region":
        return bool(label.get("admin1"))
    return True


# The hard cases were labelled before the classes got these names.
_CLASS_NAMES = {
    "cyrillic": "script",
    "inflected": "inflection",
    "misspelt": "fuzzy",
    "renamed": "historic",
}


def _written(label: Label) -> str:
    written = str(label.get("written") or "n/a")
    written = _CLASS_NAMES.get(written, written)
    return label["kind"] if written == "n/a" else written


@dataclass
class Score:
    """Correct, wrong and missed mentions of one set, overall and per written class."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    by_class: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[str] = field(default_factory=list)
    docs: int = 0

    def add(self, other: Score) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        self.docs += other.docs
        for cls, c in other.by_class.items():
            self.by_class[cls].update(c)


def score(truth: Truth, docs: list[Doc]) -> Score:
    """Resolve every document's places and compare them with its labels."""
    s = Score(docs=len(docs))
    for name, text, labels in docs:
        mentions = [m for m in find_places(text, truth.gaz) if m.place is not None]
        found: set[int] = set()
        for m in mentions:
            assert m.place is not None
            overlap = [
                lab for lab in labels if int(lab["start"]) < m.end and m.start < int(lab["end"])
            ]
            label = next((lab for lab in overlap if _scored(lab)), overlap[0] if overlap else None)
            if label is not None and label["kind"] == "uncertain":
                continue
            if (
                label is not None
                and label["kind"] == "region"
                and not label.get("admin1")
                and getattr(m.place, "kind", "town") == "region"
            ):
                continue  # a region label without one code: nothing to compare with
            kind = getattr(m.place, "kind", "town")
            if label is not None and truth.correct(m.place, label):
                s.tp += 1
                s.by_class[_written(label)]["tp"] += 1
                found.add(id(label))
                continue
            s.fp += 1
            cls = _written(label) if label is not None and _scored(label) else None
            if cls is None:
                cls = f"({label['kind']})" if label is not None else "(unlabelled)"
            s.by_class[cls]["fp"] += 1
            what = f"{label['kind']} {_describe(label)}" if label is not None else "unlabelled"
            s.errors.append(
                f"  FP {name} {m.surface!r} -> {m.place.label} [{kind} {m.match}"
                f" {m.confidence:.2f}] (label: {what})"
            )
        for lab in labels:
            if _scored(lab) and id(lab) not in found:
                s.fn += 1
                s.by_class[_written(lab)]["fn"] += 1
                s.errors.append(
                    f"  FN {name} {lab['surface']!r} ({_written(lab)}; {_describe(lab)})"
                )
    return s


def _describe(label: Label) -> str:
    if label["kind"] == "populated" and label.get("geonameid"):
        return f"{label['geonameid']} {label.get('country') or ''}".strip()
    if label["kind"] == "region":
        return str(label.get("admin1") or "no code")
    if label["kind"] in ("country", "continent"):
        return str(label.get("country") or label.get("geonameid") or "")
    return label["kind"]


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def _mark(value: float, target: float, cases: int, minimum: int = 1) -> str:
    return "<" if cases >= minimum and value < target else " "


def report(name: str, s: Score, errors: bool) -> None:
    """Print one set's figures, and its errors if asked."""
    p, r = _ratio(s.tp, s.tp + s.fp), _ratio(s.tp, s.tp + s.fn)
    print(
        f"\n== {name}: {s.docs} documents; resolved correctly {s.tp}, wrongly {s.fp}; missed {s.fn}"
    )
    print(
        f"precision {p:.3f}{_mark(p, PRECISION_TARGET, s.tp + s.fp)}  "
        f"recall {r:.3f}{_mark(r, RECALL_TARGET, s.tp + s.fn)}  "
        f"(targets: >= {PRECISION_TARGET}, >= {RECALL_TARGET}; >= {CLASS_TARGET} per class"
        f" of {CLASS_MIN_CASES}+ cases)"
    )
    print(
        f"{'written':<20} {'correct':>7} {'wrong':>6} {'missed':>6} {'precision':>10} {'recall':>8}"
    )
    for cls, c in sorted(s.by_class.items()):
        cp, cr = _ratio(c["tp"], c["tp"] + c["fp"]), _ratio(c["tp"], c["tp"] + c["fn"])
        pm = _mark(cp, CLASS_TARGET, c["tp"] + c["fp"], CLASS_MIN_CASES)
        rm = _mark(cr, CLASS_TARGET, c["tp"] + c["fn"], CLASS_MIN_CASES)
        print(f"{cls:<20} {c['tp']:>7} {c['fp']:>6} {c['fn']:>6} {cp:>9.3f}{pm} {cr:>7.3f}{rm}")
    if errors and s.errors:
        print("errors:")
        print("\n".join(s.errors))


def throughput(gaz: Gazetteer, docs: list[Doc]) -> None:
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


def _default_seeds() -> Path:
    """../shared/seeds beside the checkout, or beside the folder of worktrees."""
    near = [ROOT.parent / "shared" / "seeds", ROOT.parent.parent / "shared" / "seeds"]
    return next((p for p in near if p.is_dir()), near[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=_default_seeds())
    parser.add_argument("--set", choices=(*SETS, "all"), default="all", dest="which")
    parser.add_argument("--errors", action="store_true", help="list every wrong and missed mention")
    parser.add_argument(
        "--questions",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="score question resolution (bench/place_questions.py)",
    )
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
    wanted = SETS if args.which == "all" else (args.which,)
    sets = documents(args.seeds, wanted)
    if "seeds" in wanted and not args.seeds.is_dir():
        print(f"(seed articles not found at {args.seeds}: seeds not scored)")
    truth = Truth(gaz, sets)
    total = Score()
    for name, docs in sets.items():
        s = score(truth, docs)
        report(name, s, args.errors)
        total.add(s)
    if len(sets) > 1:
        report("all sets", total, errors=False)
    if args.questions:
        from bench.place_questions import run as run_questions

        print()
        split = args.which.removeprefix("world-")
        run_questions(gaz, (split,) if split in ("tune", "held") else ("tune", "held"), args.errors)
    print()
    throughput(gaz, [doc for docs in sets.values() for doc in docs])


if __name__ == "__main__":
    main()
