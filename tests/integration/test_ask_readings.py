"""A place name with several readings is answered for the one the corpus reports on, and the
others are offered; qualifiers narrow a name; names no gazetteer holds are read in the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.render.data import answer_json
from bot.render.text import answer_text
from conftest import write_jsonl
from index.models import NothingFound

SIVERSK, SEVERSK_TOMSK = 694403, 1538637
POKROVSK = 704422
FEDORIVKA_POLOHY, FEDORIVKA_SOUTH = 710397, 709224

_DEEDS = [
    "artillery hit a warehouse",
    "a drone damaged the railway depot",
    "two shells fell near the school",
    "the water station lost power",
    "troops repelled an assault on the eastern edge",
    "a supply truck burned on the highway",
    "volunteers evacuated twelve residents",
    "a glide bomb struck the old market",
    "the bridge over the river was shelled again",
    "medics treated four wounded soldiers",
    "the mayor asked civilians to leave",
    "a mortar round hit the bus station",
]


def _records(name: str, count: int, host: str, day: int = 20) -> list[dict[str, object]]:
    return [
        {
            "url": f"https://{host}.example/{n}",
            "title": f"{name}: update {n}",
            "published": f"2026-11-{day - n % 10:02d}T07:00:00Z",
            "source": "Front Desk",
            "text": f"In {name}, Donetsk region, {_DEEDS[n % len(_DEEDS)]} on day {n}, "
            f"local officials said (report {host} {n}).",
        }
        for n in range(count)
    ]


@pytest.fixture
def reported(fast_app: App, tmp_path: Path) -> App:
    """A corpus that reports a dozen times on Siversk, a few times on Pokrovsk (as
    Pokrovsk) and on a Fedorivka near Polohy, and once on Seversk in Tomsk Oblast."""
    records = [
        *_records("Siversk", 12, "siversk"),
        *_records("Pokrovsk", 4, "pokrovsk"),
        {
            "url": "https://tomsk.example/1",
            "title": "Seversk plant",
            "published": "2026-11-10T07:00:00Z",
            "source": "Siberia Desk",
            "text": "In Seversk, near Tomsk, the chemical plant held a fire drill, Tomsk "
            "Oblast officials said.",
        },
        {
            "url": "https://polohy.example/1",
            "title": "Strike near Polohy",
            "published": "2026-11-19T07:00:00Z",
            "source": "South Desk",
            "text": "A drone hit a barn in Fedorivka, east of Polohy in the Zaporizhzhia "
            "region; Polohy and Huliaipole were shelled too.",
        },
        {
            "url": "https://sudan.example/1",
            "title": "Camp shelled",
            "published": "2026-11-18T07:00:00Z",
            "source": "Aid Desk",
            "text": "Shells landed in Zamzam camp for displaced families on Tuesday; aid "
            "workers counted dozens of tents burned.",
        },
    ]
    report = fast_app.ingest([str(write_jsonl(tmp_path / "r.jsonl", records))])
    assert report.added == len(records)
    return fast_app


def test_seversk_is_answered_for_the_reported_siversk_and_offers_the_namesake(
    reported: App,
) -> None:
    answer = reported.knowledge.ask("What happened in Seversk?")
    out = answer_json(answer)
    assert out["place"]["geonameid"] == SIVERSK
    assert out["results"]
    [tomsk] = [a for a in out["alternatives"] if a["geonameid"] == SEVERSK_TOMSK]
    assert tomsk["name"] == "Seversk" and tomsk["country"] == "RU"
    assert tomsk["reports"] == 1 and tomsk["label"] == "Seversk (Tomsk Oblast, RU)"
    assert {"lat", "lon", "admin1"} <= set(tomsk)
    text = answer_text(answer)
    assert "Other places named Seversk: Seversk (Tomsk Oblast, RU) — 1 report" in text


def test_old_name_answers_for_the_town_the_reports_name(reported: App) -> None:
    answer = reported.knowledge.ask("Krasnoarmeysk news?")
    assert answer.place is not None and answer.place.geonameid == POKROVSK
    assert answer.hits
    offered = {a.place.country for a in answer.alternatives}
    assert "RU" in offered  # the Russian towns of that name are offered, not hidden


@pytest.mark.parametrize(
    "question",
    [
        "what happened in Fedorivka, Zaporizhzhia?",
        "Fedorivka, Zaporizhzhia oblast",
        "news from Fedorivka in Zaporizhzhia Oblast",
        "що сталося у Федорівка, Запорізька область?",
        "Fedorivka, Zaporozhye",
        "Fedorivka, Polohy",
    ],
)
def test_a_region_qualifier_narrows_in_any_form(reported: App, question: str) -> None:
    answer = reported.knowledge.ask(question)
    assert answer.place is not None, answer.note
    assert answer.place.geonameid == FEDORIVKA_POLOHY
    assert answer.hits and "Name the region" not in (answer.note or "")


def test_namesakes_without_reports_are_told_apart_by_a_nearby_town(reported: App) -> None:
    answer = reported.knowledge.ask("Fedorivka (Poltava)")
    assert answer.reason is NothingFound.AMBIGUOUS_PLACE
    assert {p.admin1 for p in answer.candidates} == {"Poltava"}
    note = answer.note or ""
    assert "Name the region" not in note
    assert note.count(" km from ") >= 2  # "…, 9 km from Karlivka"


def test_a_name_only_the_reports_know_is_answered_from_the_text(reported: App) -> None:
    answer = reported.knowledge.ask("What happened in Zamzam camp?")
    assert answer.reason is None and answer.hits
    assert answer.hits[0].citation.article.url == "https://sudan.example/1"
    assert "Zamzam camp" in answer.hits[0].citation.passage.text
    assert "not a place I know" in (answer.note or "")
    nowhere = reported.knowledge.ask("What happened in Qwertzville?")
    assert nowhere.reason is NothingFound.UNKNOWN_PLACE
    assert 'I don\'t know the place "Qwertzville"' in (nowhere.note or "")


def test_a_known_place_after_an_unknown_name_is_found(reported: App) -> None:
    answer = reported.knowledge.ask("Was the Al-Thawra Hospital in Hodeida hit?")
    assert answer.reason is not NothingFound.UNKNOWN_PLACE
    assert answer.reason is not NothingFound.AMBIGUOUS_PLACE
    assert answer.place is not None and answer.place.country == "YE"


def test_recent_reports_outweigh_many_old_ones(fast_app: App, tmp_path: Path) -> None:
    """Two fresh reports from Siversk against four from Seversk in Tomsk Oblast four months
    ago: the question is about the town in the news now."""
    old = [
        {
            "url": f"https://tomsk.example/{n}",
            "title": f"Seversk {n}",
            "published": f"2026-07-{10 + n:02d}T07:00:00Z",
            "source": "Siberia Desk",
            "text": f"In Seversk, near Tomsk, the plant's drill number {n} went as planned, "
            "Tomsk Oblast officials said.",
        }
        for n in range(4)
    ]
    fresh = [
        {
            "url": f"https://siversk.example/{n}",
            "title": f"Siversk {n}",
            "published": f"2026-11-{19 + n:02d}T07:00:00Z",
            "source": "Front Desk",
            "text": f"In Siversk, Donetsk region, shelling hit house number {n} overnight.",
        }
        for n in range(2)
    ]
    fast_app.ingest([str(write_jsonl(tmp_path / "t.jsonl", [*old, *fresh]))])
    answer = fast_app.knowledge.ask("What happened in Seversk?")
    assert answer.place is not None and answer.place.geonameid == SIVERSK
    [tomsk] = answer.alternatives[:1]
    assert tomsk.place.geonameid == SEVERSK_TOMSK and tomsk.reports == 4
