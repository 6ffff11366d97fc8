"""Ingest, questions and digests at once: no exception, and every answer cites stored passages.

    .venv/bin/python bench/stress.py                   # 60 s, NumPy and FAISS, hashing embedder
    .venv/bin/python bench/stress.py --seconds 10 --index faiss --ingesters 2 --askers 4

Several threads ingest new articles while several threads ask questions and one builds the
digests of watching chats, on one application, as the feed job, /ask and the digest tick do in
the running bot. Every answer is checked: each cited passage exists in SQLite with the text the
answer shows. Printed per backend: rounds of each kind, errors, bad citations, and question
latency percentiles beside the same questions asked with nothing else running (the baseline,
from the same run). The suite runs the short form (tests/integration/test_concurrency.py).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App
from bot.domain.watches import ChatSettings
from bot.service import Service

CACHE = Path(__file__).resolve().parent / ".cache"  # the compiled gazetteer, kept between runs
PLACES = ("Bakhmut", "Soledar", "Siversk", "Kramatorsk", "Kupiansk", "Pokrovsk", "Chasiv Yar")
WORDS = (
    "shelling damaged the water station school depot market clinic bridge power line "
    "residents evacuated drones artillery officials said overnight convoy repairs"
).split()
QUESTIONS = (
    "what happened near Bakhmut?",
    "shelling in Soledar",
    "drones near Kupiansk",
    "water station damaged",
    "evacuation from Siversk",
)


@dataclass
class StressReport:
    """What one stress run did and found."""

    ingest_rounds: int = 0
    articles: int = 0
    questions: int = 0
    digest_rounds: int = 0
    errors: list[str] = field(default_factory=list)
    bad_citations: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0


def article(rng: random.Random, worker: int, n: int) -> dict[str, object]:
    """A new report naming one or two of the places, distinct from every other."""
    places = rng.sample(PLACES, 2)
    words = " ".join(rng.choice(WORDS) for _ in range(40))
    return {
        "url": f"https://stress.example/{worker}/{n}",
        "title": f"Report {worker}-{n} from {places[0]}",
        "published": "2026-11-20T08:00:00Z",
        "source": f"Outlet {worker}",
        "text": f"In {places[0]}, {words}. Crews from {places[1]} were sent, report {worker}-{n}.",
    }


def check_answer(app: App, answer_hits: list[tuple[int, str]]) -> list[str]:
    """Cited passages that are not stored, or whose stored text differs from the answer's."""
    stored = app.knowledge.store.citations([pid for pid, _ in answer_hits])
    bad = []
    for pid, text in answer_hits:
        if pid not in stored:
            bad.append(f"passage {pid} is cited but not stored")
        elif stored[pid][0].text != text:
            bad.append(f"passage {pid} is cited with text that is not its own")
    return bad


def run(
    app: App,
    workdir: Path,
    rounds: int,
    ingesters: int = 2,
    askers: int = 3,
    per_round: int = 4,
    chats: int = 5,
    until: Callable[[], bool] | None = None,
) -> StressReport:
    """Run ingesters (``rounds`` ingests of ``per_round`` articles each, or until ``until``
    says stop), askers and one digest builder together; askers and the builder go on until
    every ingester is done."""
    import json

    report = StressReport()
    lock = threading.Lock()
    done = threading.Event()
    service = Service(app)
    for chat in range(1, chats + 1):
        app.watching.watch(chat, f"{PLACES[chat % len(PLACES)]} 30", app.clock.now())

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def body() -> None:
            try:
                work()
            except Exception:
                with lock:
                    report.errors.append(traceback.format_exc())

        return body

    def ingester(worker: int) -> None:
        rng = random.Random(worker)
        n = 0
        while (n < rounds) if until is None else not until():
            records = [article(rng, worker, n * per_round + i) for i in range(per_round)]
            path = workdir / f"w{worker}-{n}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
            added = app.ingest([str(path)]).added
            with lock:
                report.ingest_rounds += 1
                report.articles += added
            n += 1

    def asker(worker: int) -> None:
        rng = random.Random(1000 + worker)
        while not done.is_set():
            started = time.perf_counter()
            answer = app.knowledge.ask(rng.choice(QUESTIONS))
            took = time.perf_counter() - started
            cited = [(h.citation.passage.id, h.citation.passage.text) for h in answer.hits]
            cited += [(d.passage.id, d.passage.text) for h in answer.hits for d in h.duplicates]
            bad = check_answer(app, cited)
            with lock:
                report.questions += 1
                report.latencies.append(took)
                report.bad_citations.extend(bad)

    def digest_builder() -> None:
        wanted = [ChatSettings(chat_id) for chat_id in range(1, chats + 1)]
        while not done.is_set():
            service.digests.pending(wanted)
            with lock:
                report.digest_rounds += 1

    started = time.perf_counter()
    writers = [threading.Thread(target=guarded(lambda w=w: ingester(w))) for w in range(ingesters)]
    readers = [threading.Thread(target=guarded(lambda w=w: asker(w))) for w in range(askers)]
    readers.append(threading.Thread(target=guarded(digest_builder)))
    for thread in [*writers, *readers]:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    report.seconds = time.perf_counter() - started
    return report


def baseline(app: App, questions: int) -> list[float]:
    """Question latencies with nothing else running."""
    rng = random.Random(7)
    out = []
    for _ in range(questions):
        started = time.perf_counter()
        app.knowledge.ask(rng.choice(QUESTIONS))
        out.append(time.perf_counter() - started)
    return out


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.1f}"


def main() -> int:
    import argparse

    from bot.app import build_app
    from bot.settings import Settings
    from index.embeddings import HashEmbedder

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="ingest for this long")
    parser.add_argument("--index", choices=("numpy", "faiss", "both"), default="both")
    parser.add_argument("--ingesters", type=int, default=2)
    parser.add_argument("--askers", type=int, default=3)
    args = parser.parse_args()
    kinds = ("numpy", "faiss") if args.index == "both" else (args.index,)
    print(
        f"{args.ingesters} ingesters, {args.askers} askers and 1 digest builder for "
        f"{args.seconds:g} s per backend; hashing embedder, real SQLite and gazetteer"
    )
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings.load(
                env={}, data_dir=Path(tmp) / "data", places_cache=CACHE / "gazetteer.bin"
            )
            app = build_app(
                settings.replace(vector_index=kind, ask_threshold=0.2), embedder=HashEmbedder
            )
            try:
                sample = Path(__file__).resolve().parent.parent / "bot" / "sample" / "corpus.jsonl"
                app.ingest([str(sample)])
                before = baseline(app, 200)
                deadline = time.monotonic() + args.seconds
                report = run(
                    app,
                    Path(tmp),
                    rounds=0,
                    ingesters=args.ingesters,
                    askers=args.askers,
                    until=lambda end=deadline: time.monotonic() > end,
                )
            finally:
                app.close()
        print(f"\n[{kind}] {report.seconds:.1f} s")
        print(
            f"  ingest rounds {report.ingest_rounds} ({report.articles} articles, "
            f"{report.articles / report.seconds:.1f}/s), questions {report.questions} "
            f"({report.questions / report.seconds:.1f}/s), digest rounds {report.digest_rounds}"
        )
        print(f"  errors {len(report.errors)}, bad citations {len(report.bad_citations)}")
        for line in (report.errors + report.bad_citations)[:5]:
            print("   ", line.strip().splitlines()[-1])
        print("  question latency        p50 ms   p95 ms   p99 ms   mean ms")
        for name, values in (("alone (baseline)", before), ("under load", report.latencies)):
            mean = f"{1000 * statistics.fmean(values):.1f}" if values else "-"
            print(
                f"  {name:<22}{_ms(values, 0.5):>8} {_ms(values, 0.95):>8} "
                f"{_ms(values, 0.99):>8} {mean:>9}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
