"""Bytes into text: declared charsets, BOMs, detection of legacy encodings, binary refused."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from index.clock import ManualClock
from index.errors import SourceError
from index.ingest.formats import decode_text, parse_jsonl
from index.ingest.sources import SourceReader
from index.models import Article, IngestFailure
from tests.conftest import offline_reader

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# Short sentences of our own, one per language, long enough for a detector to judge.
RUSSIAN = (
    "Вчера вечером в городе отключили электричество, и жители ждали ремонтную бригаду "
    "до самого утра."
)
UKRAINIAN = (
    "Учора ввечері в місті зникло світло, і мешканці чекали на ремонтну бригаду аж до ранку."
)
ENGLISH = (
    "A bridge near the river crossing was repaired overnight, and traffic resumed on Monday "
    "morning after two days of work."
)


def page(body: str, head: str = "") -> str:
    return (
        f"<!doctype html><html><head>{head}<title>Вечір без світла</title></head><body>"
        f"<article><h1>Вечір без світла</h1><p>{body}</p><p>{body}</p></article></body></html>"
    )


# -- decode_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(RUSSIAN, "cp1251"), (UKRAINIAN, "cp1251"), (RUSSIAN, "koi8-r"), (UKRAINIAN, "koi8-u")],
    ids=["ru-cp1251", "uk-cp1251", "ru-koi8r", "uk-koi8u"],
)
def test_undeclared_legacy_cyrillic_is_detected(text: str, encoding: str) -> None:
    assert decode_text(text.encode(encoding)) == text


def test_utf8_with_a_bom_loses_the_bom() -> None:
    assert decode_text(UKRAINIAN.encode("utf-8-sig")) == UKRAINIAN


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_declared_utf16_charset_is_honoured(encoding: str) -> None:
    assert decode_text(UKRAINIAN.encode(encoding), "UTF-16") == UKRAINIAN


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_utf16_or_utf32_bom_is_honoured_without_a_declaration(encoding: str) -> None:
    assert decode_text(RUSSIAN.encode(encoding)) == RUSSIAN


@pytest.mark.parametrize("charset", ["x-bogus", "", "utf-9", "../../etc"])
def test_an_unknown_declared_charset_falls_back_to_detection(charset: str) -> None:
    assert decode_text(RUSSIAN.encode("cp1251"), charset) == RUSSIAN
    assert decode_text(ENGLISH.encode(), charset) == ENGLISH


def test_a_wrong_declared_charset_falls_back_to_detection() -> None:
    assert decode_text(RUSSIAN.encode("cp1251"), "utf-8") == RUSSIAN


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20,
        random.Random(7).randbytes(5000),
        b"Some text" + b"\x00" * 40 + b"more text",
    ],
    ids=["png", "random", "nuls"],
)
def test_binary_data_is_refused(data: bytes) -> None:
    with pytest.raises(SourceError, match="binary file, not text"):
        decode_text(data)


# -- files -----------------------------------------------------------------------------------


@pytest.fixture
def reader() -> Iterator[SourceReader]:
    with offline_reader(NOW) as reader:
        yield reader


def test_one_invalid_utf8_jsonl_line_fails_alone(tmp_path: Path, reader: SourceReader) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps({"text": RUSSIAN}, ensure_ascii=False).encode(),
        json.dumps({"text": "Broken \xff byte here."}).encode().replace(b"\\u00ff", b"\xff"),
        json.dumps({"text": UKRAINIAN}, ensure_ascii=False).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    items = list(reader.read(str(path)))
    assert [type(i) for i in items] == [Article, IngestFailure, Article]
    first, failure, last = items
    assert isinstance(first, Article) and first.text == RUSSIAN
    assert isinstance(last, Article) and last.text == UKRAINIAN
    assert isinstance(failure, IngestFailure)
    assert failure.where == f"{path} line 2"
    assert "not valid UTF-8" in failure.reason


def test_a_jsonl_file_with_a_bom_and_crlf_lines_is_read(
    tmp_path: Path, reader: SourceReader
) -> None:
    path = tmp_path / "bom.jsonl"
    lines = [json.dumps({"text": t}, ensure_ascii=False) for t in (RUSSIAN, UKRAINIAN)]
    path.write_bytes("\r\n".join(lines).encode("utf-8-sig"))
    items = list(reader.read(str(path)))
    assert [getattr(i, "text", None) for i in items] == [RUSSIAN, UKRAINIAN]


def test_a_binary_jsonl_file_is_one_failure(tmp_path: Path, reader: SourceReader) -> None:
    path = tmp_path / "photo.jsonl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20)
    [failure] = list(reader.read(str(path)))
    assert isinstance(failure, IngestFailure) and "binary file, not text" in failure.reason


@pytest.mark.parametrize("encoding", ["cp1251", "koi8-r"])
def test_a_legacy_cyrillic_text_file_is_read(
    tmp_path: Path, reader: SourceReader, encoding: str
) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(f"Без світла\n\n{RUSSIAN}\n".replace("і", "и").encode(encoding))
    [article] = list(reader.read(str(path)))
    assert isinstance(article, Article) and RUSSIAN in article.text


# -- the web ---------------------------------------------------------------------------------


def web_reader(body: bytes, content_type: str) -> Callable[[], Iterator[Article | IngestFailure]]:
    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": content_type})

    def read() -> Iterator[Article | IngestFailure]:
        with httpx.Client(transport=httpx.MockTransport(serve)) as client:
            yield from SourceReader(client, ManualClock(NOW)).read("https://news.example/a")

    return read


def read_one(body: bytes, content_type: str) -> Article:
    [item] = list(web_reader(body, content_type)())
    assert isinstance(item, Article), item
    return item


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_utf16_page_with_a_declared_charset_is_read(encoding: str) -> None:
    charset = "utf-16" if encoding == "utf-16" else "UTF-16LE"
    article = read_one(page(UKRAINIAN).encode(encoding), f"text/html; charset={charset}")
    assert UKRAINIAN in article.text
    assert article.title == "Вечір без світла"


def test_a_utf16_page_with_a_bom_and_no_charset_is_read() -> None:
    article = read_one(page(UKRAINIAN).encode("utf-16"), "text/html")
    assert UKRAINIAN in article.text


def test_a_utf16_plain_text_page_with_a_declared_charset_is_read() -> None:
    article = read_one(f"Без світла\n\n{UKRAINIAN}".encode("utf-16"), "text/plain; charset=utf-16")
    assert UKRAINIAN in article.text


def test_a_page_declaring_its_charset_in_a_meta_tag_is_read() -> None:
    head = '<meta charset="windows-1251">'
    article = read_one(page(UKRAINIAN, head).encode("cp1251"), "text/html")
    assert UKRAINIAN in article.text
    assert article.title == "Вечір без світла"


def test_a_koi8_page_without_any_declaration_is_detected() -> None:
    article = read_one(page(RUSSIAN).replace("і", "и").encode("koi8-r"), "text/html")
    assert RUSSIAN in article.text


@pytest.mark.parametrize("ctype", ["text/html; charset=x-bogus", "text/plain; charset=x-bogus"])
def test_an_unknown_charset_of_a_page_falls_back_to_detection(ctype: str) -> None:
    article = read_one(page(RUSSIAN).replace("і", "и").encode("cp1251"), ctype)
    assert RUSSIAN in article.text


def test_binary_sent_as_a_page_is_refused() -> None:
    body = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20
    [failure] = list(web_reader(body, "text/html")())
    assert isinstance(failure, IngestFailure) and "binary" in failure.reason


def test_a_jsonl_line_holding_a_nul_fails_alone() -> None:
    # A NUL in the first lines made the whole file "binary" though its other lines are records.
    good = b'{"text": "Repairs went on in Izium overnight."}'
    items = list(parse_jsonl(b"\x90\x00garbled\n" + good + b"\n", "nul.jsonl"))
    assert [type(item).__name__ for item in items] == ["IngestFailure", "Article"], items


def test_a_jsonl_file_with_nothing_in_it_is_reported() -> None:
    # A UTF-16 byte-order mark and nothing else decoded to no lines and no report at all.
    for data in (b"\xff\xfe", "\n \n".encode("utf-16")):
        [failure] = list(parse_jsonl(data, "bom.jsonl"))
        assert isinstance(failure, IngestFailure) and "no JSON lines" in failure.reason


def test_a_jsonl_line_of_control_characters_is_a_failure_not_a_blank_line() -> None:
    # str.strip() takes \x1c-\x1f and U+2028 for blanks; JSON's only blanks are space, tab,
    # CR and LF, so such a line was skipped without a word.
    items = list(parse_jsonl(b"\x1c\n\xe2\x80\xa8\n \t\n", "controls.jsonl"))
    assert [type(item).__name__ for item in items] == ["IngestFailure"] * 2, items
