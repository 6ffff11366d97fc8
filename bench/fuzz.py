"""Hostile inputs, generated: every ingest format, questions and place lookups; how many failed.

    .venv/bin/python bench/fuzz.py                      # 300 inputs per target
    .venv/bin/python bench/fuzz.py --examples 2000 --target jsonl --target feed

Each target draws inputs with hypothesis and checks what a user would notice, not just "no
exception": an ingest run over a hostile file beside a good one stores the good one and reports
the hostile one (stored, known or failed: never lost, never a crash); a JSONL file accounts for
every line; a feed never leaves a citation that is not an http(s) URL; a question gets an
answer or a clear error, and its answer renders as HTML that Telegram accepts; a place lookup
returns spans that point into the text. Printed per target: inputs tried, inputs that failed,
and the first failures. The suite runs the same checks with a small budget
(tests/integration/test_fuzz.py).
"""

from __future__ import annotations

import codecs
import json
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App
from bot.emulator.markup import plain_text
from bot.render.html import answer_html, report_html
from bot.render.text import answer_text
from index.errors import SitrepError
from index.places.geoparse import find_places

CACHE = Path(__file__).resolve().parent / ".cache"  # the compiled gazetteer, kept between runs
GOOD_TEXT = (
    "Overnight shelling damaged the water station in Siversk, officials said on Monday. "
    "Repair crews from Kramatorsk reached the town by noon and restored power to the clinic."
)
SUFFIXES = (".txt", ".md", ".html", ".htm", ".xml", ".rss", ".atom", ".jsonl", ".ndjson", "")

# -- strategies -------------------------------------------------------------------------------

# Text with what breaks parsers: controls and NUL, surrogate-free astral characters, line and
# paragraph separators that str.splitlines() splits on, markup, entities, right-to-left text.
_NASTY = st.sampled_from(
    [
        "\x00",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x85",
        "\u2028",
        "\u2029",
        "\ufeff",
        "\r",
        "\r\n",
        "<",
        "&amp;",
        "&#0;",
        "&nbsp;",
        "]]>",
        "<![CDATA[",
        "<b>",
        "</a>",
        "<script>x</script>",
        "Бахмут",
        "Сіверськ",
        "حلب",
        "𝔘𝔫𝔦",
        "\u202e",
        " Siversk ",
        " Bakhmut, 15 km ",
    ]
)
hostile_text = st.lists(st.one_of(st.text(max_size=20), _NASTY), max_size=30).map("".join)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**40),
    st.floats(allow_nan=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_FIELDS = ("url", "title", "published", "source", "language", "text")
records = st.dictionaries(
    st.one_of(st.sampled_from(_FIELDS), st.text(max_size=6)),
    st.one_of(json_values, hostile_text),
    max_size=7,
)
# One JSONL line as bytes: a record, any JSON, any text, or any bytes (invalid UTF-8 too).
jsonl_line = st.one_of(
    records.map(lambda r: json.dumps(r).encode()),
    records.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "replace")),
    json_values.map(lambda v: json.dumps(v).encode()),
    hostile_text.map(lambda t: t.encode("utf-8", "replace")),
    st.binary(max_size=60),
    st.integers(1, 400).map(lambda n: b'{"text":"deep","a":' + b"[" * n + b"]" * n + b"}"),
)
jsonl_files = st.lists(jsonl_line.map(lambda b: b.replace(b"\n", b" ")), max_size=12)

_SCHEMES = st.sampled_from(
    ["http", "https", "HTTP", "HtTpS", "ftp", "file", "javascript", "data", "mailto", ""]
)
links = st.one_of(
    st.builds(
        lambda scheme, path: f"{scheme}://news.example/{path}" if scheme else f"/{path}",
        _SCHEMES,
        st.text("abc/?&=%#[]:", max_size=12),
    ),
    st.sampled_from(["file:///etc/passwd", "http://[::1", "javascript:alert(1)", "", "http://"]),
)


def _rss_item(title: str, body: str, link: str, cdata: bool) -> str:
    text = f"<![CDATA[{body.replace(']]>', '')}]]>" if cdata else _xml_escape(body)
    return (
        f"<item><title>{_xml_escape(title)}</title><link>{_xml_escape(link)}</link>"
        f"<description>{text}</description></item>"
    )


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _feed(items: list[tuple[str, str, str, bool]], atom: bool) -> bytes:
    if atom:
        entries = "".join(
            f'<entry><title>{_xml_escape(title)}</title><link href="{_xml_escape(link)}"/>'
            f"<summary>{_xml_escape(body)}</summary></entry>"
            for title, body, link, _ in items
        )
        xml = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>{entries}</feed>'
    else:
        entries = "".join(_rss_item(*item) for item in items)
        xml = f'<rss version="2.0"><channel><title>F</title>{entries}</channel></rss>'
    return ('<?xml version="1.0"?>' + xml).encode("utf-8", "replace")


feeds = st.builds(
    _feed,
    st.lists(
        st.tuples(hostile_text, st.one_of(hostile_text, st.just(GOOD_TEXT)), links, st.booleans()),
        max_size=5,
    ),
    st.booleans(),
)

_TAGS = ("p", "div", "span", "b", "a", "table", "tr", "td", "script", "style", "article", "h1")
html_pages = st.recursive(
    hostile_text,
    lambda inner: st.builds(
        lambda tag, parts: f"<{tag}>{''.join(parts)}</{tag}>",
        st.sampled_from(_TAGS),
        st.lists(inner, max_size=4),
    ),
    max_leaves=25,
).map(lambda body: f"<html><head><title>t</title></head><body>{body}</body></html>".encode())

any_file = st.tuples(
    st.one_of(
        st.binary(max_size=400),
        hostile_text.map(lambda t: t.encode("utf-8", "replace")),
        hostile_text.map(lambda t: t.encode("utf-16")),
        html_pages,
        feeds,
        jsonl_files.map(lambda lines: b"\n".join(lines)),
    ),
    st.sampled_from(SUFFIXES),
)
questions = st.one_of(
    hostile_text,
    st.builds(
        lambda place, km: f"what happened near {place} within {km} km?",
        st.sampled_from(["Siversk", "Бахмут", "<b>Soledar</b>", "", "Kupiansk & Izium"]),
        st.one_of(st.integers(), st.floats(), st.text("0123456789.e-", max_size=30)),
    ),
)

# -- checks: each raises AssertionError (or the unexpected exception) on a failure -----------


@dataclass
class Workspace:
    """An application and a folder to write inputs into; ``good`` counts the good files."""

    app: App
    folder: Path
    serial: int = 0

    def file(self, data: bytes, suffix: str) -> Path:
        self.serial += 1
        path = self.folder / f"input-{self.serial}{suffix}"
        path.write_bytes(data)
        return path

    def good_file(self) -> tuple[Path, str]:
        """A good text file, distinct from every other, and its URL once stored."""
        self.serial += 1
        path = self.folder / f"good-{self.serial}.txt"
        path.write_text(f"Report {self.serial}\n\n{GOOD_TEXT} Serial {self.serial}.\n")
        return path, path.resolve().as_uri()


def _ingest_beside_good(ws: Workspace, path: Path) -> None:
    """Ingest a hostile file then a good one: no exception, the good one stored, the hostile
    one accounted for (stored, known, failed or skipped), the report valid Telegram HTML."""
    good, good_url = ws.good_file()
    report = ws.app.ingest([str(path), str(good)])
    assert ws.app.knowledge.store.has_url(good_url), f"the good file was lost: {report}"
    accounted = report.added - 1 + report.known + len(report.failures) + len(report.skipped)
    assert accounted >= 1, f"{path.name} neither stored nor reported: {report}"
    plain_text(report_html(report), "HTML")


def check_any_file(ws: Workspace, example: tuple[bytes, str]) -> None:
    """Any bytes under any suffix: stored or reported, never a crash, the good file kept."""
    data, suffix = example
    _ingest_beside_good(ws, ws.file(data, suffix))


def check_jsonl(ws: Workspace, lines: list[bytes]) -> None:
    """A JSONL file of hostile lines: every non-blank line is stored, known or failed."""
    data = b"\n".join(lines)
    path = ws.file(data, ".jsonl")
    good, good_url = ws.good_file()
    report = ws.app.ingest([str(path), str(good)])
    assert ws.app.knowledge.store.has_url(good_url), f"the good file was lost: {report}"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return  # decoded whole as UTF-16: its lines are not these lines
    if lines and lines[0].startswith(codecs.BOM_UTF8):  # the file's BOM, not the line's
        lines = [lines[0].removeprefix(codecs.BOM_UTF8), *lines[1:]]
    nonblank = sum(1 for line in lines if line.strip(b" \t\r\n"))
    failed = sum(1 for f in report.failures if f.where.startswith(str(path)))
    accounted = report.added - 1 + report.known + failed
    # A file may fail whole ("empty file", "binary file") only when no line starts a record.
    whole = failed == 1 and not any(line.lstrip().startswith(b"{") for line in lines)
    assert accounted == nonblank or whole, (
        f"{nonblank} lines, but {report.added - 1} stored, {report.known} known, "
        f"{failed} failed: {[f.reason for f in report.failures]}"
    )


def check_feed(ws: Workspace, data: bytes) -> None:
    """A hostile feed: stored or reported, and no citation that is not an http(s) URL."""
    before = _last_article_id(ws)
    _ingest_beside_good(ws, ws.file(data, ".xml"))
    with sqlite3.connect(ws.app.settings.db_path) as db:
        rows = db.execute("SELECT url FROM articles WHERE id > ?", (before,)).fetchall()
    good = ws.folder.resolve().as_uri() + "/good-"
    for (url,) in rows:
        if url is not None and not url.startswith(good):
            assert url.lower().startswith(("http://", "https://")), f"a feed item cited {url!r}"


def _last_article_id(ws: Workspace) -> int:
    with sqlite3.connect(ws.app.settings.db_path) as db:
        return int(db.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0])


def check_html(ws: Workspace, data: bytes) -> None:
    """A generated page: stored or reported, never a crash."""
    _ingest_beside_good(ws, ws.file(data, ".html"))


def check_question(ws: Workspace, question: str) -> None:
    """A question gets an answer or a clear error; the answer renders in text and as HTML."""
    try:
        answer = ws.app.knowledge.ask(question)
    except SitrepError as exc:
        assert str(exc).strip(), "an error without a message"
        return
    answer_text(answer)
    for message in answer_html(answer):
        plain_text(message, "HTML")


def check_places(ws: Workspace, text: str) -> None:
    """A place lookup over any text: every span points into the text at its surface."""
    places = ws.app.places
    for m in find_places(text, places.gazetteer, places.hot_context(), 0.0):
        assert 0 <= m.start < m.end <= len(text), (m.start, m.end, len(text))
        assert text[m.start : m.end] == m.surface, (text[m.start : m.end], m.surface)


TARGETS: dict[str, tuple[st.SearchStrategy[object], Callable[[Workspace, object], None]]] = {
    "file": (any_file, check_any_file),  # type: ignore[dict-item]
    "jsonl": (jsonl_files, check_jsonl),  # type: ignore[dict-item]
    "feed": (feeds, check_feed),  # type: ignore[dict-item]
    "html": (html_pages, check_html),  # type: ignore[dict-item]
    "question": (questions, check_question),  # type: ignore[dict-item]
    "places": (hostile_text, check_places),  # type: ignore[dict-item]
}

# -- the runner ------------------------------------------------------------------------------


@dataclass
class FuzzReport:
    """What one target's run tried and found."""

    target: str
    tried: int = 0
    failures: list[tuple[object, str]] = field(default_factory=list)
    seconds: float = 0.0


def fuzz(ws: Workspace, target: str, examples: int, seed: int = 0) -> FuzzReport:
    """Draw ``examples`` inputs for ``target`` and check each; failures are counted, not
    raised, so the run goes on and says how many inputs of how many failed."""
    strategy, check = TARGETS[target]
    report = FuzzReport(target)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(example: object) -> None:
        report.tried += 1
        try:
            check(ws, example)
        except Exception as exc:  # counted: a failure of the checked code or of the check
            report.failures.append((example, _describe(exc)))

    started = time.perf_counter()
    from hypothesis import seed as hypothesis_seed

    hypothesis_seed(seed)(run)()
    report.seconds = time.perf_counter() - started
    return report


def _describe(exc: BaseException) -> str:
    """The exception's last line and where it was raised (the deepest frame in Sitrep's
    code, and the deepest of all if that is elsewhere)."""
    frames = traceback.extract_tb(exc.__traceback__)
    root = str(Path(__file__).resolve().parent.parent)
    ours = [f for f in frames if f.filename.startswith(root) and "/.venv/" not in f.filename]
    where = [f for f in (ours[-1:] + frames[-1:]) if f is not None]
    at = " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(where))
    return f"{traceback.format_exception_only(exc)[-1].strip()} (at {at})"


def main() -> int:
    import argparse

    from bot.app import build_app
    from bot.settings import Settings
    from index.embeddings import HashEmbedder

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=300, help="inputs per target")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    targets = args.target or list(TARGETS)
    print(f"{args.examples} inputs per target, seed {args.seed}; hashing embedder, real SQLite")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        settings_ = Settings.load(
            env={}, data_dir=Path(tmp) / "data", places_cache=CACHE / "gazetteer.bin"
        )
        app = build_app(
            settings_.replace(vector_index="numpy", ask_threshold=0.2),
            embedder=HashEmbedder,
            transport=page_server(),
        )
        try:
            app.ingest([str(Path(__file__).resolve().parent.parent / "bot/sample/corpus.jsonl")])
            folder = Path(tmp) / "inputs"
            folder.mkdir()
            ws = Workspace(app, folder)
            print(f"{'target':<10}{'tried':>8}{'failed':>8}{'seconds':>9}")
            for target in targets:
                report = fuzz(ws, target, args.examples, args.seed)
                failed += len(report.failures)
                print(
                    f"{target:<10}{report.tried:>8}{len(report.failures):>8}{report.seconds:>9.1f}"
                )
                for example, why in report.failures[:3]:
                    print(f"    {why}\n      input: {example!r:.300}")
        finally:
            app.close()
    return 1 if failed else 0


def page_server() -> httpx.MockTransport:
    """Feed items' pages: some found (a short article), some 404, some not HTML."""

    def answer(request: httpx.Request) -> httpx.Response:
        digest = sum(str(request.url).encode()) % 3
        if digest == 0:
            page = f"<html><body><article><p>{GOOD_TEXT}</p></article></body></html>"
            return httpx.Response(200, html=page)
        if digest == 1:
            return httpx.Response(404, text="Not found.")
        return httpx.Response(200, content=b"\x89PNG\r\n", headers={"content-type": "image/png"})

    return httpx.MockTransport(answer)


if __name__ == "__main__":
    raise SystemExit(main())
