"""Feed polling: hundreds of RSS feeds served locally, wall time and CPU of two polls.

    .venv/bin/python bench/feeds.py                 # 500 feeds of 10 items
    .venv/bin/python bench/feeds.py --quick         # 50 feeds, a smoke run
    .venv/bin/python bench/feeds.py --feeds 500 --items 10 --repeat 2

The issue's question: feed polling of 500 feeds served locally, wall time and CPU.

A second process (this script with a hidden ``--serve``) serves ``--feeds`` distinct RSS
feeds from a ThreadingHTTPServer on a free port of 127.0.0.1, HTTP/1.1 with keep-alive.
Each feed has ``--items`` items of about 150 words naming towns of the front (bench/corpus.py),
the full text in ``<description>``, so the reader takes it as is and fetches no item page
(the item links point at the same server, and the run checks that none was requested).
Each feed has an ETag and a Last-Modified date and is answered 304 when a request carries a
matching If-None-Match (or, without one, an If-Modified-Since not older than the feed). The
server stops when this script closes its stdin (or exits), and reports its own CPU time.

The application is the real one, ``build_app`` on a temporary data dir with the hashing
embedder and the NumPy index, so that ingest goes through the normal path (fetch in 8
threads, parse, split, geoparse, de-duplicate, store in SQLite with FTS5, index the vectors,
record each poll) without the model's cost: embedding is measured by bench/ingest.py. The
hashing embedder is pure Python and not free; its time is shown apart ("hash embed s"). The
feeds are followed with ``app.feeds.follow``; then, timed:
  round 1  ``app.feeds.poll_due()``: every feed is new, fetched and ingested;
  round 2  ``poll_due()`` again with the poller's clock moved past the poll interval, so
           every feed is due; each request carries the validators and is answered 304.
Each repetition starts from a new data dir and a freshly loaded gazetteer (the geoparser's
memo starts cold); the best repetition of each round is shown, with its CPU time.
CPU is ``time.process_time()`` of this process (all its threads); CPU/wall over 1 means
more than one core was busy. The server's CPU is its own process's, shown apart.
Baselines in the same run, with one ``httpx.Client``: plain GETs of every feed URL one after
another and in 8 threads (what the bare transfers cost), and GETs with If-None-Match in
8 threads (304s: what round 2 cannot go below); best of 3 each.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import gc
import html
import json
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import SOURCES, paragraph  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.domain.feeds import PollOutcome  # noqa: E402
from bot.settings import Settings  # noqa: E402
from index.clock import ManualClock  # noqa: E402
from index.embeddings import HashEmbedder  # noqa: E402
from index.places.cache import GazetteerFiles  # noqa: E402
from index.places.gazetteer import Gazetteer, load_gazetteer  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SCOPE = ("UA", "RU", "BY", "MD")
WORDS = 150  # per item, over FetchPolicy.summary_words (120): no item page is fetched
THREADS = 8  # FeedPoller's default workers


# -- the server (a separate process) --------------------------------------------------------


def feed_documents(feeds: int, items: int, seed: int) -> list[bytes]:
    """``feeds`` RSS documents of ``items`` distinct items each (paths /feed/N.xml)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    for f in range(feeds):
        entries = []
        for i in range(items):
            text = ""
            while not text or text in seen:
                text = "\n\n".join(paragraph(rng, WORDS // 2) for _ in range(2))
            seen.add(text)
            body = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
            when = email.utils.formatdate(1_790_000_000 - f * 600 - i * 3600, usegmt=True)
            link = f"/item/{f}/{i}"
            entries.append(
                f"<item><title>{html.escape(text.split('.')[0][:80])}</title>"
                f"<link>{{base}}{link}</link><guid>{{base}}{link}</guid>"
                f"<pubDate>{when}</pubDate>"
                f"<description>{html.escape(body)}</description></item>"
            )
        source = f"{SOURCES[f % len(SOURCES)]} {f}"
        out.append(
            (
                '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                f"<title>{source}</title><link>{{base}}/</link>"
                f"<description>Synthetic feed {f}</description>{''.join(entries)}"
                "</channel></rss>\n"
            ).encode()
        )
    return out


def serve(feeds: int, items: int, seed: int) -> None:
    """Serve the feeds until stdin closes; print the port first."""
    documents = feed_documents(feeds, items, seed)
    modified_at = time.time() - 3600
    last_modified = email.utils.formatdate(modified_at, usegmt=True)
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx would get from a real server
        # Headers and body go out in two writes: with Nagle on, each response on a kept-alive
        # connection would wait ~40 ms for the client's delayed ACK (real servers set it too).
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            path = self.path
            if path == "/_stats":
                with lock:
                    stats = {**counts, "cpu_s": time.process_time()}
                self._send(200, json.dumps(stats).encode(), "application/json")
                return
            if path.startswith("/item/"):
                with lock:
                    counts["item pages"] += 1
                self._send(200, b"<html><body><p>An item page.</p></body></html>", "text/html")
                return
            name = path.removeprefix("/feed/").removesuffix(".xml")
            if not path.startswith("/feed/") or not name.isdigit() or int(name) >= feeds:
                self._send(404, b"not found", "text/plain")
                return
            etag = f'"feed-{name}-v1"'
            if self._unchanged(etag):
                with lock:
                    counts["304"] += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", last_modified)
                self.end_headers()
                return
            with lock:
                counts["200"] += 1
            headers = {"ETag": etag, "Last-Modified": last_modified}
            self._send(200, bodies[int(name)], "application/rss+xml; charset=utf-8", headers)

        def _unchanged(self, etag: str) -> bool:
            tags = self.headers.get("If-None-Match")
            if tags is not None:
                return tags.strip() == "*" or etag in (t.strip() for t in tags.split(","))
            since = self.headers.get("If-Modified-Since")
            if since is None:
                return False
            try:
                return email.utils.parsedate_to_datetime(since).timestamp() >= int(modified_at)
            except (TypeError, ValueError):
                return False

        def _send(
            self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # the default 5 drops connections under 8 clients

    httpd = Server(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    bodies.extend(doc.replace(b"{base}", base.encode()) for doc in documents)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    print(base, flush=True)
    sys.stdin.read()  # until the benchmark closes the pipe (or dies)
    httpd.shutdown()
    httpd.server_close()


@dataclass
class LocalFeeds:
    """The server process, seen from the benchmark."""

    base: str
    process: subprocess.Popen[str]

    def urls(self, feeds: int) -> list[str]:
        return [f"{self.base}/feed/{n}.xml" for n in range(feeds)]

    def stats(self) -> Counter[str]:
        got = json.loads(httpx.get(f"{self.base}/_stats").text)
        cpu = float(got.pop("cpu_s"))
        out = Counter({k: int(v) for k, v in got.items()})
        out["cpu_ms"] = round(cpu * 1000)
        return out

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(feeds: int, items: int, seed: int) -> LocalFeeds:
    cmd = [sys.executable, __file__, "--serve", str(feeds), str(items), str(seed)]
    process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    base = process.stdout.readline().strip()
    if not base.startswith("http://127.0.0.1:"):
        process.kill()
        raise SystemExit(f"the feed server did not start (said {base!r})")
    return LocalFeeds(base, process)


# -- the benchmark ---------------------------------------------------------------------------


@dataclass
class Run:
    """One timed step: wall and CPU seconds, the server's requests and CPU meanwhile."""

    wall: float
    cpu: float
    server: Counter[str]
    articles: int = 0
    embed: float = 0.0  # seconds in the hashing embedder


class TimedEmbedder:
    """The hashing embedder, timed: pure Python, it is cheap next to the model but not free."""

    def __init__(self) -> None:
        self.inner = HashEmbedder()
        self.name, self.dim = self.inner.name, self.inner.dim
        self.seconds = 0.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        t = time.perf_counter()
        try:
            return self.inner.encode(texts)
        finally:
            self.seconds += time.perf_counter() - t


def timed(server: LocalFeeds, fn: Callable[[], int]) -> Run:
    """Run ``fn`` (which returns how many articles it ingested) and measure it."""
    gc.collect()
    before = server.stats()
    wall, cpu = time.perf_counter(), time.process_time()
    articles = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = server.stats()
    after.subtract(before)
    return Run(wall, cpu, after, articles)


def gazetteer() -> Gazetteer:
    """The default gazetteer, compiled once into bench/.cache, loaded afresh on each call."""
    return load_gazetteer(
        GazetteerFiles(
            cache=CACHE / "gazetteer.bin",
            extra_dir=CACHE / "gazetteer-extra",
            overrides=ROOT / "config" / "places.toml",
            scope=SCOPE,
        )
    )


def baselines(server: LocalFeeds, urls: list[str], repeat: int) -> dict[str, Run]:
    """Bare GETs of every feed, one after another and in threads; conditional GETs."""
    out: dict[str, Run] = {}
    with httpx.Client() as client:
        etags = {url: client.get(url).headers["etag"] for url in urls}  # untimed

        def get(url: str) -> int:
            client.get(url).raise_for_status()
            return 0

        def get_if_changed(url: str) -> int:
            response = client.get(url, headers={"If-None-Match": etags[url]})
            assert response.status_code == 304, response.status_code
            return 0

        def sequential() -> int:
            for url in urls:
                get(url)
            return 0

        def threaded(fn: Callable[[str], int]) -> Callable[[], int]:
            def run() -> int:
                with ThreadPoolExecutor(THREADS) as pool:
                    list(pool.map(fn, urls))
                return 0

            return run

        steps = {
            "GET, sequential": sequential,
            f"GET, {THREADS} threads": threaded(get),
            f"GET If-None-Match, {THREADS} threads": threaded(get_if_changed),
        }
        for name, fn in steps.items():
            runs = [timed(server, fn) for _ in range(repeat)]
            out[name] = min(runs, key=lambda r: r.wall)
    return out


def poll_rounds(
    server: LocalFeeds, urls: list[str], data_dir: Path
) -> tuple[Run, Run, int, list[str]]:
    """A fresh app follows the feeds and polls twice: (round 1, round 2, passages, problems)."""
    gaz = gazetteer()
    settings = Settings.load(
        env={}, data_dir=data_dir, vector_index="numpy", telegram_allow_private_urls=True
    )
    embedder = TimedEmbedder()
    clock = ManualClock(datetime.now(UTC))  # the bench moves it a poll interval on
    app = build_app(settings, embedder=lambda: embedder, gazetteer=lambda: gaz, clock=clock)
    problems: list[str] = []
    try:
        app.feeds.follow(urls)
        outcomes: list[PollOutcome] = []

        def poll() -> int:
            outcomes[:] = app.feeds.poll_due()
            return sum(o.added for o in outcomes)

        first = timed(server, poll)
        first.embed, embedder.seconds = embedder.seconds, 0.0
        statuses = Counter(o.status for o in outcomes)
        if statuses != Counter({"new": len(urls)}):
            problems.append(f"round 1 outcomes: {dict(statuses)}")
            problems.extend(f"  {o.url}: {o.error}" for o in outcomes if o.error)
        clock.advance(app.feeds.interval + timedelta(minutes=1))
        second = timed(server, poll)
        second.embed = embedder.seconds
        statuses = Counter(o.status for o in outcomes)
        if statuses != Counter({"not modified": len(urls)}):
            problems.append(f"round 2 outcomes: {dict(statuses)}")
        passages = app.knowledge.store.stats().passages
    finally:
        app.close()
    return first, second, passages, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=10, help="items per feed")
    parser.add_argument("--repeat", type=int, default=2, help="fresh apps polling twice each")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--quick", action="store_true", help="ten times fewer feeds")
    parser.add_argument("--serve", type=int, nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    if args.quick:
        args.feeds = max(1, args.feeds // 10)
    t = time.perf_counter()
    gazetteer()  # compiled into the cache once, if need be
    import feedparser  # noqa: F401  (imported by the reader on first use: not timed)
    import lxml.html  # noqa: F401

    server = start_server(args.feeds, args.items, args.seed)
    try:
        urls = server.urls(args.feeds)
        print(
            f"{args.feeds} feeds x {args.items} items ({args.feeds * args.items} articles of "
            f"~{WORDS} words, full text in <description>) served by another process on "
            f"{server.base}; setup {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        runs = baselines(server, urls, 3)
        firsts, seconds, problems = [], [], []
        with tempfile.TemporaryDirectory(prefix="sitrep-bench-") as tmp:
            for n in range(args.repeat):
                first, second, passages, trouble = poll_rounds(server, urls, Path(tmp) / f"data{n}")
                firsts.append(first)
                seconds.append(second)
                problems.extend(trouble)
                print(
                    f"  repetition {n + 1}: round 1 {first.wall:.2f} s wall, {first.cpu:.2f} s "
                    f"CPU, {first.articles} articles, {passages} passages; round 2 "
                    f"{second.wall:.2f} s wall, {second.cpu:.2f} s CPU",
                    flush=True,
                )
        runs["round 1: poll_due, all new"] = min(firsts, key=lambda r: r.wall)
        runs["round 2: poll_due, all 304"] = min(seconds, key=lambda r: r.wall)
    finally:
        server.stop()

    print(
        f"\n{args.feeds} feeds; baselines best of 3, rounds best of {args.repeat} "
        "(CPU and server figures from the same run)"
    )
    print(
        f"{'step':<34} {'wall s':>7} {'CPU s':>7} {'CPU/wall':>8} {'feeds/s':>8} "
        f"{'articles':>8} {'200':>5} {'304':>5} {'server CPU s':>12} {'hash embed s':>12}"
    )
    for name, run in runs.items():
        print(
            f"{name:<34} {run.wall:>7.2f} {run.cpu:>7.2f} {run.cpu / run.wall:>8.2f} "
            f"{args.feeds / run.wall:>8.0f} {run.articles:>8} {run.server['200']:>5} "
            f"{run.server['304']:>5} {run.server['cpu_ms'] / 1000:>12.2f} {run.embed:>12.2f}"
        )
    r1, r2 = runs["round 1: poll_due, all new"], runs["round 2: poll_due, all 304"]
    get8 = runs[f"GET, {THREADS} threads"]
    cond8 = runs[f"GET If-None-Match, {THREADS} threads"]
    print(
        f"round 1: {r1.articles / r1.wall:.0f} articles/s, "
        f"{r1.cpu / max(1, r1.articles) * 1000:.2f} ms CPU per article"
    )
    print(f"ratio round 1 / GET {THREADS} threads (wall): {r1.wall / get8.wall:.1f}")
    print(
        f"ratio round 1 without the hashing embedder / GET {THREADS} threads (wall): "
        f"{(r1.wall - r1.embed) / get8.wall:.1f}"
    )
    print(f"ratio round 2 / GET If-None-Match {THREADS} threads (wall): {r2.wall / cond8.wall:.1f}")
    print(f"ratio round 2 / round 1 (wall): {r2.wall / r1.wall:.3f}")
    pages = sum(r.server["item pages"] for r in (*firsts, *seconds))
    if pages:
        problems.append(f"{pages} item pages were fetched: the feeds' text was taken as a summary")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
