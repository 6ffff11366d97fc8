"""Domain nouns that cross the layers: articles, passages, hits and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Place:
    """A place: GeoNames id, main name, position, country and first-level region.

    ``kind`` is "town" (a populated place), "region" (a first-level region: ``admin1`` is its
    own name), "country" or "continent"; the position of an area is a representative point.
    """

    geonameid: int
    name: str
    lat: float
    lon: float
    country: str
    admin1: str
    population: int
    kind: str = "town"

    @property
    def label(self) -> str:
        """Name with region and country: "Siversk (Donetsk, UA)"; an area says what it is:
        "Kherson (region, UA)", "Sudan (country)"."""
        if self.kind == "town":
            region = f"{self.admin1}, " if self.admin1 else ""
            return f"{self.name} ({region}{self.country})"
        if self.kind == "region":
            return f"{self.name} (region, {self.country})"
        return f"{self.name} ({self.kind})"

    @property
    def is_area(self) -> bool:
        """A region, country or continent: it covers the places inside, it has no radius."""
        return self.kind != "town"


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place named in a passage: the place, the words used (article offsets), how sure."""

    place: Place
    surface: str
    start: int
    end: int
    match: str
    confidence: float
    distance_km: float | None = None  # from the place a question asked about


@dataclass(frozen=True, slots=True)
class Article:
    """One news item as ingested; ``text`` is the exact text that passage offsets point into."""

    text: str
    url: str | None = None
    title: str | None = None
    published: datetime | None = None
    source: str | None = None
    language: str | None = None
    # Why the item's page could not be read, when ``text`` is only its feed's summary: stored
    # so, and the page fetched again later (see ``Store.page_known``).
    page_error: str | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """A passage's place in its article: ``article.text[start:end]``."""

    start: int
    end: int
    words: int


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the store knows it, with its id and ingestion time."""

    id: int
    url: str | None
    title: str | None
    published: datetime | None
    source: str | None
    ingested_at: datetime

    @property
    def when(self) -> datetime:
        """When it happened, as far as Sitrep knows: published, else ingested (the same rule
        as the store's "published since" query)."""
        return self.published or self.ingested_at


@dataclass(frozen=True, slots=True)
class Passage:
    """A window of an article's text, the unit that is embedded, searched and cited."""

    id: int
    article_id: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a passage comes from: enough for a reader to check it at the source."""

    article: StoredArticle
    passage: Passage
    places: tuple[PlaceMention, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """One answer result: the best passage, its scores, and the duplicates folded into it."""

    rank: int
    score: float
    relevance: float
    citation: Citation
    duplicates: tuple[Citation, ...] = ()
    matched: PlaceMention | None = None  # the mention nearest the asked place


@dataclass(frozen=True, slots=True)
class Reading:
    """One place a question's place name may mean, and what the corpus reports around it."""

    place: Place
    reports: int = 0  # stored passages that confidently name a place within the radius
    weight: float = 0.0  # the same passages, the recent ones counting more
    landmark: str | None = None  # "9 km from Karlivka": tells namesakes of one region apart

    @property
    def described(self) -> str:
        """ "Fedorivka (Poltava, UA), 9 km from Karlivka": the label, and the landmark."""
        return self.place.label + (f", {self.landmark}" if self.landmark else "")


class NothingFound(StrEnum):
    """Why an answer holds no hits; the note says the same in words."""

    NO_WORDS = "no words"  # the question has nothing to search for
    EMPTY_INDEX = "empty index"  # nothing has been ingested yet
    UNKNOWN_PLACE = "unknown place"  # a place-like name that no gazetteer holds
    AMBIGUOUS_PLACE = "ambiguous place"  # a name that fits several places
    NOTHING_NEAR = "nothing near"  # no passage names a place within the radius (or region)
    NOTHING_SINCE = "nothing since"  # nothing was published in the time window
    NOTHING_RELEVANT = "nothing relevant"  # candidates exist, none passes the relevance gate


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question: ranked hits, or none with a note and a reason saying why."""

    question: str
    hits: tuple[Hit, ...]
    note: str | None = None
    since: datetime | None = None
    place: Place | None = None
    radius_km: float | None = None
    candidates: tuple[Place, ...] = ()  # an ambiguous place name: the places it may mean
    suggestions: tuple[Place, ...] = ()  # an unknown place name: the places spelt like it
    reason: NothingFound | None = None  # set exactly when there are no hits
    # The other places the question's place name may mean (the answer is for ``place``).
    alternatives: tuple[Reading, ...] = ()
    named: str | None = None  # the words that named the place, as the user wrote them


@dataclass(frozen=True, slots=True)
class IngestFailure:
    """One source, or one item inside a source, that could not be ingested, and why."""

    where: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    """What one ingest run did; mutable while the run goes on, then handed to the caller."""

    added: int = 0
    known: int = 0
    passages: int = 0
    failures: list[IngestFailure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Articles stored (and counted in ``added``) as their feed's summary: their page failed.
    summary_only: list[IngestFailure] = field(default_factory=list)
