"""Countries, continents and first-level regions as places: names, abbreviations, demonyms,
regions named as regions, and what the text's own areas tell about its towns."""

from __future__ import annotations

import pytest

from index.models import Place
from index.places.gazetteer import Gazetteer
from index.places.geoparse import find_places

UKRAINE, RUSSIA, SUDAN, USA, UK, MEXICO, ARMENIA = (
    690791,
    2017370,
    366755,
    6252001,
    2635167,
    3996063,
    174982,
)
EUROPE = 6255148
KHERSON_OBLAST, KHARKIV_OBLAST, TEXAS, NORTH_DARFUR = 706442, 706482, 4736286, 408666
MYKOLAIV_CITY, PARIS_TEXAS, ALEXANDRIA_VIRGINIA = 700569, 4717560, 4744091


def places(text: str, gazetteer: Gazetteer) -> dict[str, Place | None]:
    out = {}
    for m in find_places(text, gazetteer):
        assert text[m.start : m.end] == m.surface
        out[m.surface] = m.place
    return out


@pytest.mark.parametrize(
    ("text", "surface", "geonameid", "kind"),
    [
        ("Talks between Russia and Ukraine stalled.", "Ukraine", UKRAINE, "country"),
        ("Aid reached Sudan on Monday.", "Sudan", SUDAN, "country"),
        ("The U.S. sent more shells.", "U.S.", USA, "country"),
        ("Britain and the EU condemned the strike.", "Britain", UK, "country"),
        ("Britain and the EU condemned the strike.", "EU", EUROPE, "continent"),
        ("Migrants crossed into Mexico overnight.", "Mexico", MEXICO, "country"),
        ("Troops from Armenia joined the drill.", "Armenia", ARMENIA, "country"),
        ("Russian forces shelled the town.", "Russian", RUSSIA, "country"),
        ("Shelling in the Kherson region went on.", "Kherson", KHERSON_OBLAST, "region"),
        ("Villages in the province of Kharkov were hit.", "Kharkov", KHARKIV_OBLAST, "region"),
        ("Kharkiv Oblast lost power.", "Kharkiv Oblast", KHARKIV_OBLAST, "region"),
        ("У Херсонській області тривають обстріли.", "Херсонській", KHERSON_OBLAST, "region"),
        ("Storms hit Texas again.", "Texas", TEXAS, "region"),
        ("Fighting spread in North Darfur state.", "North Darfur", NORTH_DARFUR, "region"),
    ],
)
def test_areas_are_places(
    gazetteer: Gazetteer, text: str, surface: str, geonameid: int, kind: str
) -> None:
    place = places(text, gazetteer)[surface]
    assert place is not None and (place.geonameid, place.kind) == (geonameid, kind)


def test_a_region_named_as_a_region_is_never_its_capital(gazetteer: Gazetteer) -> None:
    found = places("Kherson was shelled; the Kherson region lost power.", gazetteer)
    city, region = (
        m.place
        for m in find_places("Kherson was shelled; the Kherson region lost power.", gazetteer)
    )
    assert city is not None and city.kind == "town" and city.name == "Kherson"
    assert region is not None and region.kind == "region" and region.geonameid == KHERSON_OBLAST
    assert found["Kherson"] is not None


def test_an_area_has_a_label_that_says_what_it_is(gazetteer: Gazetteer) -> None:
    sudan = gazetteer.get(SUDAN)
    region = gazetteer.get(KHERSON_OBLAST)
    assert sudan is not None and sudan.label == "Sudan (country)" and sudan.is_area
    assert region is not None and region.label == "Kherson (region, UA)"


def test_a_large_city_named_exactly_is_not_lost_to_a_village(gazetteer: Gazetteer) -> None:
    found = places("Mykolaiv was hit again overnight.", gazetteer)
    assert found["Mykolaiv"] is not None and found["Mykolaiv"].geonameid == MYKOLAIV_CITY


def test_a_frequent_word_with_a_case_ending_is_no_place(gazetteer: Gazetteer) -> None:
    # "Станом на" (as of) is no inflection of Stakhanov (Kadiyivka)
    assert "Станом" not in places("Станом на ранок обстріли тривають.", gazetteer)


def test_the_region_a_text_names_chooses_the_namesake(gazetteer: Gazetteer) -> None:
    found = places("Paris, Texas saw storms; Alexandria, Virginia too.", gazetteer)
    assert found["Paris"] is not None and found["Paris"].geonameid == PARIS_TEXAS
    assert found["Alexandria"] is not None
    assert found["Alexandria"].geonameid == ALEXANDRIA_VIRGINIA
    assert places("Paris hosted the summit.", gazetteer)["Paris"].country == "FR"  # type: ignore[union-attr]


def test_demonyms_in_other_languages_point_to_the_country(gazetteer: Gazetteer) -> None:
    assert gazetteer.demonyms_in("les forces soudanaises et les milices") == {"SD"}
    assert gazetteer.demonyms_in("militantes ucranianos cerca de la ciudad") == {"UA"}
    assert gazetteer.demonyms_in("ukrainische Drohnen griffen an") == {"UA"}


@pytest.mark.parametrize(
    ("question", "surface", "geonameid"),
    [
        ("ماذا حدث في حلب؟", "حلب", 170063),  # Aleppo
        ("ماذا حدث في الفاشر؟", "الفاشر", 379555),  # El Fasher
    ],
)
def test_a_town_written_in_arabic_script_is_found(
    gazetteer: Gazetteer, question: str, surface: str, geonameid: int
) -> None:
    found = {m.surface: m.place for m in find_places(question, gazetteer, lowercase=True)}
    place = found[surface]
    assert place is not None and place.geonameid == geonameid and place.kind == "town"


def test_a_city_by_its_old_english_name_is_not_its_region(gazetteer: Gazetteer) -> None:
    kyiv = places("Talks in Kiev ended without a deal.", gazetteer)["Kiev"]
    assert kyiv is not None and kyiv.kind == "town" and kyiv.geonameid == 703448
