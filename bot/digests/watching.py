"""Watches and chat settings: parse "/watch Kupiansk 15 drones", resolve the place once, store."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.watches import ChatSettings, Watch
from bot.storage.chats import ChatStore
from index.errors import QueryError
from index.models import Place
from index.places.resolve import PlaceIndex
from index.store import Store

_KM = re.compile(r"^(\d{1,4}(?:[.,]\d+)?)\s*(?:km|км)?$", re.IGNORECASE)
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]?([0-5]\d)$")
MAX_RADIUS_KM = 300.0
MAX_WATCHES = 50  # per chat: a digest over more places stops being read


@dataclass(frozen=True, slots=True)
class WatchRequest:
    """``/watch`` arguments split into place words, radius and keywords."""

    place: str
    radius_km: float | None
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WatchOutcome:
    """A new watch, or why none was made: the place is ambiguous or unknown."""

    watch: Watch | None
    request: WatchRequest
    candidates: tuple[Place, ...] = ()
    suggestions: tuple[Place, ...] = ()


def parse_watch(text: str) -> WatchRequest:
    """ "Bakhmut, 15 km" / "Kupiansk 15 drones" / "Chasiv Yar": place words, radius, keywords.

    The words before a number name the place and the words after it are keywords.
    """
    words = [w.strip(",;") for w in text.split()]
    words = [w for w in words if w]
    for i, word in enumerate(words):
        if i == 0:
            continue
        m = _KM.match(word)
        if m:
            rest = words[i + 1 :]
            if rest and rest[0].lower() in ("km", "км", "kms", "kilometres", "kilometers"):
                rest = rest[1:]
            return WatchRequest(
                " ".join(words[:i]), float(m.group(1).replace(",", ".")), tuple(rest)
            )
    return WatchRequest(" ".join(words), None, ())


def parse_time_of_day(text: str) -> time:
    """ "08:00", "7:30", "0730" as a time of day."""
    m = _TIME.match(text.strip())
    if not m:
        raise QueryError(f"cannot read the time {text!r}: write it like 08:00 or 19:30")
    return time(int(m.group(1)), int(m.group(2)))


def check_timezone(name: str) -> str:
    """A valid IANA timezone name ("Europe/Kyiv"), or a QueryError saying how to write one."""
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise QueryError(
            f"unknown timezone {name!r}: use a name like Europe/Kyiv, Europe/Berlin or UTC"
        ) from exc
    return name.strip()


class Watching:
    """The chat-side operations on watches and settings; blocking (SQLite, the gazetteer)."""

    def __init__(self, chats: ChatStore, store: Store, places: PlaceIndex) -> None:
        self.chats = chats
        self.store = store
        self.places = places

    def chat(self, chat_id: int, now: datetime) -> ChatSettings:
        """A chat's settings; a new chat starts after the passages already stored."""
        return self.chats.chat(chat_id, now, cursor=self.store.max_passage_id())

    def watch(self, chat_id: int, text: str, now: datetime) -> WatchOutcome:
        """Resolve ``/watch`` arguments to one place and store the watch."""
        request = parse_watch(text)
        if not request.place:
            raise QueryError("Say which place to watch, e.g. /watch Bakhmut 20")
        query = self.places.parse("", request.place, request.radius_km)
        if query.place is None and not query.candidates:
            return WatchOutcome(None, request, suggestions=query.suggestions)
        # "Kupiansk drones": the words after the place's name are keywords too.
        surface = query.surface or request.place
        at = request.place.find(surface)
        rest = request.place[at + len(surface) :].split() if at >= 0 else []
        kept = WatchRequest(surface, request.radius_km, (*rest, *request.keywords))
        if query.place is None:
            return WatchOutcome(None, kept, candidates=query.candidates)
        watch = self.add(chat_id, query.place, request.radius_km, kept.keywords, now)
        return WatchOutcome(watch, kept)

    def add(
        self,
        chat_id: int,
        place: Place | tuple[float, float],
        radius_km: float | None,
        keywords: Sequence[str],
        now: datetime,
    ) -> Watch:
        """Store a watch of a place or of a shared point (lat, lon)."""
        radius = radius_km or self.places.default_radius_km
        if not 0 < radius <= MAX_RADIUS_KM:
            raise QueryError(f"the radius must be between 0 and {MAX_RADIUS_KM:g} km")
        self.chat(chat_id, now)
        if len(self.chats.watches(chat_id)) >= MAX_WATCHES:
            raise QueryError(f"a chat can watch at most {MAX_WATCHES} places: /unwatch some first")
        if isinstance(place, Place):
            name, label, gid = place.name, place.label, place.geonameid
            lat, lon = place.lat, place.lon
        else:
            lat, lon = place
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise QueryError(f"not a point on Earth: {lat}, {lon}")
            gid = None
            name = label = f"{lat:.4f}, {lon:.4f}"
            near = self.places.gazetteer.nearest(lat, lon)
            if near is not None:
                town, km = near
                name = f"point near {town.name}"
                label = f"{lat:.4f}, {lon:.4f}, {km:g} km from {town.label}"
        watch = Watch(
            0,
            chat_id,
            name,
            label,
            lat,
            lon,
            radius,
            tuple(keywords),
            gid,
            after_passage=self.store.max_passage_id(),
        )
        return self.chats.add_watch(watch, now)

    def add_by_id(
        self,
        chat_id: int,
        geonameid: int,
        radius_km: float | None,
        keywords: Sequence[str],
        now: datetime,
    ) -> Watch:
        """Store a watch of a gazetteer place picked from buttons."""
        place = self.places.gazetteer.get(geonameid)
        if place is None:
            raise QueryError(f"no place with GeoNames id {geonameid}")
        return self.add(chat_id, place, radius_km, keywords, now)

    def settings(
        self,
        chat_id: int,
        now: datetime,
        digest_time: str | None = None,
        timezone: str | None = None,
        instant: bool | None = None,
    ) -> ChatSettings:
        """Change (any of) a chat's digest time, timezone and instant mode; returns them."""
        self.chat(chat_id, now)
        self.chats.update_chat(
            chat_id,
            digest_time=parse_time_of_day(digest_time) if digest_time else None,
            timezone=check_timezone(timezone) if timezone else None,
            instant=instant,
        )
        found = self.chats.get_chat(chat_id)
        assert found is not None
        return found
