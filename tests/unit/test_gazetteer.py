"""Gazetteer compilation: overrides from places.toml, GeoNames dumps, and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import SourceError
from index.places.cache import GazetteerFiles, add_dump, compile_gazetteer
from index.places.gazetteer import Gazetteer
from index.places.geonames import read_geonames_dump, read_overrides

PLACES_TOML = """
[[alias]]
name = "Old Town"
geonameid = 1

[[place]]
geonameid = 9900001
name = "Example Village"
lat = 48.9
lon = 38.1
country = "UA"
admin1 = "05"
population = 300
alternates = ["Example Selo"]

[block]
names = ["Testburg"]
"""


def tiny(tmp_path: Path) -> Gazetteer:
    (tmp_path / "places.toml").write_text(PLACES_TOML)
    places, aliases, blocked = read_overrides(tmp_path / "places.toml")
    dump = tmp_path / "UA.txt"
    dump.write_text(
        "1\tTestburg\tTestburg\tTestograd\t48.5\t38.0\tP\tPPL\tUA\t\t05\t\t\t\t5000\t\t\t\t\n"
        "2\tKramarivka\tKramarivka\t\t48.6\t38.2\tP\tPPL\tUA\t\t05\t\t\t\t800\t\t\t\t\n"
    )
    records = [*read_geonames_dump(dump), *places]
    data = compile_gazetteer(records, ("UA",), {"UA.05": "Donetsk"}, aliases, blocked, "fp")
    return Gazetteer(data)


def test_overrides_add_places_aliases_and_blocks(tmp_path: Path) -> None:
    gaz = tiny(tmp_path)
    assert gaz.lookup("Testburg") == []  # blocked
    assert [c.place.geonameid for c in gaz.lookup("Old Town")] == [1]  # alias
    assert [c.place.geonameid for c in gaz.lookup("Testograd")] == [1]
    village = gaz.lookup("Example Selo")[0].place
    assert (village.name, village.admin1, village.country) == ("Example Village", "Donetsk", "UA")
    assert village.label == "Example Village (Donetsk, UA)"


def test_bad_override_entry_is_named(tmp_path: Path) -> None:
    path = tmp_path / "places.toml"
    path.write_text('[[place]]\nname = "No id"\n')
    with pytest.raises(Exception, match=r"\[\[place\]\] entry"):
        read_overrides(path)


def test_add_dump_keeps_populated_places_in_scope(tmp_path: Path) -> None:
    dump = tmp_path / "XX.txt"
    dump.write_text(
        "10\tA Village\tA Village\t\t48.0\t38.0\tP\tPPL\tUA\t\t05\t\t\t\t100\t\t\t\t\n"
        "11\tA Hill\tA Hill\t\t48.0\t38.0\tT\tHLL\tUA\t\t05\t\t\t\t0\t\t\t\t\n"
        "12\tFar Away\tFar Away\t\t10.0\t10.0\tP\tPPL\tNG\t\t05\t\t\t\t900\t\t\t\t\n"
    )
    files = GazetteerFiles(tmp_path / "g.bin", tmp_path / "extra", tmp_path / "none.toml", ("UA",))
    assert add_dump(files, dump) == 1
    assert (tmp_path / "extra" / "XX.txt").read_text().startswith("10\tA Village")


@pytest.mark.parametrize(
    "content", [b"not\ta dump\n", b"\xff\xfe\x00garbage" * 10, b"12\tOnly\tfour\tcolumns\n"]
)
def test_bad_dumps_are_refused_and_nothing_is_written(tmp_path: Path, content: bytes) -> None:
    dump = tmp_path / "bad.txt"
    dump.write_bytes(content)
    files = GazetteerFiles(tmp_path / "g.bin", tmp_path / "extra", tmp_path / "none.toml", ("UA",))
    with pytest.raises(SourceError):
        add_dump(files, dump)
    assert not (tmp_path / "extra").exists()


def test_a_bad_row_after_good_ones_is_refused_with_its_line(tmp_path: Path) -> None:
    dump = tmp_path / "XX.txt"
    dump.write_text(
        "10\tA Village\tA Village\t\t48.0\t38.0\tP\tPPL\tUA\t\t05\t\t\t\t100\t\t\t\t\n"
        "\n"
        "11\tBad\tBad\t\tnorth\t38.0\tP\tPPL\tUA\t\t05\t\t\t\t100\t\t\t\t\n"
    )
    files = GazetteerFiles(tmp_path / "g.bin", tmp_path / "extra", tmp_path / "none.toml", ("UA",))
    with pytest.raises(SourceError, match=r"XX\.txt line 3: could not convert"):
        add_dump(files, dump)
    with pytest.raises(SourceError, match=r"XX\.txt line 3: could not convert"):
        list(read_geonames_dump(dump))
    assert not (tmp_path / "extra").exists()
