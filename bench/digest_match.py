"""Digest matching: new passages against every watch of every chat, time and memory.

    .venv/bin/python bench/digest_match.py            # 1,000 passages, 10,000 watches, 2,000 chats
    .venv/bin/python bench/digest_match.py --quick    # ten times smaller, a smoke run
    .venv/bin/python bench/digest_match.py --passages 1000 --watches 10000 --chats 2000 --repeat 5

The issue's question: matching 1,000 new passages against 10,000 watches across 2,000 chats,
time and memory; target under 1 s on this machine (printed, never enforced).

Data, synthetic but shaped like the real thing, from a seeded RNG:
  places    real gazetteer places of Ukraine (cities500, compiled once and cached in
            bench/.cache/gazetteer.bin); 70% of draws (``--front-share``) come, uniformly,
            from the few hundred "front-line" places within 150 km of 48.6 N 38.0 E, the rest
            from all of Ukraine; matches per chat grow fast with that share;
  passages  news-style paragraphs of 3-8 sentences (bench/corpus.py templates) naming 1-4
            places each, 1-3 passages per article, published over the last day; one article
            in ten is a wire copy of an earlier passage with a sentence added, so digests have
            copies to fold; a random unit float32 384-d vector per passage;
  watches   ``--watches`` over ``--chats`` chats (5 each by default), centred on places drawn
            like the mentions, radius 5-50 km, one in five with 1-2 keywords.

Measured in one process, each step as best and median of up to ``--repeat`` runs (no run
is started once a step has taken ``--budget`` seconds; at the default sizes (b) and (c) take
minutes a run, so the whole benchmark takes about ten minutes):
  (a) ``match_watches(watches, passages)`` alone;
  (b) (a), then ``build_digest`` for every chat (grouping, ordering, folding copies);
  (c) end to end through SQLite: ``Digests.pending`` for every chat on a real store (from
      ``build_app`` with the hashing embedder and the NumPy index, on a temporary data
      dir). The passages are written with ``Store.add`` (text, spans, vectors and place
      mentions) rather than ingested, so that (c) reads exactly the passages and mentions
      of (a) and (b), and its digests are checked equal to (b)'s; geoparsing and embedding
      are measured by bench/places.py and bench/ingest.py. Chats and watches are added
      through ``ChatStore``. (c) adds the reads of the tick: new passage ids, citations,
      mentions, watches, and per chat the delivered set and the vectors.
Memory: the peak RSS growth during a step's first run (VmHWM, reset through
/proc/self/clear_refs where Linux allows it; else ru_maxrss growth, which stays 0 below an
earlier peak), and the peak of traced Python allocations in one more run under tracemalloc
(NumPy included, SQLite's own cache not), skipped for a step whose run takes over half the
budget, as tracemalloc slows Python code severalfold.
Baselines in the same run, checked to find the same (chat, passage) pairs as (a):
  numpy per mention  the same vectorised haversine, one row per mention instead of one per
                     distinct place (what de-duplicating places saves);
  pure Python        a double loop, ``haversine_km`` per mention x watch, timed on a subset
                     of the passages and extrapolated by the number of mentions.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import DETAILS, EVENTS, SOURCES  # noqa: E402
from bench.gazetteer import gazetteer  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.digests.build import build_digest  # noqa: E402
from bot.digests.delivery import Digests  # noqa: E402
from bot.digests.matching import KeywordIndex, Matches, match_watches  # noqa: E402
from bot.domain.digests import Digest  # noqa: E402
from bot.domain.watches import Watch  # noqa: E402
from bot.settings import Settings  # noqa: E402
from index.embeddings import HashEmbedder  # noqa: E402
from index.models import (  # noqa: E402
    Article,
    Citation,
    Passage,
    Place,
    PlaceMention,
    Span,
    StoredArticle,
)
from index.places.gazetteer import Gazetteer  # noqa: E402
from index.places.geo import haversine_km, haversine_matrix  # noqa: E402
from index.search.stories import stories  # noqa: E402
from index.store import Store  # noqa: E402
from index.store.writes import NewArticle, content_hash  # noqa: E402

FRONT = (48.6, 38.0)
FRONT_KM = 150.0
FRONT_SHARE = 0.7
DIM = 384
# Words of the templates in bench/corpus.py, found in more or fewer passages.
KEYWORDS = ("drone", "shell", "evacuation", "power", "missile", "aid", "school", "assault")
TARGET_S = 1.0
NOW = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)


class Places:
    """Ukrainian places, drawn with a skew toward the front line."""

    def __init__(self, gaz: Gazetteer, rng: random.Random, front_share: float) -> None:
        self.all = [p for p in gaz.places if p.country == "UA"]
        km = haversine_matrix(
            np.array([FRONT[0]]),
            np.array([FRONT[1]]),
            np.array([p.lat for p in self.all]),
            np.array([p.lon for p in self.all]),
        )[0]
        self.front = [p for p, d in zip(self.all, km, strict=True) if d <= FRONT_KM]
        self.rng = rng
        self.front_share = front_share

    def draw(self) -> Place:
        pool = self.front if self.rng.random() < self.front_share else self.all
        return self.rng.choice(pool)


def _sentence(rng: random.Random, place: Place, at: int) -> tuple[str, PlaceMention]:
    """One event sentence naming ``place``; the mention's offsets start at ``at``."""
    template = rng.choice(EVENTS).replace("{n}", str(rng.randint(2, 400)))
    i = template.index("{town}")
    text = template[:i] + place.name + template[i + len("{town}") :]
    text = text[0].upper() + text[1:] + "."
    start = at + i
    return text, PlaceMention(place, place.name, start, start + len(place.name), "exact", 0.9)


def _paragraph(rng: random.Random, places: Places, at: int) -> tuple[str, list[PlaceMention]]:
    """A passage of 3-6 sentences naming 1-4 distinct places, starting at offset ``at``."""
    named: dict[int, Place] = {}
    want = rng.randint(1, 4)
    while len(named) < want:
        p = places.draw()
        named[p.geonameid] = p
    parts: list[str] = []
    mentions: list[PlaceMention] = []
    offset = at
    for place in named.values():
        for _ in range(rng.randint(0, 1)):
            parts.append(rng.choice(DETAILS).replace("{n}", str(rng.randint(2, 60))))
            offset += len(parts[-1]) + 1
        text, mention = _sentence(rng, place, offset)
        parts.append(text)
        mentions.append(mention)
        offset += len(text) + 1
    while len(parts) < 3:
        parts.append(rng.choice(DETAILS).replace("{n}", str(rng.randint(2, 60))))
    return " ".join(parts), mentions


class Corpus:
    """Synthetic new passages as the store will hold them, and the same as Citations."""

    def __init__(self, count: int, places: Places, rng: random.Random) -> None:
        self.articles: list[NewArticle] = []
        self.citations: dict[int, Citation] = {}
        self.copies = 0
        vectors = np.random.default_rng(rng.randint(0, 2**32)).standard_normal((count, DIM))
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        self.vectors = {pid: vectors[pid - 1] for pid in range(1, count + 1)}
        pid = 0
        while pid < count:
            aid = len(self.articles) + 1
            paragraphs: list[tuple[str, list[PlaceMention]]] = []
            if pid and rng.random() < 0.1:  # a wire copy of an earlier passage, one more line
                earlier = self.citations[rng.randint(1, pid)]
                extra = rng.choice(DETAILS).replace("{n}", str(rng.randint(2, 60)))
                shift = earlier.passage.start  # its mentions' offsets, now from 0
                moved = [
                    PlaceMention(m.place, m.surface, m.start - shift, m.end - shift, m.match, 0.9)
                    for m in earlier.places
                ]
                paragraphs.append((earlier.passage.text + " " + extra, moved))
                self.copies += 1
            else:
                at = 0
                for _ in range(min(rng.randint(1, 3), count - pid)):
                    text, mentions = _paragraph(rng, places, at)
                    paragraphs.append((text, mentions))
                    at += len(text) + 2
            text = "\n\n".join(t for t, _ in paragraphs)
            spans, mentions, at = [], [], 0
            for t, found in paragraphs:
                spans.append(Span(at, at + len(t), len(t.split())))
                mentions.extend(found)
                at += len(t) + 2
            published = NOW - timedelta(seconds=rng.randint(0, 24 * 3600))
            source = rng.choice(SOURCES)
            article = Article(text, f"https://bench.example/digest/{aid}", None, published, source)
            stored = StoredArticle(aid, article.url, None, published, source, NOW)
            first = pid + 1
            for span in spans:
                pid += 1
                passage = Passage(pid, aid, span.start, span.end, text[span.start : span.end])
                inside = tuple(m for m in mentions if span.start <= m.start < span.end)
                self.citations[pid] = Citation(stored, passage, inside)
            chunk = vectors[first - 1 : pid]
            self.articles.append(NewArticle(article, content_hash(text), spans, chunk, mentions))


def make_watches(count: int, chats: int, places: Places, rng: random.Random) -> list[Watch]:
    """``count`` watches spread round-robin over ``chats`` chats (ids as the store gives them)."""
    out = []
    for i in range(count):
        p = places.draw()
        words: tuple[str, ...] = ()
        if rng.random() < 0.2:
            words = tuple(rng.sample(KEYWORDS, rng.randint(1, 2)))
        radius = float(rng.randint(5, 50))
        chat = 1000 + i % chats
        out.append(Watch(i + 1, chat, p.name, p.label, p.lat, p.lon, radius, words, p.geonameid))
    return out


# -- baselines ------------------------------------------------------------------------------


def numpy_per_mention(
    watches: Sequence[Watch], passages: dict[int, Citation]
) -> dict[tuple[int, int], float]:
    """The vectorised haversine over every (mention, watch) pair: no de-duplication of places."""
    rows = [(pid, m) for pid, c in passages.items() for m in c.places]
    lat = np.array([m.place.lat for _, m in rows])
    lon = np.array([m.place.lon for _, m in rows])
    wlat = np.array([w.lat for w in watches])
    wlon = np.array([w.lon for w in watches])
    radius = np.array([w.radius_km for w in watches])
    best: dict[tuple[int, int], float] = {}
    kw: dict[tuple[int, int], bool] = {}
    for start in range(0, len(rows), 512):
        km = haversine_matrix(lat[start : start + 512], lon[start : start + 512], wlat, wlon)
        for row, col in zip(*np.nonzero(km <= radius[None, :]), strict=True):
            pid, _ = rows[start + int(row)]
            watch = watches[int(col)]
            _keep(best, kw, watch, pid, passages[pid], round(float(km[row, col]), 1))
    return best


def pure_python(
    watches: Sequence[Watch], passages: dict[int, Citation]
) -> dict[tuple[int, int], float]:
    """The obvious double loop: ``haversine_km`` for every mention and every watch."""
    best: dict[tuple[int, int], float] = {}
    kw: dict[tuple[int, int], bool] = {}
    for pid, citation in passages.items():
        for m in citation.places:
            for watch in watches:
                d = haversine_km(m.place.lat, m.place.lon, watch.lat, watch.lon)
                if d <= watch.radius_km:
                    _keep(best, kw, watch, pid, citation, round(d, 1))
    return best


def _keep(
    best: dict[tuple[int, int], float],
    kw: dict[tuple[int, int], bool],
    watch: Watch,
    pid: int,
    citation: Citation,
    d: float,
) -> None:
    if pid <= watch.after_passage:
        return
    if watch.keywords:
        key = (pid, watch.id)
        if key not in kw:
            kw[key] = bool(
                KeywordIndex({pid: citation.passage.text}).passages_with_any(watch.keywords)
            )
        if not kw[key]:
            return
    slot = (watch.chat_id, pid)
    if slot not in best or d < best[slot]:
        best[slot] = d


def pairs(matches: Matches) -> dict[tuple[int, int], float]:
    """match_watches' answer as (chat, passage) -> km, to compare with the baselines."""
    return {
        (int(c), int(p)): round(float(k), 1)
        for c, p, k in zip(matches.chat, matches.passage, matches.km, strict=True)
    }


def same_pairs(a: object, b: dict[tuple[int, int], float]) -> bool:
    """Same (chat, passage) pairs at the same distance (to rounding)."""
    assert isinstance(a, dict)
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 0.11 for k in a)


# -- measuring ------------------------------------------------------------------------------


@dataclass
class Step:
    """One measured step: wall seconds per run, peak RSS growth of the first run, peak heap."""

    runs: list[float]
    rss_mb: float
    heap_mb: float | None
    result: object

    @property
    def best(self) -> float:
        return min(self.runs)


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+), so a step's own peak can be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(fn: Callable[[], object], repeat: int, budget: float, heap: bool = True) -> Step:
    """Up to ``repeat`` timed calls, none started once ``budget`` seconds are spent; the
    first also gives the peak RSS growth; then one call under tracemalloc, unless one call
    takes more than half the budget (tracemalloc slows Python code down severalfold)."""
    runs: list[float] = []
    grown = 0.0
    result: object = None
    while len(runs) < repeat and (not runs or sum(runs) < budget):
        result = None
        gc.collect()
        rss = _status_kb("VmRSS") if not runs else None
        precise = rss is not None and _reset_peak_rss()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
        if len(runs) == 1:
            if precise and rss is not None:
                grown = ((_status_kb("VmHWM") or rss) - rss) / 1024
            else:
                grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    peak: float | None = None
    if heap and min(runs) <= budget / 2:
        gc.collect()
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return Step(runs, grown, peak, result)


def digest_ids(digests: object) -> dict[int, list[int]]:
    """What every chat would be sent, in order."""
    assert isinstance(digests, dict)
    return {chat: d.passage_ids for chat, d in digests.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--watches", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per step, at most")
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds per step after which no run starts"
    )
    parser.add_argument(
        "--front-share", type=float, default=FRONT_SHARE, help="share of front-line places"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--quick", action="store_true", help="ten times fewer of everything")
    args = parser.parse_args()
    if args.quick:
        args.passages, args.watches = max(1, args.passages // 10), max(1, args.watches // 10)
        args.chats = max(1, args.chats // 10)
    rng = random.Random(args.seed)
    t = time.perf_counter()
    gaz = gazetteer()
    places = Places(gaz, rng, args.front_share)
    corpus = Corpus(args.passages, places, rng)
    passages, vectors = corpus.citations, corpus.vectors
    watches = make_watches(args.watches, args.chats, places, rng)
    chat_ids = sorted({w.chat_id for w in watches})
    mentions = sum(len(c.places) for c in passages.values())
    distinct = len({m.place.geonameid for c in passages.values() for m in c.places})
    print(
        f"data: {len(passages)} passages in {len(corpus.articles)} articles "
        f"({corpus.copies} wire copies), {mentions} place mentions of {distinct} distinct "
        f"places ({args.front_share:.0%} drawn from {len(places.front)} front-line places, "
        f"the rest from {len(places.all)} in UA); {len(watches)} watches of {len(chat_ids)} "
        f"chats, {sum(bool(w.keywords) for w in watches)} with keywords"
    )

    def match() -> Matches:
        return match_watches(watches, passages)

    def match_and_build() -> dict[int, Digest]:
        found = match()
        story = stories(passages, vectors)
        return {c: build_digest(c, found.of(c), passages, story) for c in chat_ids}

    steps: dict[str, Step] = {}
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-") as tmp:
        settings = Settings.load(env={}, data_dir=Path(tmp) / "data", vector_index="numpy")
        app = build_app(settings, embedder=lambda: HashEmbedder(DIM), gazetteer=lambda: gaz)
        try:
            store: Store = app.knowledge.store
            written = store.add(corpus.articles, NOW)
            assert [i for ids in written for i in ids or []] == list(passages), "passage ids"
            for chat in chat_ids:
                app.chats.chat(chat, NOW)
            for w in watches:
                made = app.chats.add_watch(w, NOW)
                assert made.id == w.id, "watch ids"
            assert app.chats.watches() == watches
            chats = app.chats.chats_with_watches()
            digests = Digests(app.chats, store, None, app.clock)
            print(
                f"setup: {time.perf_counter() - t:.1f} s (gazetteer, data, store; not timed)",
                flush=True,
            )

            def pending() -> dict[int, Digest]:
                return digests.pending(chats)[0]

            todo = {
                "(a) match_watches": match,
                "(b) match + build_digest": match_and_build,
                "(c) Digests.pending (SQLite)": pending,
            }
            for name, fn in todo.items():
                steps[name] = measure(fn, args.repeat, args.budget)
                print(f"  {name}: {len(steps[name].runs)} runs", flush=True)
        finally:
            app.close()
    a, b, c = steps.values()
    assert digest_ids(c.result) == digest_ids(b.result), "(c) sends other items than (b)"
    found = a.result
    assert isinstance(found, Matches)
    built = b.result
    assert isinstance(built, dict)
    items = [len(d.items) for d in built.values()]
    folded = sum(len(i.duplicates) for d in built.values() for i in d.items)
    print(
        f"matches: {len(found)} (chat, passage) pairs; "
        f"{sum(n > 0 for n in items)} chats get a digest, {statistics.mean(items):.1f} "
        f"items each on average, {max(items)} at most; {folded} copies folded"
    )

    exact = pairs(found)
    steps["baseline: numpy per mention"] = measure(
        lambda: numpy_per_mention(watches, passages), 3, args.budget, heap=False
    )
    assert same_pairs(steps["baseline: numpy per mention"].result, exact), "numpy disagrees"
    subset_n = max(10, len(passages) // 20)
    subset = dict(list(passages.items())[:subset_n])
    share = sum(len(c.places) for c in subset.values()) / mentions
    slow = measure(lambda: pure_python(watches, subset), 1, args.budget, heap=False)
    assert same_pairs(slow.result, pairs(match_watches(watches, subset))), "Python disagrees"
    naive = slow.best / share

    print(
        f"\n{len(passages)} passages x {len(watches)} watches, {len(chat_ids)} chats; "
        f"up to {args.repeat} runs a step, none started after {args.budget:g} s"
    )
    print(
        f"{'step':<30} {'runs':>4} {'best s':>8} {'median s':>9} {'peak heap MB':>12} "
        f"{'peak RSS +MB':>12} {f'< {TARGET_S:g} s':>6}"
    )
    for name, step in steps.items():
        heap = "-" if step.heap_mb is None else f"{step.heap_mb:.1f}"
        rss = "-" if name.startswith("baseline") else f"{step.rss_mb:.1f}"
        print(
            f"{name:<30} {len(step.runs):>4} {step.best:>8.3f} "
            f"{statistics.median(step.runs):>9.3f} {heap:>12} {rss:>12} "
            f"{'yes' if step.best < TARGET_S else 'NO':>6}"
        )
    print(
        f"{'baseline: pure Python loop':<30} {1:>4} {naive:>8.3f} {'':>9} {'-':>12} {'-':>12} "
        f"{'yes' if naive < TARGET_S else 'NO':>6}"
    )
    print(
        f"  pure Python: {slow.best:.3f} s on the first {subset_n} passages "
        f"({share:.1%} of the mentions), extrapolated by mentions"
    )
    print(f"  build_digest for {len(chat_ids)} chats, (b) - (a): {b.best - a.best:.3f} s")
    print(f"  SQLite reads and the rest, (c) - (b): {c.best - b.best:.3f} s")
    print(
        "  heap '-': tracemalloc skipped where one run takes over half the budget; "
        "RSS +MB: growth of the peak during the first run"
    )
    ratio = steps["baseline: numpy per mention"].best / a.best
    print(f"ratio numpy per mention / (a) match_watches: {ratio:.2f}")
    print(f"ratio pure Python loop / (a) match_watches: {naive / a.best:.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
