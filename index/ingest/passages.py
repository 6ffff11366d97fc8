"""Split an article into passages: paragraph-based windows that never cut a sentence in half."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from index.models import Span

MIN_WORDS = 40
MAX_WORDS = 150
# Passages stop growing once they reach this size: focused passages rank and read better.
TARGET_WORDS = 90
# A short piece (a heading, a one-line paragraph) may push a passage a little past MAX_WORDS
# rather than stand alone as a passage too small to mean anything.
SOFT_MAX_FACTOR = 1.3

_WORD = re.compile(r"\S+")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE = re.compile(r"[^\n]+")
# A line that ends a paragraph when it is followed by a single newline: it closes a sentence.
_LINE_CLOSES = re.compile(r"""[.!?…:;"'”»)\]]\s*$""")
_LINE_CONTINUES = re.compile(r"[,\-–—(/&]$")
_BOUNDARY = re.compile(r"""[.!?…]+["'”»)\]]*\s+(?=["'“«(\[\-—–]?[A-ZА-ЯЁІЇЄҐ0-9])""")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st gen col lt maj sgt capt cpt adm no nos vs etc fig approx est dept "
    "jan feb mar apr jun jul aug sep sept oct nov dec mt ft km sq inc ltd co corp ave rd "
    "ул г гг им см тыс млн млрд вул м".split()
)


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int
    end: int
    words: int


def count_words(text: str) -> int:
    """Number of whitespace-separated words in ``text``."""
    return len(_WORD.findall(text))


def split_passages(
    text: str,
    min_words: int = MIN_WORDS,
    max_words: int = MAX_WORDS,
    target_words: int = TARGET_WORDS,
) -> list[Span]:
    """Cut ``text`` into passages of roughly ``min_words``-``max_words`` words.

    Paragraphs are kept whole where they fit; a long paragraph is cut between sentences;
    short paragraphs are joined with their neighbours until the passage reaches
    ``target_words``. Each span's text is
    ``text[span.start:span.end]`` with no surrounding whitespace. Only a single "sentence"
    longer than ``max_words`` (text with no sentence punctuation at all) is cut between words.
    """
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"need 1 <= min_words <= max_words, got {min_words}, {max_words}")
    soft_max = int(max_words * SOFT_MAX_FACTOR)
    pieces = [p for para in _paragraphs(text) for p in _fit(text, para, max_words, target_words)]
    passages: list[_Piece] = []
    current: list[_Piece] = []
    words = 0
    for piece in pieces:
        full = words + piece.words > max_words or words >= target_words
        if current and full and (words >= min_words or words + piece.words > soft_max):
            passages.append(_join(current))
            current, words = [], 0
        current.append(piece)
        words += piece.words
    if current:
        tail = _join(current)
        if passages and tail.words < min_words and passages[-1].words + tail.words <= soft_max:
            passages[-1] = _join([passages[-1], tail])
        else:
            passages.append(tail)
    return [Span(p.start, p.end, p.words) for p in passages]


def _join(pieces: list[_Piece]) -> _Piece:
    return _Piece(pieces[0].start, pieces[-1].end, sum(p.words for p in pieces))


def _trimmed(text: str, start: int, end: int) -> _Piece | None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return None
    lead = len(chunk) - len(chunk.lstrip())
    return _Piece(start + lead, start + lead + len(stripped), count_words(stripped))


def _paragraphs(text: str) -> Iterator[_Piece]:
    """Paragraphs: blocks between blank lines, and lines inside a block that end one.

    A line ends a paragraph when it closes a sentence, or when it is a heading: short in
    words and in width next to the block's longest line, and not ending in a comma or hyphen.
    Hard-wrapped text, whose lines stop mid-sentence at about the same width, stays whole.
    """
    pos = 0
    for brk in [*_BLANK_LINE.finditer(text), None]:
        end = brk.start() if brk else len(text)
        start = pos
        lines = list(_LINE.finditer(text, pos, end))
        width = max((len(m.group().strip()) for m in lines), default=0)
        for line in lines:
            body = line.group().strip()
            heading = (
                count_words(body) <= 8
                and len(body) < 0.6 * width
                and not _LINE_CONTINUES.search(body)
            )
            if heading or _LINE_CLOSES.search(body):
                piece = _trimmed(text, start, line.end())
                if piece:
                    yield piece
                start = line.end()
        piece = _trimmed(text, start, end)
        if piece:
            yield piece
        pos = brk.end() if brk else len(text)


def _sentences(text: str, para: _Piece) -> Iterator[_Piece]:
    start = para.start
    for m in _BOUNDARY.finditer(text, para.start, para.end):
        before = text[start : m.start()].rsplit(None, 1)
        last = before[-1].rstrip(".").lower() if before else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue  # "Gen. Syrskyi", "J. Smith": a full stop that ends no sentence
        piece = _trimmed(text, start, m.end())
        if piece:
            yield piece
        start = m.end()
    piece = _trimmed(text, start, para.end)
    if piece:
        yield piece


def _fit(text: str, para: _Piece, max_words: int, target_words: int) -> Iterator[_Piece]:
    """The paragraph itself if it fits, else balanced runs of its sentences."""
    if para.words <= max_words:
        yield para
        return
    sentences: list[_Piece] = []
    for s in _sentences(text, para):
        sentences.extend(_cut_words(text, s, max_words) if s.words > max_words else [s])
    target = math.ceil(para.words / math.ceil(para.words / target_words))
    run: list[_Piece] = []
    words = 0
    for s in sentences:
        if run and (words + s.words > max_words or words >= target):
            yield _join(run)
            run, words = [], 0
        run.append(s)
        words += s.words
    if run:
        yield _join(run)


def _cut_words(text: str, piece: _Piece, max_words: int) -> list[_Piece]:
    """Last resort for a run-on "sentence": cut it between words into even chunks."""
    spans = [m.span() for m in _WORD.finditer(text, piece.start, piece.end)]
    size = math.ceil(len(spans) / math.ceil(len(spans) / max_words))
    return [
        _Piece(spans[i][0], spans[min(i + size, len(spans)) - 1][1], min(size, len(spans) - i))
        for i in range(0, len(spans), size)
    ]
