"""Questions in the languages users write in: cue words before a place, the radius they
mean, and names in scripts without capitals."""

from __future__ import annotations

import pytest

from index.models import Place
from index.places.gazetteer import Gazetteer
from index.places.geoparse import ContextPoint
from index.places.query import PlaceQuery, parse_place_query

DONBAS = [ContextPoint(48.86, 38.10, 1.0), ContextPoint(48.59, 37.99, 1.0)]
BAKHMUT = 713174


def parse(q: str, gazetteer: Gazetteer, **kw: object) -> PlaceQuery:
    return parse_place_query(q, gazetteer, DONBAS, 15.0, 5.0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "topic", "radius"),
    [
        ("bombardements près de Bakhmut", "bombardements", 15.0),
        ("explosions à Bakhmut", "explosions", 5.0),
        ("Explosionen bei Bakhmut", "Explosionen", 15.0),
        ("Explosionen in der Nähe von Bakhmut", "Explosionen", 15.0),
        ("explosiones cerca de Bajmut", "explosiones", 15.0),
        ("explosiones en Bajmut", "explosiones", 5.0),
        ("esplosioni vicino a Bakhmut", "esplosioni", 15.0),
        ("explosões perto de Bakhmut", "explosões", 15.0),
        ("انفجارات في Bakhmut", "انفجارات", 5.0),
    ],
)
def test_cue_words_in_other_languages_leave_the_topic_and_set_the_radius(
    gazetteer: Gazetteer, question: str, topic: str, radius: float
) -> None:
    q = parse(question, gazetteer)
    assert q.place is not None and q.place.geonameid == BAKHMUT
    assert q.topic == topic and q.radius_km == radius


def test_the_place_after_a_cue_word_is_the_one_asked_about(gazetteer: Gazetteer) -> None:
    q = parse("reporter di Soledar vicino a Bakhmut", gazetteer)
    assert q.place is not None and q.place.geonameid == BAKHMUT
    q = parse("журналісти Соледара біля Бахмута", gazetteer)
    assert q.place is not None and q.place.geonameid == BAKHMUT


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("ماذا حدث في زمزمستان؟", "زمزمستان"),
        ("que s'est-il passé près de Zzyzxville ?", "Zzyzxville"),
        ("was geschah bei Qwertzhausen?", "Qwertzhausen"),
    ],
)
def test_an_unknown_name_after_a_cue_word_in_any_script_is_named(
    gazetteer: Gazetteer, question: str, name: str
) -> None:
    q = parse(question, gazetteer)
    assert q.place is None and q.unknown == name


def test_a_name_the_reports_hold_is_read_as_text(gazetteer: Gazetteer) -> None:
    said: list[list[str]] = []

    def in_text(words: object) -> bool:
        said.append(list(words))  # type: ignore[call-overload]
        return True

    q = parse("ماذا حدث في زمزمستان؟", gazetteer, in_text=in_text)
    assert q.textual == "زمزمستان" and q.unknown is None and said == [["زمزمستان"]]


def test_reports_choose_the_reading_and_the_others_are_offered(gazetteer: Gazetteer) -> None:
    def evidence(place: Place, km: float) -> tuple[int, float]:
        return (7, 7.0) if place.country == "RU" else (0, 0.0)

    q = parse("what happened near Seversk?", gazetteer, evidence=evidence)
    assert q.place is not None and q.place.geonameid == 1538637  # Tomsk Oblast: reported
    assert [a.place.geonameid for a in q.alternatives] == [694403]


def test_comparable_reports_leave_the_choice_to_the_user(gazetteer: Gazetteer) -> None:
    q = parse("what happened near Seversk?", gazetteer, evidence=lambda p, km: (3, 3.0))
    assert q.place is None and {p.geonameid for p in q.candidates} == {694403, 1538637}
    assert all(r.reports == 3 for r in q.readings)
