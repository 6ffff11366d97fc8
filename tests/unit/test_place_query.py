"""parse_place_query: which place, what radius, what topic; unknown and ambiguous names."""

from __future__ import annotations

import re

import pytest

from index.errors import QueryError
from index.places.gazetteer import Gazetteer
from index.places.geoparse import ContextPoint
from index.places.query import PlaceQuery, parse_place_query

DONBAS = [ContextPoint(48.86, 38.10, 1.0), ContextPoint(48.59, 37.99, 1.0)]


def parse(q: str, gazetteer: Gazetteer, **kw: object) -> PlaceQuery:
    return parse_place_query(q, gazetteer, DONBAS, 15.0, 5.0, **kw)  # type: ignore[arg-type]


def test_near_uses_the_default_radius_and_the_corpus_context(gazetteer: Gazetteer) -> None:
    q = parse("what happened near Seversk?", gazetteer)
    assert q.place is not None and q.place.name == "Siversk"
    assert q.radius_km == 15.0 and q.surface == "Seversk"
    assert "Seversk" not in q.topic


def test_in_means_the_place_itself(gazetteer: Gazetteer) -> None:
    q = parse("shelling in Bajmut", gazetteer)
    assert q.place is not None and q.place.name == "Bakhmut"
    assert q.radius_km == 5.0 and q.topic == "shelling"


@pytest.mark.parametrize(
    ("question", "radius"),
    [("Bakhmut within 20 km", 20.0), ("drones 7.5 km from Bakhmut", 7.5), ("Bakhmut, 30km", 30.0)],
)
def test_radius_in_the_question(gazetteer: Gazetteer, question: str, radius: float) -> None:
    q = parse(question, gazetteer)
    assert q.place is not None and q.place.name == "Bakhmut" and q.radius_km == radius
    assert "km" not in q.topic


def test_options_win_over_the_question(gazetteer: Gazetteer) -> None:
    q = parse("shelling", gazetteer, near="Bajmut", radius_km=20.0)
    assert q.place is not None and q.place.name == "Bakhmut" and q.radius_km == 20.0
    assert q.topic == "shelling"
    by_id = parse("shelling", gazetteer, near="713174")
    assert by_id.place is not None and by_id.place.name == "Bakhmut"
    with pytest.raises(QueryError):
        parse("shelling", gazetteer, near="999999999")
    with pytest.raises(QueryError):
        parse("Bakhmut within 5000 km", gazetteer)


def test_unknown_place_gets_suggestions(gazetteer: Gazetteer) -> None:
    q = parse("what happened near Bahmt?", gazetteer)
    assert q.place is None and q.unknown == "Bahmt"
    assert "Bakhmut" in [p.name for p in q.suggestions]
    nothing = parse("what happened near Zzyzx?", gazetteer)
    assert nothing.unknown == "Zzyzx" and nothing.suggestions == ()


def test_ambiguous_place_lists_candidates_and_a_region_narrows_them(
    gazetteer: Gazetteer,
) -> None:
    q = parse("what happened near Fedorivka?", gazetteer)
    assert q.place is None and len(q.candidates) >= 4
    narrowed = parse("what happened near Fedorivka, Poltava?", gazetteer)
    assert narrowed.candidates and all(p.admin1 == "Poltava" for p in narrowed.candidates)


def test_question_without_a_place(gazetteer: Gazetteer) -> None:
    q = parse("what is the latest on grain exports?", gazetteer)
    assert q == PlaceQuery(None, None, "what is the latest on grain exports?")


@pytest.mark.parametrize(
    ("question", "shown"),
    [("Bakhmut within 99999999999999999999 km", "1e+20"), ("Bakhmut within 12345 km", "12345")],
)
def test_a_radius_out_of_range_is_quoted_whole(
    gazetteer: Gazetteer, question: str, shown: str
) -> None:
    # Only the number's last four digits were read ("not 9999").
    with pytest.raises(QueryError, match=rf"not {re.escape(shown)}$"):
        parse(question, gazetteer)
