"""Reading sources into articles, without the network; and the --since time window."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from index.dates import parse_since
from index.errors import QueryError, SourceError
from index.ingest.formats import (
    article_from_record,
    decode_text,
    html_article,
    html_to_text,
    parse_jsonl,
    text_article,
)
from index.ingest.sources import SourceReader
from index.models import Article, IngestFailure
from tests.conftest import offline_reader

# -- JSONL ---------------------------------------------------------------------------------

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_parse_jsonl_reports_bad_lines_by_number_and_keeps_going() -> None:
    lines = [
        json.dumps({"text": "Shelling near Siversk.", "title": "Siversk", "url": "https://a/1"}),
        "{not json",
        "",
        json.dumps({"title": "no text here"}),
        json.dumps(["a", "list"]),
        json.dumps({"text": "   "}),
        json.dumps({"text": "Drones over Kharkiv.", "published": "2026-11-01T10:00:00Z"}),
    ]
    items = list(parse_jsonl("\n".join(lines), "feed.jsonl"))
    articles = [i for i in items if isinstance(i, Article)]
    failures = [i for i in items if isinstance(i, IngestFailure)]
    assert [a.text for a in articles] == ["Shelling near Siversk.", "Drones over Kharkiv."]
    assert articles[0].title == "Siversk"
    assert articles[0].url == "https://a/1"
    assert [f.where for f in failures] == [
        "feed.jsonl line 2",
        "feed.jsonl line 4",
        "feed.jsonl line 5",
        "feed.jsonl line 6",
    ]
    assert "invalid JSON" in failures[0].reason
    assert "text" in failures[1].reason
    assert "JSON object" in failures[2].reason
    # Items come out in file order, so a report lists them as the file has them.
    assert [type(i) for i in items] == [
        Article,
        IngestFailure,
        IngestFailure,
        IngestFailure,
        IngestFailure,
        Article,
    ]


def test_article_from_record_needs_only_text() -> None:
    article = article_from_record({"text": "Power cuts in Odesa."})
    assert article == Article(text="Power cuts in Odesa.")


def test_article_from_record_keeps_metadata_and_blanks_become_none() -> None:
    article = article_from_record(
        {
            "text": "Power cuts in Odesa.",
            "url": " https://news.example/odesa ",
            "title": "  ",
            "source": "Example News",
            "language": "en",
            "published": None,
        }
    )
    assert article.url == "https://news.example/odesa"
    assert article.title is None
    assert article.source == "Example News"
    assert article.language == "en"
    assert article.published is None


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2026-11-01T10:00:00Z", datetime(2026, 11, 1, 10, 0, tzinfo=UTC)),
        ("2026-11-01T12:30:00+02:00", datetime(2026, 11, 1, 10, 30, tzinfo=UTC)),
        ("2026-11-01T01:00:00-05:00", datetime(2026, 11, 1, 6, 0, tzinfo=UTC)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T10:00:00", datetime(2026, 11, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_published_becomes_aware_utc(published: str, expected: datetime) -> None:
    article = article_from_record({"text": "x", "published": published})
    assert article.published == expected
    assert article.published is not None
    assert article.published.utcoffset() == timedelta(0)


@pytest.mark.parametrize("published", ["yesterday", "01/11/2026", "2026-13-01", 1730455200])
def test_bad_published_raises_source_error(published: object) -> None:
    with pytest.raises(SourceError, match="published"):
        article_from_record({"text": "x", "published": published})


@pytest.mark.parametrize(
    "record",
    [{"text": 5}, {"text": "x", "url": 5}, {"text": "x", "title": ["a"]}, "text", None],
)
def test_malformed_records_raise_source_error(record: object) -> None:
    with pytest.raises(SourceError):
        article_from_record(record)


# -- bytes and plain text ------------------------------------------------------------------


def test_decode_text_rejects_binary() -> None:
    with pytest.raises(SourceError, match="binary"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_decode_text_strips_the_utf8_bom() -> None:
    assert decode_text("Обстріл Сіверська".encode("utf-8-sig")) == "Обстріл Сіверська"


def test_decode_text_reads_legacy_cyrillic() -> None:
    assert decode_text("Обстрел Северска".encode("cp1251")) == "Обстрел Северска"


def test_text_article_takes_the_first_short_line_as_title() -> None:
    text = "\n\nShelling near Siversk\n\nRussian forces shelled the town overnight.\n"
    article = text_article(text, "file:///n.txt", fallback_title="n")
    assert article.title == "Shelling near Siversk"
    assert article.text == text  # passage offsets point into the text as read
    assert article.url == "file:///n.txt"


def test_text_article_strips_the_markdown_heading_mark() -> None:
    article = text_article("## Drones over Kharkiv\n\nBody.", "file:///k.md", fallback_title="k")
    assert article.title == "Drones over Kharkiv"


def test_text_article_with_a_long_first_line_uses_the_fallback_title() -> None:
    text = " ".join(["word"] * 40) + ".\nMore text."
    assert text_article(text, "file:///report.txt", fallback_title="report").title == "report"


def test_text_article_rejects_blank_text() -> None:
    with pytest.raises(SourceError, match="empty"):
        text_article(" \n\n ", "file:///e.txt", fallback_title="e")


# -- HTML ----------------------------------------------------------------------------------


def test_html_to_text_keeps_paragraphs_on_separate_lines_and_drops_tags() -> None:
    fragment = (
        "<p>Shelling near <b>Siversk</b> overnight.</p><p>Two people were <a href='/x'>hurt</a>."
        "</p><ul><li>first</li><li>second</li></ul>line one<br>line two"
    )
    text = html_to_text(fragment)
    assert "<" not in text
    lines = [line for line in text.splitlines() if line]
    assert lines == [
        "Shelling near Siversk overnight.",
        "Two people were hurt.",
        "first",
        "second",
        "line one",
        "line two",
    ]


def test_html_to_text_passes_plain_text_through() -> None:
    assert html_to_text("  just text  ") == "just text"


STORY = [
    "Russian forces shelled the town of Siversk overnight, damaging several houses and a "
    "school, the regional governor said on Tuesday morning in a statement.",
    "Two civilians were wounded and taken to hospital in Kramatorsk, where doctors said their "
    "condition was stable after surgery that lasted most of the night.",
    "Rescue teams worked until dawn to clear the debris, and the local council opened a "
    "shelter for families whose homes were no longer safe to live in.",
    "The governor urged residents who still remain in the town to leave while the roads to "
    "the west are open, and promised buses for those without cars.",
]


def news_page(meta: str = "", footer: str = "") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    return f"""<!doctype html>
<html lang="en"><head>
<title>Shelling damages homes near Siversk | Example News</title>
<meta property="og:title" content="Shelling damages homes near Siversk">
<meta property="og:site_name" content="Example News">
{meta}
</head><body>
<nav><ul><li><a href="/">Home page</a></li><li><a href="/world">World and politics</a></li>
<li><a href="/subscribe">Subscribe to our daily newsletter</a></li></ul></nav>
<article><h1>Shelling damages homes near Siversk</h1>{paragraphs}</article>
<footer><p>Contact the newsroom. Advertise with us. Privacy and cookie settings.</p>
{footer}</footer>
</body></html>""".encode()


def test_html_article_keeps_the_article_and_drops_navigation_and_footer() -> None:
    meta = '<meta property="article:published_time" content="2026-11-03T08:30:00Z">'
    article = html_article(news_page(meta), "https://news.example/siversk", NOW)
    for paragraph in STORY:
        assert paragraph in article.text
    for boilerplate in ("Home page", "Subscribe", "newsletter", "Advertise", "cookie"):
        assert boilerplate not in article.text
    assert article.title == "Shelling damages homes near Siversk"
    assert article.source == "Example News"
    assert article.url == "https://news.example/siversk"
    assert article.published is not None
    assert article.published.date() == date(2026, 11, 3)
    assert article.published.utcoffset() == timedelta(0)


def test_html_article_without_a_date_is_undated_not_dated_by_the_copyright_line() -> None:
    article = html_article(
        news_page(footer="<p>Copyright 2026 Example News.</p>"), "https://news.example/s", NOW
    )
    assert article.published is None


def test_html_article_keeps_the_time_and_offset_of_the_published_date() -> None:
    meta = '<meta property="article:published_time" content="2026-11-03T01:30:00+03:00">'
    article = html_article(news_page(meta), "https://news.example/siversk", NOW)
    assert article.published == datetime(2026, 11, 2, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "page",
    [
        b"<html><head><title>Empty</title></head><body></body></html>",
        b"<html><body>   \n  </body></html>",
    ],
    ids=["empty-body", "blank-body"],
)
def test_html_article_without_text_raises_source_error(page: bytes) -> None:
    with pytest.raises(SourceError, match="no article text"):
        html_article(page, "https://news.example/empty", NOW)


def test_html_article_of_a_navigation_only_page_raises_source_error() -> None:
    page = (
        b"<html><head><title>Sections</title></head><body><nav><a href='/'>Home</a> "
        b"<a href='/news'>News</a> <a href='/world'>World</a></nav></body></html>"
    )
    with pytest.raises(SourceError):
        html_article(page, "https://news.example/sections", NOW)


def test_html_article_rejects_binary() -> None:
    with pytest.raises(SourceError, match="binary"):
        html_article(b"\x00\x01\x02<html>", "https://news.example/blob", NOW)


# -- folders -------------------------------------------------------------------------------


@pytest.fixture
def reader() -> Iterator[SourceReader]:
    with offline_reader(NOW) as reader:
        yield reader


def test_expand_lists_supported_files_recursively_and_reports_the_rest(
    tmp_path: Path, reader: SourceReader
) -> None:
    files = {
        "a.txt": "text",
        "notes/b.md": "# md",
        "notes/deep/c.jsonl": "{}",
        "d.HTML": "<p>x</p>",
        "feed.rss": "<rss/>",
        ".hidden.txt": "hidden",
        ".git/config.txt": "hidden folder",
        "photo.png": "png",
        "README": "no suffix",
    }
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content, encoding="utf-8")
    found, skipped = reader.expand(str(tmp_path))
    assert sorted(Path(f).relative_to(tmp_path).as_posix() for f in found) == [
        "a.txt",
        "d.HTML",
        "feed.rss",
        "notes/b.md",
        "notes/deep/c.jsonl",
    ]
    assert len(skipped) == 2
    assert any("photo.png" in s and ".png" in s for s in skipped)
    assert any("README" in s and "no suffix" in s for s in skipped)
    assert not any("hidden" in s or ".git" in s for s in skipped)


def test_expand_passes_a_file_or_url_through(tmp_path: Path, reader: SourceReader) -> None:
    path = tmp_path / "one.txt"
    path.write_text("x", encoding="utf-8")
    assert reader.expand(str(path)) == ([str(path)], [])
    assert reader.expand("https://news.example/a") == (["https://news.example/a"], [])


# -- the --since window --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("24h", NOW - timedelta(hours=24)),
        ("2w", NOW - timedelta(weeks=2)),
        ("90m", NOW - timedelta(minutes=90)),
        (" 1.5H ", NOW - timedelta(hours=1.5)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T10:00+02:00", datetime(2026, 11, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_parse_since(text: str, expected: datetime) -> None:
    assert parse_since(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["garbage", "", "7 days", "-7d", "d7", "2026-11-41"])
def test_parse_since_rejects_what_it_cannot_read(text: str) -> None:
    with pytest.raises(QueryError, match="7d"):
        parse_since(text, now=NOW)


def test_html_article_dates_are_judged_by_the_applications_clock_not_the_machines() -> None:
    # A page dated years after the machine's day is kept as dated when the application's
    # clock says that day has come (the extractor's "no future dates" rule follows the clock).
    meta = '<meta property="article:published_time" content="2031-05-04T08:30:00Z">'
    now = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)
    article = html_article(news_page(meta), "https://news.example/siversk", now)
    assert article.published == datetime(2031, 5, 4, 8, 30, tzinfo=UTC)


def test_devices_and_fifos_are_refused_without_reading_them(
    tmp_path: Path, reader: SourceReader
) -> None:
    # /dev/zero would be read forever (its stat size is 0); a FIFO blocks until a writer comes.
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    (tmp_path / "good.txt").write_text("Shelling was reported near Siversk overnight.")
    found, skipped = reader.expand(str(tmp_path))
    assert found == [str(tmp_path / "good.txt")]
    assert any("pipe.txt" in s and "not a regular file" in s for s in skipped)
    for target in (str(fifo), "/dev/zero"):
        [failure] = list(reader.read(target))
        assert isinstance(failure, IngestFailure) and "not a regular file" in failure.reason


def test_the_size_limit_counts_what_is_read_not_what_stat_says(reader: SourceReader) -> None:
    # A /proc file is a regular file whose stat size is 0 however much it holds.
    proc = Path("/proc/self/maps")
    assert proc.stat().st_size == 0 and len(proc.read_bytes()) > 1000
    reader.policy = dataclasses.replace(reader.policy, max_bytes=1000)
    [failure] = list(reader.read(str(proc)))
    assert isinstance(failure, IngestFailure) and "too large" in failure.reason


def test_a_hostile_jsonl_line_is_that_lines_error_and_the_rest_goes_on() -> None:
    good = json.dumps({"text": "Shelling near Siversk."})
    lines = [
        good,
        '{"text": "x", "a": ' + "[" * 1000 + "]" * 1000 + "}",  # nested 1,000 deep
        '{"text": "x", "published": 1' + "0" * 5000 + "}",  # an integer of 5,001 digits
        '{"text": "a \\ud800 b"}',  # a lone surrogate: not encodable text
        good.replace("Siversk", "Kupiansk"),
    ]
    items = list(parse_jsonl("\n".join(lines), "hostile.jsonl"))
    assert [type(i).__name__ for i in items] == [
        "Article",
        "IngestFailure",
        "IngestFailure",
        "IngestFailure",
        "Article",
    ]
    reasons = [i.reason for i in items if isinstance(i, IngestFailure)]
    assert "nested too deeply" in reasons[0]
    assert "invalid JSON" in reasons[1] and "5001 digits" in reasons[1]
    assert "sys." not in reasons[1]  # no advice meant for programmers
    assert "surrogate" in reasons[2]


def test_a_jsonl_line_is_ended_by_a_newline_only() -> None:
    # Valid JSON may hold a bare CR between tokens and U+2028 / U+0085 raw inside strings;
    # splitting at them too tore one record into two broken lines.
    records = [
        b'{"text":\r"Repairs went on in Izium overnight."}',
        '{"text": "Crews reached Lyman\u2028by noon."}'.encode(),
        '{"text": "Power returned to Balakliia\u0085after dark."}'.encode(),
    ]
    for data in (b"\r\n".join(records), "\n".join(r.decode() for r in records)):
        items = list(parse_jsonl(data, "separators.jsonl"))
        assert [type(item).__name__ for item in items] == ["Article"] * 3, items
