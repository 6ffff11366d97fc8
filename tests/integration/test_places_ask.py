"""Questions about places through the application: radius search, spellings, gazetteer load."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.render.data import answer_json
from bot.settings import Settings
from conftest import PROJECT, sample_records, write_jsonl
from index.clock import ManualClock
from index.embeddings import HashEmbedder
from index.errors import SourceError
from index.models import NothingFound

SIVERSK, KHARKIV, BAKHMUT = 694403, 706483, 713174
VILLAGES = PROJECT / "tests" / "data" / "UA-villages.txt"


def ingest_corpus(app: App, tmp_path: Path) -> App:
    records = [
        *sample_records(),
        {
            "url": "https://example.org/verj",
            "title": "Assault on a village east of Siversk",
            "published": "2026-11-18T06:00:00Z",
            "source": "Test Wire",
            "text": "Troops attacked Verjnokamianske at dawn with armoured vehicles, "
            "the brigade said. Two assaults were repelled.",
        },
    ]
    report = app.ingest([str(write_jsonl(tmp_path / "c.jsonl", records))])
    assert report.added == len(records)
    return app


@pytest.fixture
def corpus_app(fast_app: App, tmp_path: Path) -> App:
    return ingest_corpus(fast_app, tmp_path)


@pytest.fixture
def own_gazetteer_app(settings: Settings, tmp_path: Path, clock: ManualClock) -> Iterator[App]:
    """An app whose gazetteer is compiled from its own data dir, so loads change it."""
    app = build_app(
        settings.replace(vector_index="numpy", places_cache=tmp_path / "own-gazetteer.bin"),
        embedder=lambda: HashEmbedder(),
        clock=clock,
    )
    yield ingest_corpus(app, tmp_path)
    app.close()


def test_near_siversk_finds_every_spelling_and_nothing_beyond_the_radius(corpus_app: App) -> None:
    answer = corpus_app.knowledge.ask("what happened near Siversk?", k=8)
    out = answer_json(answer)
    assert out["place"]["geonameid"] == SIVERSK and out["radius_km"] == 15
    assert len(out["results"]) >= 5
    for r in out["results"]:
        assert r["matched"]["distance_km"] <= 15
        assert any(p["distance_km"] <= 15 for p in r["places"])
    said = {r["matched"]["surface"] for r in out["results"]}
    assert {"Síversk", "Seversk"} <= said
    assert any(not s.isascii() and s != "Síversk" for s in said)  # the Cyrillic reports
    first = out["results"][0]
    assert first["matched"]["geonameid"] == SIVERSK


def test_kharkov_and_bajmut(corpus_app: App) -> None:
    kharkov = answer_json(corpus_app.knowledge.ask("news from Kharkov"))
    assert kharkov["place"]["geonameid"] == KHARKIV
    assert "kharkiv" in kharkov["results"][0]["article"]["url"]
    bajmut = answer_json(corpus_app.knowledge.ask("what happened in Bajmut?"))
    assert bajmut["place"]["geonameid"] == BAKHMUT and bajmut["radius_km"] == 5
    assert all(r["matched"]["distance_km"] <= 5 for r in bajmut["results"])


def test_nothing_near_a_quiet_place_says_so(corpus_app: App) -> None:
    answer = corpus_app.knowledge.ask("what happened near Tokmak?")
    assert answer.hits == ()
    assert answer.note == "Nothing near Tokmak (Zaporizhzhia, UA) within 15 km yet."
    assert answer.reason is NothingFound.NOTHING_NEAR
    assert answer.place is not None and answer.place.name == "Tokmak"


def test_topic_near_a_place_with_options(corpus_app: App) -> None:
    answer = corpus_app.knowledge.ask("drone strikes", near="Bajmut", radius_km=20)
    assert answer.place is not None and answer.place.geonameid == BAKHMUT
    assert answer.radius_km == 20 and answer.hits
    assert all(h.matched is not None and (h.matched.distance_km or 0) <= 20 for h in answer.hits)


def test_unknown_and_ambiguous_places(corpus_app: App) -> None:
    unknown = corpus_app.knowledge.ask("what happened near Bahmt?")
    assert unknown.hits == () and "Did you mean Bakhmut (Donetsk, UA)" in (unknown.note or "")
    assert unknown.reason is NothingFound.UNKNOWN_PLACE
    ambiguous = corpus_app.knowledge.ask("what happened near Fedorivka?")
    assert ambiguous.hits == () and len(ambiguous.candidates) >= 4
    assert "may be several places" in (ambiguous.note or "")
    assert ambiguous.reason is NothingFound.AMBIGUOUS_PLACE


def test_gazetteer_load_adds_villages_and_rereads_stored_articles(own_gazetteer_app: App) -> None:
    corpus_app = own_gazetteer_app
    before = corpus_app.knowledge.ask("what happened near Verkhnokamianske?")
    assert before.place is None  # no gazetteer has it yet: the reports' text is searched
    assert "not a place I know" in (before.note or "")
    assert all("Verkhnokamianske" in h.citation.passage.text for h in before.hits[:1])
    added, reread = corpus_app.load_gazetteer_dump(VILLAGES)
    assert added == 2  # the hill (feature class T) is not a populated place
    assert reread == len(sample_records()) + 1
    after = corpus_app.knowledge.ask("what happened near Verkhnokamianske?")
    assert after.place is not None and after.place.geonameid == 9900101
    assert any("Verjnokamianske" in h.citation.passage.text for h in after.hits)
    near = corpus_app.knowledge.ask("what happened near Siversk?", k=8)
    assert any(
        h.matched
        and h.matched.surface == "Verjnokamianske"
        and 5 < (h.matched.distance_km or 0) < 8
        for h in near.hits
    )


def test_a_bad_gazetteer_file_changes_nothing(corpus_app: App, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("this is not\ta geonames dump\n")
    with pytest.raises(SourceError, match="not a GeoNames dump"):
        corpus_app.load_gazetteer_dump(bad)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01" * 100)
    with pytest.raises(SourceError):
        corpus_app.load_gazetteer_dump(binary)
    assert not (corpus_app.settings.gazetteer_dir).exists()


def test_punctuation_and_huge_questions(corpus_app: App) -> None:
    assert corpus_app.knowledge.ask("?!").note == "Ask about something: the question has no words."
    long = corpus_app.knowledge.ask("<b>Bakhmut</b> & " + "x" * 5000)
    assert long.place is not None and long.place.geonameid == BAKHMUT
    assert (long.note or "").startswith("Only the first 500 characters were used.")


def test_a_region_means_every_place_in_it(corpus_app: App) -> None:
    answer = corpus_app.knowledge.ask("shelling in the Belgorod region")
    assert answer.place is not None and answer.place.admin1 == "Belgorod Oblast"
    assert answer.hits and all(
        any(m.place.admin1 == "Belgorod Oblast" for m in h.citation.places) for h in answer.hits
    )
    quiet = corpus_app.knowledge.ask("what happened in the Sumy region?")
    assert quiet.hits == () and quiet.note == "Nothing in the Sumy region (UA) yet."
    assert quiet.reason is NothingFound.NOTHING_NEAR and quiet.radius_km is None


def test_an_empty_index_says_so_before_anything_else(fast_app: App) -> None:
    answer = fast_app.knowledge.ask("shelling near Fedorivka")
    assert answer.note == "The index is empty: add articles first with `sitrep ingest`."
    assert answer.reason is NothingFound.EMPTY_INDEX and answer.candidates == ()


def test_every_empty_answer_carries_its_reason_and_note(corpus_app: App) -> None:
    ask = corpus_app.knowledge.ask
    future = datetime(2030, 1, 1, tzinfo=UTC)
    words = ask("?!")
    assert (words.reason, words.place) == (NothingFound.NO_WORDS, None)
    since = ask("shelling", since=future)
    assert since.note == "Nothing was published since 2030-01-01 00:00 UTC."
    assert since.reason is NothingFound.NOTHING_SINCE
    near = ask("shelling near Bakhmut", since=future)
    assert near.note == "Nothing near Bakhmut (Donetsk, UA) within 15 km since 2030-01-01 yet."
    assert (near.reason, near.radius_km) == (NothingFound.NOTHING_NEAR, 15.0)
    region = ask("shelling in the Belgorod region", since=future)
    assert region.note == "Nothing in the Belgorod Oblast region (RU) since 2030-01-01 yet."
    off_topic = ask("quantum chromodynamics lattice")
    assert off_topic.reason is NothingFound.NOTHING_RELEVANT and off_topic.place is None
    assert (off_topic.note or "").startswith(
        'Nothing relevant found for "quantum chromodynamics lattice": the best passage scored '
    )
    assert (off_topic.note or "").endswith(", under the relevance threshold 0.20.")
    found = ask("shelling near Siversk")
    assert found.hits and found.reason is None and found.note is None
