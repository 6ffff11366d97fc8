"""Read sources into articles: JSONL, text, Markdown and HTML files, folders, web pages, feeds."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import struct_time
from typing import Any
from urllib.parse import urlsplit

import httpx

from index.dates import parse_time
from index.errors import SourceError
from index.ingest.netguard import Resolver, check_public_url
from index.models import Article, IngestFailure

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | FEED_SUFFIXES

_FEED_SNIFF = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_HTML_SNIFF = re.compile(rb"<(!doctype html|html|head|body|p|div)[\s>]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…](\s|$)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")

# Redirects followed by hand when every hop must be checked; otherwise httpx's own limit holds.
MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits on what is read: size, time, and how Sitrep introduces itself to servers."""

    max_bytes: int = 20 * 1024 * 1024
    timeout: float = 20.0
    user_agent: str = "Sitrep/0.1 (situation-monitoring bot)"
    # A feed item shorter than this is a summary: fetch the item's page for the full text.
    summary_words: int = 120
    # URLs from chat users: refuse hosts off the public internet, at every redirect hop too,
    # so a user cannot make the bot read its own machine, network or cloud metadata service.
    public_only: bool = False


Item = Article | IngestFailure


@dataclass(frozen=True, slots=True)
class FeedPoll:
    """One conditional GET of a feed: its items, or ``not_modified`` and none when unchanged.

    ``etag`` and ``last_modified`` are the validators to send next time.
    """

    items: list[Item]
    etag: str | None
    last_modified: str | None
    not_modified: bool


@dataclass(frozen=True, slots=True)
class _Download:
    status: int
    body: bytes
    headers: httpx.Headers


def is_url(target: str) -> bool:
    """Whether ``target`` is an http(s) URL rather than a path."""
    return urlsplit(target).scheme in ("http", "https")


class SourceReader:
    """Turns ingest targets (paths and URLs) into articles, reporting failures as items.

    A failure of one target, file, line or feed item never stops the others.
    """

    def __init__(
        self,
        client: httpx.Client,
        policy: FetchPolicy | None = None,
        resolve: Resolver | None = None,
    ) -> None:
        """``resolve`` looks host names up for ``policy.public_only``; default getaddrinfo."""
        self.client = client
        self.policy = policy or FetchPolicy()
        self.resolve = resolve

    def expand(self, target: str) -> tuple[list[str], list[str]]:
        """The targets a path or URL stands for (a folder's files, recursively), and skips."""
        if is_url(target):
            return [target], []
        path = Path(target).expanduser()
        if not path.is_dir():
            return [str(path)], []
        files, skipped = [], []
        for p in sorted(path.rglob("*")):
            if not p.is_file() or any(part.startswith(".") for part in p.relative_to(path).parts):
                continue
            if p.suffix.lower() in KNOWN_SUFFIXES:
                files.append(str(p))
            else:
                skipped.append(f"{p}: not a supported type ({p.suffix or 'no suffix'})")
        return files, skipped

    def read(self, target: str) -> Iterator[Item]:
        """Articles from one file or URL (not a folder: see :meth:`expand`)."""
        try:
            if is_url(target):
                yield from self._read_url(target)
            else:
                yield from self._read_file(Path(target))
        except SourceError as exc:
            yield IngestFailure(target, str(exc))

    # -- files --------------------------------------------------------------------------

    def _read_file(self, path: Path) -> Iterator[Item]:
        try:
            size = path.stat().st_size
            if size > self.policy.max_bytes:
                raise SourceError(_too_large(size, self.policy.max_bytes))
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise SourceError("no such file or folder") from exc
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}") from exc
        if not data.strip():
            raise SourceError("empty file")
        url = path.resolve().as_uri()
        suffix = path.suffix.lower()
        if suffix not in KNOWN_SUFFIXES:
            suffix = _sniff(data)
        if suffix in JSONL_SUFFIXES:
            yield from parse_jsonl(decode_text(data), str(path))
        elif suffix in HTML_SUFFIXES:
            yield html_article(data, url)
        elif suffix in FEED_SUFFIXES:
            yield from self._feed(data, url)
        else:
            yield text_article(decode_text(data), url, fallback_title=path.stem)

    # -- the web ------------------------------------------------------------------------

    def fetch(self, url: str) -> tuple[bytes, str]:
        """GET ``url`` within the size and time limits: (body, content type)."""
        got = self._get(url)
        return got.body, got.headers.get("content-type", "")

    def poll_feed(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        known: Callable[[str], bool] | None = None,
    ) -> FeedPoll:
        """Read ``url`` as :meth:`read` does, unless the server says it is unchanged (HTTP 304).

        ``etag`` and ``last_modified`` are the validators of the last poll. Items whose link
        ``known`` says is stored already are left out, their pages not fetched. Raises SourceError
        when the URL cannot be read; a feed item that fails is an IngestFailure among the items.
        """
        conditions = {}
        if etag:
            conditions["If-None-Match"] = etag
        if last_modified:
            conditions["If-Modified-Since"] = last_modified
        got = self._get(url, conditions)
        if got.status == 304:
            # A 304 need not repeat the validators; the ones sent are still current then.
            return FeedPoll(
                items=[],
                etag=got.headers.get("etag") or etag,
                last_modified=got.headers.get("last-modified") or last_modified,
                not_modified=True,
            )
        items = list(self._read_body(got.body, got.headers.get("content-type", ""), url, known))
        return FeedPoll(
            items=items,
            etag=got.headers.get("etag"),
            last_modified=got.headers.get("last-modified"),
            not_modified=False,
        )

    def _get(self, url: str, conditions: Mapping[str, str] | None = None) -> _Download:
        """GET within the limits; with ``public_only``, each hop is checked before it is made."""
        headers = {**(conditions or {}), "User-Agent": self.policy.user_agent}
        guard = self.policy.public_only
        try:
            for hop in range(MAX_REDIRECTS + 1):
                if guard:
                    self._check_public(url, redirected=hop > 0)
                with self.client.stream(
                    "GET",
                    url,
                    headers=headers,
                    timeout=self.policy.timeout,
                    follow_redirects=not guard,
                ) as response:
                    # Set only when httpx did not follow: the next hop, to be checked first.
                    if response.next_request is not None:
                        url = str(response.next_request.url)
                        continue
                    return self._receive(response)
            raise SourceError(f"too many redirects (more than {MAX_REDIRECTS})")
        except httpx.TimeoutException as exc:
            raise SourceError(f"timed out after {self.policy.timeout:g} s") from exc
        except httpx.ConnectError as exc:
            raise SourceError(f"cannot connect: {exc}") from exc
        except httpx.HTTPError as exc:
            raise SourceError(f"download failed: {exc}") from exc

    def _check_public(self, url: str, redirected: bool) -> None:
        try:
            check_public_url(url, self.resolve)
        except SourceError as exc:
            if redirected:
                raise SourceError(f"{exc} (the server redirected to {url})") from exc
            raise

    def _receive(self, response: httpx.Response) -> _Download:
        if response.status_code >= 400:
            raise SourceError(f"HTTP {response.status_code} {response.reason_phrase}")
        declared = int(response.headers.get("content-length") or 0)
        if declared > self.policy.max_bytes:
            raise SourceError(_too_large(declared, self.policy.max_bytes))
        chunks, total = [], 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > self.policy.max_bytes:
                raise SourceError(_too_large(total, self.policy.max_bytes))
            chunks.append(chunk)
        return _Download(response.status_code, b"".join(chunks), response.headers)

    def _read_url(self, url: str) -> Iterator[Item]:
        yield from self._read_body(*self.fetch(url), url)

    def _read_body(
        self, body: bytes, ctype: str, url: str, known: Callable[[str], bool] | None = None
    ) -> Iterator[Item]:
        if not body.strip():
            raise SourceError("the server sent an empty page")
        kind = ctype.split(";")[0].strip().lower()
        if (
            "rss" in kind
            or "atom" in kind
            or (kind.endswith("xml") and _FEED_SNIFF.search(body[:2048]))
        ):
            yield from self._feed(body, url, known)
        elif kind in ("text/plain", "text/markdown"):
            yield text_article(decode_text(body), url, fallback_title=None)
        elif kind.startswith(("image/", "audio/", "video/", "font/")) or kind in (
            "application/pdf",
            "application/zip",
            "application/octet-stream",
        ):
            raise SourceError(f"not a web page or feed ({kind})")
        elif _FEED_SNIFF.search(body[:2048]) and not _HTML_SNIFF.search(body[:512]):
            yield from self._feed(body, url, known)
        else:
            yield html_article(body, url)

    def _feed(
        self, data: bytes, url: str, known: Callable[[str], bool] | None = None
    ) -> Iterator[Item]:
        import feedparser

        parsed: Any = feedparser.parse(data)
        entries = parsed.get("entries") or []
        if not entries:
            why = parsed.get("bozo_exception")
            raise SourceError(f"not a readable RSS/Atom feed{f': {why}' if why else ''}")
        feed_title = (parsed.get("feed") or {}).get("title") or urlsplit(url).hostname
        for n, entry in enumerate(entries, start=1):
            link = entry.get("link")
            if link and known is not None and known(link):
                continue  # stored already: neither its page nor its text is needed again
            where = link or f"{url} item {n}"
            try:
                yield self._feed_item(entry, feed_title, link)
            except SourceError as exc:
                yield IngestFailure(where, str(exc))

    def _feed_item(self, entry: Any, feed_title: str | None, link: str | None) -> Article:
        contents = entry.get("content") or []
        raw = contents[0].get("value", "") if contents else entry.get("summary", "")
        text = html_to_text(raw) if raw else ""
        published = _struct_time(entry.get("published_parsed") or entry.get("updated_parsed"))
        title = entry.get("title")
        if link and is_url(link) and len(text.split()) < self.policy.summary_words:
            try:
                page = html_article(self.fetch(link)[0], link)
            except SourceError as exc:
                if not text:
                    raise SourceError(f"the feed gives no text and the page failed: {exc}") from exc
                log.info("using the feed summary of %s: %s", link, exc)
            else:
                if len(page.text.split()) > len(text.split()):
                    text = page.text
                    published = published or page.published
        if not text.strip():
            raise SourceError("the feed item has no text")
        return Article(text=text, url=link, title=title, published=published, source=feed_title)


def _too_large(size: int, limit: int) -> str:
    return f"too large: {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit"


def _sniff(data: bytes) -> str:
    head = data[:2048].lstrip()
    if head.startswith(b"{"):
        return ".jsonl"
    if _FEED_SNIFF.search(head) and not _HTML_SNIFF.search(head[:512]):
        return ".xml"
    if _HTML_SNIFF.search(head):
        return ".html"
    return ".txt"


def decode_text(data: bytes) -> str:
    """Bytes as text; SourceError for binary data."""
    if b"\x00" in data[:8192]:
        raise SourceError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")  # the commonest legacy encoding of the region's sites
    except UnicodeDecodeError as exc:
        raise SourceError("binary file, not text (not UTF-8)") from exc
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\r\n\t\f")
    if controls > 4:
        raise SourceError("binary file, not text")
    return text


def _struct_time(value: struct_time | None) -> datetime | None:
    if value is None:
        return None
    return datetime(*value[:6], tzinfo=UTC)


def parse_jsonl(text: str, where: str) -> Iterator[Item]:
    """One article per non-blank line: ``{"url", "title", "published", "source", "text"}``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        at = f"{where} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield IngestFailure(at, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        try:
            yield article_from_record(record)
        except SourceError as exc:
            yield IngestFailure(at, str(exc))


def article_from_record(record: object) -> Article:
    """Validate one JSONL record; only ``text`` is required."""
    if not isinstance(record, dict):
        raise SourceError('expected a JSON object with a "text" field')
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise SourceError('missing or empty "text"')
    fields = {}
    for key in ("url", "title", "source", "language"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise SourceError(f'"{key}" must be a string or null')
        fields[key] = value.strip() or None if isinstance(value, str) else None
    return Article(text=text, published=parse_time(record.get("published")), **fields)


def text_article(text: str, url: str, fallback_title: str | None) -> Article:
    """A plain-text or Markdown document; its first short line is its title."""
    if not text.strip():
        raise SourceError("empty file")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = _MD_HEADING.sub("", first) if len(first.split()) <= 20 else fallback_title
    return Article(text=text, url=url, title=title or fallback_title)


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment (a feed item's content), paragraphs on their own lines."""
    import lxml.html

    if "<" not in fragment:
        return fragment.strip()
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


def html_article(data: bytes, url: str) -> Article:
    """The main text of a web page, boilerplate dropped, with its title and date."""
    import trafilatura

    if b"\x00" in data[:8192]:
        raise SourceError("binary file, not HTML")
    try:
        doc = trafilatura.bare_extraction(
            data,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            # The page's own date, to the second with its offset; no guessing from a footer.
            date_extraction_params={
                "extensive_search": False,
                "original_date": True,
                "outputformat": "%Y-%m-%dT%H:%M:%S%z",
            },
        )
    except Exception as exc:  # trafilatura and lxml raise many types on broken markup
        raise SourceError(f"cannot parse the HTML: {exc}") from exc
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
