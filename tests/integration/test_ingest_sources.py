"""Ingest through the application: files, folders, pages, feeds; bad input reported."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.app import App, build_app
from bot.settings import Settings
from conftest import LocalServer, Route, rss, sample_records, write_jsonl
from index.clock import ManualClock
from index.embeddings import HashEmbedder

PARA = (
    "Shelling damaged the railway station in Kostiantynivka overnight, regional officials "
    "said on Monday. Two people were wounded and a freight train caught fire. Repair crews "
    "began clearing the tracks at dawn, and the line to Druzhkivka is expected to reopen "
    "within two days if the strikes do not continue."
)


def page(title: str, body: str, date: str = "2026-11-18") -> bytes:
    return f"""<!doctype html><html><head><title>{title}</title>
<meta property="article:published_time" content="{date}T10:00:00Z"></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a> | Subscribe now</nav>
<article><h1>{title}</h1><p>{body}</p><p>{body.replace("overnight", "again on Tuesday")}</p>
</article><footer>Copyright 2026 Example Media. All rights reserved.</footer></body></html>
""".encode()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


def test_jsonl_then_ask_finds_the_article(fast_app: App, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "corpus.jsonl", sample_records())
    report = fast_app.ingest([str(path)])
    assert report.added == 14 and report.known == 0 and not report.failures
    assert report.passages >= 14
    answer = fast_app.knowledge.ask("37 drones shot down near Moscow airports")
    top = answer.hits[0].citation
    assert "moscow" in (top.article.url or "")
    text = next(r["text"] for r in sample_records() if r["url"] == top.article.url)
    assert text[top.passage.start : top.passage.end] == top.passage.text


def test_reingest_adds_nothing_same_url_or_same_text(fast_app: App, tmp_path: Path) -> None:
    records = sample_records()[:3]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    first = fast_app.ingest([str(path)])
    again = fast_app.ingest([str(path)])
    moved = write_jsonl(tmp_path / "b.jsonl", [{**r, "url": r["url"] + "?utm=x"} for r in records])
    copied = fast_app.ingest([str(moved)])
    assert (first.added, again.added, again.known) == (3, 0, 3)
    assert (copied.added, copied.known, copied.passages) == (0, 3, 0)
    assert fast_app.knowledge.stats().articles == 3


def test_bad_inputs_are_reported_and_the_rest_ingested(fast_app: App, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" * 50)
    (folder / "empty.md").write_text("")
    (folder / "report.txt").write_text("Floods in Kherson\n\n" + PARA)
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / ".hidden.txt").write_text("never read")
    lines = [
        '{"text": "Kupiansk: drones hit a fuel depot on the eastern bank of the Oskil river."}',
        "{not json",
        '{"title": "no text here"}',
        '["a list"]',
        '{"text": "Huliaipole came under artillery fire.", "published": "yesterday"}',
    ]
    (folder / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    report = fast_app.ingest([str(folder), str(tmp_path / "missing.txt"), closed_port_url()])
    reasons = {
        Path(f.where.split(" line ")[0]).name
        + (" " + f.where.split(" line ")[1] if " line " in f.where else ""): f.reason
        for f in report.failures
    }
    assert report.added == 2  # report.txt and the first JSONL line
    assert "binary" in reasons["binary.txt"]
    assert reasons["empty.md"] == "empty file"
    assert "invalid JSON" in reasons["mixed.jsonl 2"]
    assert "text" in reasons["mixed.jsonl 3"]
    assert "JSON object" in reasons["mixed.jsonl 4"]
    assert "ISO 8601" in reasons["mixed.jsonl 5"]
    assert reasons["missing.txt"] == "no such file or folder"
    assert "cannot connect" in reasons["feed.xml"]
    assert any("photo.jpg" in s for s in report.skipped)
    assert not any(".hidden" in f.where for f in report.failures)


def test_ten_megabyte_html_is_ingested_and_an_oversized_one_refused(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    big = tmp_path / "big.html"
    filler = "<div class='ad'><script>var x = 1;</script><span>Advert</span></div>" * 20_000
    big.write_bytes(
        page("Night strikes on Kostiantynivka", PARA)[:-16]
        + filler.encode() * 8
        + b"</body></html>"
    )
    assert big.stat().st_size > 10_000_000
    app = build_app(
        settings.replace(vector_index="numpy"), embedder=lambda: HashEmbedder(), clock=clock
    )
    small = build_app(
        settings.replace(
            vector_index="numpy", data_dir=tmp_path / "small", ingest_max_document_mb=5
        ),
        embedder=lambda: HashEmbedder(),
        clock=clock,
    )
    try:
        report = app.ingest([str(big)])
        assert report.added == 1, report.failures
        hit = app.knowledge.ask("railway station Kostiantynivka freight train").hits[0]
        assert "Advert" not in hit.citation.passage.text
        refused = small.ingest([str(big)])
        assert refused.added == 0 and "too large" in refused.failures[0].reason
    finally:
        app.close()
        small.close()


def test_feed_with_summaries_fetches_each_page(fast_app: App, http_server: LocalServer) -> None:
    s = http_server
    s.routes["/a.html"] = Route(page("Strikes on Kostiantynivka station", PARA))
    s.routes["/b.html"] = Route(b"<html><body></body></html>")  # no text: keep the summary
    s.routes["/feed.xml"] = Route(
        rss(
            [
                ("Strikes on Kostiantynivka", s.url("/a.html"), "Short summary of the strike."),
                ("Kupiansk update", s.url("/b.html"), "Drones hit a fuel depot in Kupiansk today."),
                ("Gone", s.url("/missing.html"), ""),
            ]
        ),
        "application/rss+xml",
    )
    report = fast_app.ingest([s.url("/feed.xml")])
    assert (report.added, len(report.failures)) == (2, 1)
    assert "404" in report.failures[0].reason and "missing.html" in report.failures[0].where
    assert {"/a.html", "/b.html", "/missing.html"} <= set(s.hits)
    hit = fast_app.knowledge.ask("freight train fire railway station").hits[0]
    assert hit.citation.article.url == s.url("/a.html")
    assert hit.citation.article.source == "Oskil Monitor"
    assert hit.citation.article.published is not None
    assert "Druzhkivka" in hit.citation.passage.text  # the page's full text, not the summary


def test_web_page_url_and_malformed_feed(fast_app: App, http_server: LocalServer) -> None:
    s = http_server
    s.routes["/story"] = Route(page("Kostiantynivka station hit", PARA))
    s.routes["/broken.xml"] = Route(b"<rss version='2.0'><<<< not a feed", "application/rss+xml")
    s.routes["/slow"] = Route(b"<html>late</html>", delay=3)
    app = fast_app
    app.reader.policy = type(app.reader.policy)(timeout=0.5)
    report = app.ingest([s.url("/broken.xml"), s.url("/story"), s.url("/slow"), s.url("/nope")])
    reasons = {f.where.rsplit("/", 1)[1]: f.reason for f in report.failures}
    assert report.added == 1
    assert "not a readable RSS/Atom feed" in reasons["broken.xml"]
    assert "timed out" in reasons["slow"]
    assert "404" in reasons["nope"]
    again = app.ingest([s.url("/story")])
    assert (again.added, again.known) == (0, 1)


def test_ask_with_nothing_ingested_and_empty_questions(fast_app: App) -> None:
    assert "empty" in (fast_app.knowledge.ask("Bakhmut").note or "")
    assert fast_app.knowledge.ask("?!...").note == "Ask about something: the question has no words."


def test_hostile_jsonl_lines_fail_alone_and_the_files_after_them_are_stored(
    fast_app: App, tmp_path: Path
) -> None:
    hostile = tmp_path / "a-hostile.jsonl"
    hostile.write_text(
        "\n".join(
            [
                '{"text": "x", "a": ' + "[" * 1000 + "]" * 1000 + "}",
                '{"text": "x", "published": 1' + "0" * 5000 + "}",
                '{"text": "Shelling near Siversk \\ud800 overnight."}',
                '{"text": "Drones were shot down near Kupiansk overnight, officials said."}',
            ]
        )
    )
    good = tmp_path / "b-good.jsonl"
    good.write_text('{"text": "A water station in Soledar was repaired on Monday."}\n')
    report = fast_app.ingest([str(tmp_path)])
    assert report.added == 2
    assert sorted(f.where for f in report.failures) == [
        f"{hostile} line 1",
        f"{hostile} line 2",
        f"{hostile} line 3",
    ]
