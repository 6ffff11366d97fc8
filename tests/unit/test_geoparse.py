"""find_places: spellings, context disambiguation, and what must not count as a place."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from index.places.cache import GazetteerFiles
from index.places.gazetteer import Gazetteer, load_gazetteer
from index.places.geoparse import ContextPoint, find_places

SIVERSK, SEVERSK_TOMSK, BAKHMUT, KRAMATORSK = 694403, 1538637, 713174, 704508
KHARKIV, KUPYANSK, VOVCHANSK, MYRNOHRAD, POKROVSK = 706483, 703656, 689304, 710035, 704422


def resolved(text: str, gazetteer: Gazetteer, **kw: object) -> dict[str, int | None]:
    out = {}
    for m in find_places(text, gazetteer, **kw):  # type: ignore[arg-type]
        assert text[m.start : m.end] == m.surface
        out[m.surface] = m.place.geonameid if m.place else None
    return out


@pytest.mark.parametrize(
    ("text", "surface", "geonameid"),
    [
        ("Shelling hit Síversk overnight.", "Síversk", SIVERSK),
        ("Troops advanced on Bajmut from the east.", "Bajmut", BAKHMUT),
        ("Power was cut in Kharkov after the strike.", "Kharkov", KHARKIV),
        ("Drones hit Mirnogorod and Pokrovsk.", "Mirnogorod", MYRNOHRAD),
        ("Бои идут под Бахмутом.", "Бахмутом", BAKHMUT),
        ("Обстріли Сіверська тривають.", "Сіверська", SIVERSK),
        ("Kramatorsk and Sloviansk were shelled.", "Kramatorsk", KRAMATORSK),
    ],
)
def test_spellings_resolve_to_the_place(
    gazetteer: Gazetteer, text: str, surface: str, geonameid: int
) -> None:
    assert resolved(text, gazetteer)[surface] == geonameid


def test_homonym_follows_the_other_places_of_the_text(gazetteer: Gazetteer) -> None:
    donbas = resolved("Assaults on Seversk and Kramatorsk continued.", gazetteer)
    siberia = resolved("Seversk, in Tomsk Oblast, hosts a chemical plant.", gazetteer)
    assert donbas["Seversk"] == SIVERSK
    assert siberia["Seversk"] == SEVERSK_TOMSK


def test_region_words_steer_a_homonym(gazetteer: Gazetteer) -> None:
    found = resolved("Volchansk, in the Kharkov region, was shelled again.", gazetteer)
    assert found["Volchansk"] == VOVCHANSK
    # "the Kharkov region" is the region (Kharkiv Oblast), not the city of Kharkiv
    assert found["Kharkov"] == 706482


def test_misspelt_name_is_found_by_fuzzy_match(gazetteer: Gazetteer) -> None:
    found = find_places("Fighting near Kubyansk and Izium continued.", gazetteer)
    kub = next(m for m in found if m.surface == "Kubyansk")
    assert kub.place is not None and kub.place.geonameid == KUPYANSK
    assert kub.match in ("fuzzy", "context")
    assert kub.confidence < 0.95  # a guess is shown as one


def test_corpus_context_decides_a_lone_homonym(gazetteer: Gazetteer) -> None:
    alone = resolved("Any news from Seversk?", gazetteer)
    donbas = [ContextPoint(48.59, 37.99, 1.0)]  # a corpus that reports on Bakhmut
    with_context = resolved("Any news from Seversk?", gazetteer, context=donbas)
    assert alone["Seversk"] == SEVERSK_TOMSK
    assert with_context["Seversk"] == SIVERSK


@pytest.mark.parametrize(
    "text",
    [
        "The Seversky Donets river loops north of the town.",
        "Vladimir Putin spoke on television.",
        "Alex and Roy met in a cafe; Yama was the nickname.",
        "The KRQ code is used by a small airport.",
        "Near the front the situation is difficult.",
        "the town was shelled; siversk is lower case here.",
    ],
)
def test_not_places(gazetteer: Gazetteer, text: str) -> None:
    assert all(place is None for place in resolved(text, gazetteer).values())


def test_multi_word_names_are_one_mention(gazetteer: Gazetteer) -> None:
    found = find_places("Chasiv Yar and Zoloti Prudy were hit.", gazetteer)
    assert [m.surface for m in found] == ["Chasiv Yar", "Zoloti Prudy"]
    assert all(m.place is not None for m in found)


def test_one_name_one_place_per_text(gazetteer: Gazetteer) -> None:
    found = find_places("Seversk was shelled. Later Seversk lost power; Lysychansk too.", gazetteer)
    ids = {m.place.geonameid for m in found if m.surface == "Seversk" and m.place}
    assert ids == {SIVERSK}


def test_ambiguous_village_is_unresolved_but_lists_candidates(gazetteer: Gazetteer) -> None:
    [m] = find_places("Fedorivka was shelled.", gazetteer)
    assert m.place is None and m.candidates >= 4
    assert {p.name for p in m.alternatives} >= {"Fedorivka"}


def test_lowercase_questions(gazetteer: Gazetteer) -> None:
    found = resolved("what happened in bakhmut?", gazetteer, lowercase=True)
    assert found == {"bakhmut": BAKHMUT}


@pytest.mark.parametrize("text", ["", "   ", "?!...", "12345 67890", "\x00\x01"])
def test_texts_without_names(gazetteer: Gazetteer, text: str) -> None:
    assert find_places(text, gazetteer) == []


def test_a_megabyte_of_text(gazetteer: Gazetteer) -> None:
    para = "Shelling hit Siversk and Kramatorsk. Residents of Bakhmut were evacuated. "
    text = para * (1_000_000 // len(para))
    found = find_places(text, gazetteer)
    assert len(found) == 3 * (1_000_000 // len(para))
    assert {m.place.geonameid for m in found if m.place} == {SIVERSK, KRAMATORSK, BAKHMUT}


def test_threads_geoparsing_at_once_find_what_one_thread_finds(
    gazetteer: Gazetteer, gazetteer_cache: Path
) -> None:
    """Ingest and /ask geoparse at the same time on one gazetteer, its memos empty."""
    texts = [
        "Shelling hit Siversk and Kramatorsk overnight.",
        "Бои идут под Бахмутом, обстріли Сіверська тривають.",
        "Drones hit Mirnogorod and Pokrovsk; Kharkov lost power.",
        "Fighting near Fedorivka, close to Myrnohrad, in the Donetsk region.",
    ]
    expected = [find_places(t, gazetteer) for t in texts]
    fresh = load_gazetteer(
        GazetteerFiles(
            cache=gazetteer_cache,
            extra_dir=gazetteer_cache.parent / "extra",
            overrides=Path(__file__).resolve().parents[2] / "config" / "places.toml",
            scope=gazetteer.scope,
        )
    )
    start = threading.Barrier(4)

    def geoparse(_: int) -> list[list[object]]:
        start.wait()
        return [list(find_places(t, fresh)) for _ in range(20) for t in texts]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(geoparse, range(4)))
    assert all(found == expected * 20 for found in results)
