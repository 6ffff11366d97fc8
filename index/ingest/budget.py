"""Bounds on the parse work one HTML document may cost: its size, its element count, its time."""

from __future__ import annotations

import ctypes
import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from index.errors import SourceError

_TAG = re.compile(r"<[A-Za-z]")


@dataclass(frozen=True, slots=True)
class HtmlLimits:
    """The most one HTML document may cost the extractor; a document over them fails alone.

    A long real news page has a few thousand elements in a few MB and is extracted in about
    a second; these bounds sit far above that, and far below what made one hostile page
    (``<p>a</p>`` two million times) take minutes and gigabytes while the run waited.
    """

    max_chars: int = 12_000_000
    max_elements: int = 500_000
    seconds: float = 60.0

    def check(self, html: str) -> None:
        """SourceError ("too complex") if ``html`` is over the size or element bound; the
        elements are counted as tag openings, before any parsing."""
        tags = _TAG.finditer(html)
        if sum(1 for _ in itertools.islice(tags, self.max_elements + 1)) > self.max_elements:
            raise SourceError(f"too complex: over {self.max_elements:,} elements")
        if len(html) > self.max_chars:
            raise SourceError(
                f"too complex: {len(html) / 1e6:.1f} million characters of HTML, over "
                f"{self.max_chars / 1e6:g} million"
            )


HTML_LIMITS = HtmlLimits()


class _OutOfTime(BaseException):
    """Raised inside the extracting thread when its time is up. A BaseException, so that the
    extractor's own ``except Exception`` clauses cannot swallow it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Run the block for at most ``seconds``, else raise SourceError ("too complex").

    The extractor is pure Python over lxml and cannot be told to stop, so a timer interrupts
    this thread the way Ctrl-C interrupts the main one: an exception raised at its next Python
    instruction. Works in any thread (ingest runs in worker threads), costs nothing until it
    fires, and a lone C call (one lxml parse) is bounded by :meth:`HtmlLimits.check` instead.
    """
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"armed": True, "fired": False}

    def fire() -> None:
        with lock:
            if state["armed"]:
                state["fired"] = True
                _raise_in(target, _OutOfTime)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    try:
        timer.start()
        try:
            yield
        finally:
            with lock:
                state["armed"] = False
                if state["fired"]:
                    _raise_in(target, None)  # not delivered yet: withdraw it
            timer.cancel()
    except _OutOfTime:
        raise SourceError(f"too complex: not parsed within {seconds:g} seconds") from None


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )
