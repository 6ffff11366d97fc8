"""The parse step of a question: its clean text, how many results, its place, radius and window."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime

from index.models import NothingFound
from index.places.query import PlaceQuery
from index.places.resolve import PlaceIndex
from index.store import Store

_TAG = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True, slots=True)
class Question:
    """A question as the search understands it; ``reason`` is set when it cannot be searched."""

    asked: str  # as the user wrote it
    text: str  # markup removed, whitespace collapsed, cut to the length limit
    k: int  # how many results to show
    since: datetime | None
    query: PlaceQuery
    cut_at: int | None = None  # the length limit, when the question was longer
    reason: NothingFound | None = None

    @property
    def topic(self) -> str:
        """What to rank by: the words beside the place, or the whole text without one."""
        return self.query.topic if self.query.place is not None else self.text

    @property
    def prefix(self) -> str:
        """The note that goes before any other when the question was cut."""
        return f"Only the first {self.cut_at} characters were used. " if self.cut_at else ""


def clean_question(question: str, max_chars: int) -> tuple[str, int | None]:
    """The question without markup and extra whitespace, cut at a word under ``max_chars``;
    and ``max_chars`` when it was cut, else None."""
    text = " ".join(_TAG.sub(" ", question).split())
    if len(text) <= max_chars:
        return text, None
    return text[:max_chars].rsplit(" ", 1)[0], max_chars


def parse_question(
    question: str,
    k: int,
    since: datetime | None,
    max_chars: int,
    store: Store,
    places: PlaceIndex | None,
    near: str | None = None,
    radius_km: float | None = None,
    now: datetime | None = None,
) -> Question:
    """Parse ``question``: the place it names (or ``near``), the radius and the topic words.

    Checks run in the order a user needs them answered: no words, then an empty index, then
    an unknown or ambiguous place. ``now`` dates the reports that choose among the places
    a name may mean.
    """
    text, cut_at = clean_question(question, max_chars)
    parsed = Question(question, text, k, since, PlaceQuery(None, None, text), cut_at)
    if not re.search(r"\w", text) and not near:
        return dataclasses.replace(parsed, reason=NothingFound.NO_WORDS)
    if store.passage_count() == 0:
        return dataclasses.replace(parsed, reason=NothingFound.EMPTY_INDEX)
    if places is None:
        return parsed
    places.ensure_current()
    query = places.parse(text, near, radius_km, now)
    reason = None
    if query.unknown:
        reason = NothingFound.UNKNOWN_PLACE
    elif query.candidates:
        reason = NothingFound.AMBIGUOUS_PLACE
    return dataclasses.replace(parsed, query=query, reason=reason)
