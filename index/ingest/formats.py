"""Document formats read into articles: JSONL, text and Markdown, HTML, RSS/Atom."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from time import struct_time
from typing import Any
from urllib.parse import urlsplit

from index.dates import parse_time
from index.errors import SourceError
from index.ingest.budget import HTML_LIMITS, HtmlLimits, time_limit
from index.ingest.charsets import BINARY, decode_text, meta_charset
from index.ingest.urls import is_url
from index.models import Article, IngestFailure

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | FEED_SUFFIXES

_FEED_SNIFF = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_HTML_SNIFF = re.compile(rb"<(!doctype html|html|head|body|p|div)[\s>]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…](\s|$)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
# lxml refuses a str that declares an encoding; the page is decoded by then.
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*>")


def sniff_format(data: bytes) -> str:
    """The suffix a file of unknown type reads as, from its first bytes."""
    head = data[:2048].lstrip()
    if head.startswith(b"{"):
        return ".jsonl"
    if _FEED_SNIFF.search(head) and not _HTML_SNIFF.search(head[:512]):
        return ".xml"
    if _HTML_SNIFF.search(head):
        return ".html"
    return ".txt"


def web_format(body: bytes, content_type: str) -> str:
    """The suffix a downloaded body reads as (a feed, text or HTML), from its content type and
    first bytes; SourceError for media and archives."""
    kind = content_type.split(";")[0].strip().lower()
    if (
        "rss" in kind
        or "atom" in kind
        or (kind.endswith("xml") and _FEED_SNIFF.search(body[:2048]))
    ):
        return ".xml"
    if kind in ("text/plain", "text/markdown"):
        return ".txt"
    if kind.startswith(("image/", "audio/", "video/", "font/")) or kind in (
        "application/pdf",
        "application/zip",
        "application/octet-stream",
    ):
        raise SourceError(f"not a web page or feed ({kind})")
    if _FEED_SNIFF.search(body[:2048]) and not _HTML_SNIFF.search(body[:512]):
        return ".xml"
    return ".html"


def read_feed(data: bytes, url: str) -> tuple[str | None, list[Any]]:
    """An RSS/Atom feed's title (else the host's name) and entries; SourceError if it has none."""
    import feedparser

    parsed: Any = feedparser.parse(data)
    entries = parsed.get("entries") or []
    if not entries:
        why = parsed.get("bozo_exception")
        raise SourceError(f"not a readable RSS/Atom feed{f': {why}' if why else ''}")
    title = (parsed.get("feed") or {}).get("title") or urlsplit(url).hostname
    return title, list(entries)


def entry_text(entry: Any) -> tuple[str, datetime | None]:
    """A feed entry's text (its content, else its summary, as plain text) and its date."""
    contents = entry.get("content") or []
    raw = contents[0].get("value", "") if contents else entry.get("summary", "")
    # feedparser keeps a raw NUL of a CDATA section; stored, it would end the text for SQLite
    # and its shell (length(), substr()), and lxml would make it U+FFFD.
    raw = raw.replace("\x00", " ")
    text = html_to_text(raw) if raw else ""
    return text, _struct_time(entry.get("published_parsed") or entry.get("updated_parsed"))


def _struct_time(value: struct_time | None) -> datetime | None:
    if value is None:
        return None
    return datetime(*value[:6], tzinfo=UTC)


# JSON's whitespace: a line of only these is blank. str.strip() would take more (U+001C to
# U+001F, U+2028, ...), skipping a line of control characters without a word.
_JSON_BLANKS = " \t\r\n"


def parse_jsonl(data: str | bytes, where: str) -> Iterator[Article | IngestFailure]:
    """One article per non-blank line: ``{"url", "title", "published", "source", "text"}``.

    Given bytes, each line is decoded on its own (JSON lines are UTF-8), so a line that is not
    UTF-8 is that line's failure and the other lines are read.
    """
    lines = 0
    for number, line in enumerate(_jsonl_lines(data), start=1):
        at = f"{where} line {number}"
        if isinstance(line, SourceError):
            lines += 1
            yield IngestFailure(at, str(line))
            continue
        if not line.strip(_JSON_BLANKS):
            continue
        lines += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield IngestFailure(at, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield IngestFailure(at, "invalid JSON: nested too deeply")
            continue
        except ValueError as exc:  # e.g. an integer longer than Python converts (4,300 digits)
            # Python's advice after the ";" (a sys call) means nothing to the user.
            yield IngestFailure(at, f"invalid JSON: {str(exc).split(';')[0]}")
            continue
        try:
            yield article_from_record(record)
        except SourceError as exc:
            yield IngestFailure(at, str(exc))
    if not lines:
        yield IngestFailure(where, "no JSON lines: the file holds only blank lines")


def _jsonl_lines(data: str | bytes) -> Iterator[str | SourceError]:
    """The lines of a JSONL document as text, or why a line is not text.

    A line ends at a newline only (CR LF too): JSON may hold a bare CR between tokens and
    U+2028 or U+0085 inside strings, where ``splitlines()`` would also split.
    """
    if isinstance(data, str):
        yield from (line.removesuffix("\r") for line in data.split("\n"))
        return
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # A UTF-16 file: decoded whole, by its BOM.
        yield from _jsonl_lines(decode_text(data))
        return
    data = data.removeprefix(codecs.BOM_UTF8)
    head = data[:8192]
    if b"\x00" in head and not any(line.lstrip().startswith(b"{") for line in head.split(b"\n")):
        # NULs and not one line that starts a record: an image or an archive, not JSON lines.
        raise SourceError(BINARY)
    for raw in data.split(b"\n"):
        line = raw.removesuffix(b"\r")
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield SourceError(
                f"not valid UTF-8 text: byte 0x{line[exc.start]:02X} at column {exc.start + 1}"
            )


def article_from_record(record: object) -> Article:
    """Validate one JSONL record; only ``text`` is required."""
    if not isinstance(record, dict):
        raise SourceError('expected a JSON object with a "text" field')
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise SourceError('missing or empty "text"')
    _check_encodable("text", text)
    fields = {}
    for key in ("url", "title", "source", "language"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise SourceError(f'"{key}" must be a string or null')
        if isinstance(value, str):
            _check_encodable(key, value)
        fields[key] = value.strip() or None if isinstance(value, str) else None
    return Article(text=text, published=parse_time(record.get("published")), **fields)


def _check_encodable(key: str, value: str) -> None:
    """JSON may carry a lone surrogate (``"\\ud800"``), which is not text: refuse the record."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise SourceError(
            f'"{key}" holds an unpaired surrogate (U+{ord(bad):04X}), which is not text'
        ) from exc


def text_article(text: str, url: str, fallback_title: str | None) -> Article:
    """A plain-text or Markdown document; its first short line is its title."""
    if not text.strip():
        raise SourceError("empty file")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = _MD_HEADING.sub("", first) if len(first.split()) <= 20 else fallback_title
    return Article(text=text, url=url, title=title or fallback_title)


def html_to_text(fragment: str, limits: HtmlLimits = HTML_LIMITS) -> str:
    """Visible text of an HTML fragment (a feed item's content), paragraphs on their own lines.

    SourceError ("too complex") for a fragment over ``limits``.
    """
    if "<" not in fragment:
        return fragment.strip()
    limits.check(fragment)
    with time_limit(limits.seconds):
        return _fragment_text(fragment)


def _fragment_text(fragment: str) -> str:
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several unrelated types on garbage
        return re.sub(r"<[^>]*>", " ", fragment).strip()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "blockquote"):
        block.tail = "\n\n" + (block.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_article(
    data: bytes,
    url: str,
    now: datetime,
    charset: str | None = None,
    limits: HtmlLimits = HTML_LIMITS,
) -> Article:
    """The main text of a web page, boilerplate dropped, with its title and date.

    ``now`` is the application's clock: a date after its next day is taken for a misreading
    (the extractor's rule), judged by that clock and not by the machine's. ``charset`` is the
    one the server declared; else a BOM or the page's ``<meta>`` tag says, else it is detected.
    A page over ``limits`` fails ("too complex") before or while it is parsed.
    """
    # Decoded here, not by the extractor, which reads bytes as UTF-8 or guesses and never
    # looks at the server's charset (a UTF-16 page came out as "binary").
    html = _XML_DECLARATION.sub("", decode_text(data, charset, meta_charset(data)), count=1)
    limits.check(html)
    with time_limit(limits.seconds):
        doc = _extract(html, url, now)
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        raise SourceError("no article text found in the page")
    if len(text.split()) < 20 and not _SENTENCE_END.search(text):
        raise SourceError("no article text found in the page (only menus or links)")
    published = None
    if getattr(doc, "date", None):
        try:
            published = parse_time(doc.date)
        except SourceError:
            published = None
    source = getattr(doc, "sitename", None) or getattr(doc, "hostname", None)
    if not source and is_url(url):
        source = urlsplit(url).hostname
    return Article(
        text=text.strip(),
        url=url,
        title=getattr(doc, "title", None),
        published=published,
        source=source,
        language=getattr(doc, "language", None),
    )


def _extract(html: str, url: str, now: datetime) -> Any:
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            # The page's own date, to the second with its offset; no guessing from a footer.
            date_extraction_params={
                "extensive_search": False,
                "original_date": True,
                "outputformat": "%Y-%m-%dT%H:%M:%S%z",
                "max_date": (now + timedelta(days=1)).strftime("%Y-%m-%d"),
            },
        )
    except Exception as exc:  # trafilatura and lxml raise many types on broken markup
        raise SourceError(f"cannot parse the HTML: {exc}") from exc
