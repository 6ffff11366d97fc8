"""The CLI end to end with the real bundled model and real FAISS: ingest, ask, stats, reindex."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from conftest import PROJECT, SAMPLE, SEEDS, sample_records
from index.embeddings import SentenceTransformerEmbedder

pytestmark = pytest.mark.slow


@pytest.fixture
def data(tmp_path: Path, real_model: SentenceTransformerEmbedder) -> Path:
    """A data dir with the sample corpus ingested through the CLI."""
    d = tmp_path / "data"
    assert main(["--data-dir", str(d), "ingest", str(SAMPLE)]) == 0
    return d


def ask_json(data: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    capsys.readouterr()
    assert main(["--data-dir", str(data), "ask", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_ask_json_puts_the_right_passage_first(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ask_json(data, capsys, "drone attacks on Moscow")
    assert out["question"] == "drone attacks on Moscow"
    assert out["place"]["name"] == "Moscow" and out["radius_km"] == 15 and out["note"] is None
    first = out["results"][0]
    assert "moscow" in first["article"]["url"] and "Moscow" in first["passage"]["text"]
    assert 1 <= len(out["results"]) <= 5
    texts = {r["url"]: r["text"] for r in sample_records()}
    for r in out["results"]:
        p = r["passage"]
        assert texts[r["article"]["url"]][p["start"] : p["end"]] == p["text"]
        assert set(r["article"]) == {"id", "url", "title", "published", "source"}
    assert [r["rank"] for r in out["results"]] == list(range(1, len(out["results"]) + 1))


def test_exact_number_and_variant_spelling(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ask_json(data, capsys, "220,000 households")
    assert "220,000" in out["results"][0]["passage"]["text"]
    out = ask_json(data, capsys, "power cuts in Kharkov")
    assert "kharkiv" in out["results"][0]["article"]["url"]


def test_wire_copy_from_two_outlets_is_one_result(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ask_json(data, capsys, "Russian assaults towards Seversk from Zvanivka")
    wire = {r["url"] for r in sample_records() if "Zvanivka" in (r["title"] or "")}
    assert len(wire) == 2
    urls = [r["article"]["url"] for r in out["results"]]
    first = out["results"][0]
    assert len(first["duplicates"]) == 1
    assert {first["article"]["url"], first["duplicates"][0]["article"]["url"]} == wire
    assert first["duplicates"][0]["article"]["source"] != first["article"]["source"]
    assert first["duplicates"][0]["article"]["url"] not in urls


def test_absent_topic_gives_no_results_and_a_note(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for question in ("volcanic eruption in Iceland", "football transfer news from Barcelona"):
        out = ask_json(data, capsys, question)
        assert out["results"] == []
        # Iceland is a country: nothing is reported anywhere inside it
        assert out["note"].startswith(
            ("Nothing relevant", "Nothing near Barcelona", "Nothing in Iceland")
        )


def test_questions_from_stdin_load_once(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    stdin = io.StringIO("drone attacks on Moscow\n\nflooding in Kherson\nvolcano in Iceland\n")
    assert main(["--data-dir", str(data), "ask", "--json", "-k", "2", "-"], stdin=stdin) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    # One output line per input line, the empty one included.
    assert [x["question"] for x in lines] == [
        "drone attacks on Moscow",
        "",
        "flooding in Kherson",
        "volcano in Iceland",
    ]
    assert lines[1] == {"question": "", "error": "an empty line: no question"}
    assert len(lines[0]["results"]) <= 2 and "kherson" in lines[2]["results"][0]["article"]["url"]


def test_a_bad_question_in_a_batch_is_answered_with_its_error_and_the_rest_go_on(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    stdin = io.StringIO("Bakhmut within 99999999999999999999 km\n<b>shelling</b> near Siversk\n")
    assert main(["--data-dir", str(data), "ask", "--json", "-"], stdin=stdin) == 1
    first, second = (json.loads(x) for x in capsys.readouterr().out.splitlines())
    assert first["question"] == "Bakhmut within 99999999999999999999 km"
    assert "radius" in first["error"]
    assert second["question"] == "<b>shelling</b> near Siversk" and second["results"]


def test_since_window(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Reports dated after the 14th answer it. (An undated article counts from when it was
    # ingested, which is the machine's clock here: the question does not depend on it.)
    out = ask_json(data, capsys, "--since", "2026-11-14", "evacuation of residents")
    assert any(r["article"]["published"] for r in out["results"])
    assert all(
        r["article"]["published"] is None or r["article"]["published"] >= "2026-11-14"
        for r in out["results"]
    )
    capsys.readouterr()
    assert main(["--data-dir", str(data), "ask", "--since", "soon", "x"]) == 1
    assert "time window" in capsys.readouterr().err


def test_text_output_cites_each_passage(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--data-dir", str(data), "ask", "grain exports from Odessa"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Q: grain exports from Odessa\n   place: Odesa (Odessa, UA), within 15 km\n"
        "   Other places named Odessa: Odessa (Texas, US)"
    )
    assert "\n[1] " in out
    assert "Southern Front Bulletin — undated — https://" in out
    assert "score" in out


def test_stats_and_reindex_and_rebuild_of_a_broken_index(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["--data-dir", str(data), "stats"]) == 0
    stats = capsys.readouterr().out
    assert "articles     14" in stats and "model        all-MiniLM-L6-v2" in stats
    passages = int(stats.split("passages")[1].split()[0])
    assert f"index size   {passages} vectors" in stats
    index = data / "vectors.faiss"

    def ranked() -> list[int]:
        found = ask_json(data, capsys, "drone attacks on Moscow")["results"]
        return [r["passage"]["id"] for r in found]

    expected = ranked()
    for damage in ("remove", "garbage", "stale"):
        if damage == "remove":
            index.unlink()
        elif damage == "garbage":
            index.write_bytes(b"not a faiss index")
        else:  # a crash after SQLite committed but before the index was saved
            shutil.copy(index, data / "old.faiss")
            late = SAMPLE.parent / "late.jsonl"  # one more article, about another place
            assert main(["--data-dir", str(data), "ingest", str(late)]) == 0
            shutil.copy(data / "old.faiss", index)
        # The same passages, in the same order (scores move a little: one more article
        # changes the BM25 statistics).
        assert ranked() == expected
        assert index.stat().st_size > 1000
    capsys.readouterr()
    assert main(["--data-dir", str(data), "reindex"]) == 0
    assert f"{passages + 1} vectors" in capsys.readouterr().out


@pytest.mark.skipif(
    not SEEDS.is_dir(), reason="the shared seed articles are not beside the checkout"
)
def test_seed_articles(
    tmp_path: Path, real_model: SentenceTransformerEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "seeds"
    seeds = sorted(str(p) for p in SEEDS.glob("*.txt"))
    assert main(["--data-dir", str(d), "ingest", *seeds]) == 0
    assert "articles added: 5" in capsys.readouterr().out
    out = ask_json(d, capsys, "drone attacks on Moscow")
    first = out["results"][0]["passage"]["text"]
    assert "Moscow" in first and "drone" in first.lower()
    out = ask_json(d, capsys, "volcanic eruption in Iceland")
    assert out["results"] == [] and out["note"]
    capsys.readouterr()
    assert main(["--data-dir", str(d), "ingest", *seeds]) == 0
    assert "articles added: 0, already known: 5" in capsys.readouterr().out


@pytest.mark.skipif(
    not SEEDS.is_dir(), reason="the shared seed articles are not beside the checkout"
)
def test_seed_places_through_the_cli(
    tmp_path: Path, real_model: SentenceTransformerEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "seeds"
    assert main(["--data-dir", str(d), "ingest", *sorted(str(p) for p in SEEDS.glob("*.txt"))]) == 0
    out = ask_json(d, capsys, "-k", "8", "what happened near Siversk?")
    assert out["place"]["name"] == "Siversk" and out["place"]["admin1"] == "Donetsk"
    said = [r["matched"]["surface"] for r in out["results"]]
    assert said[:3] and set(said[:3]) <= {"Síversk", "Siversk", "Seversk"}
    for r in out["results"]:
        assert r["matched"]["distance_km"] <= out["radius_km"]
        assert "Seversky Donets" not in r["matched"]["surface"]
    bajmut = ask_json(d, capsys, "what happened in Bajmut?")
    assert bajmut["place"]["name"] == "Bakhmut" and bajmut["results"]
    assert all(r["matched"]["geonameid"] == 713174 for r in bajmut["results"])
    kharkov = ask_json(d, capsys, "news from Kharkov")
    assert kharkov["place"]["name"] == "Kharkiv" and kharkov["results"]
    tokmak = ask_json(d, capsys, "what happened near Tokmak?")
    assert tokmak["results"] == [] and tokmak["note"].startswith("Nothing near Tokmak")
    before = ask_json(d, capsys, "-k", "8", "--radius", "10", "what happened near Siversk?")
    assert not any("Verjnokamianske" in r["passage"]["text"] for r in before["results"])
    capsys.readouterr()
    villages = PROJECT / "tests" / "data" / "UA-villages.txt"
    assert main(["--data-dir", str(d), "gazetteer", "load", str(villages)]) == 0
    assert "added 2 populated places" in capsys.readouterr().out
    after = ask_json(d, capsys, "-k", "8", "--radius", "10", "what happened near Siversk?")
    assert any(
        r["matched"]["surface"] == "Verjnokamianske" and 5 < r["matched"]["distance_km"] < 8
        for r in after["results"]
    )
    capsys.readouterr()
    assert (
        main(["--data-dir", str(d), "places", "--json", "Shelling near Seversk and Kramatorsk"])
        == 0
    )
    mentions = json.loads(capsys.readouterr().out)["mentions"]
    assert [m["place"]["geonameid"] for m in mentions] == [694403, 704508]
    capsys.readouterr()
    assert main(["--data-dir", str(d), "ask", "what happened near Fedorivka?"]) == 0
    # one Fedorivka has reports: the answer is for it, and the other Fedorivkas are offered
    said = capsys.readouterr().out
    assert "   place: Fedorivka (" in said and "Other places named Fedorivka: " in said


def test_demo_is_a_chat_with_the_bot_ending_in_a_digest(
    tmp_path: Path,
    real_model: SentenceTransformerEmbedder,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    assert main(["--data-dir", str(tmp_path), "demo"]) == 0
    out = capsys.readouterr().out
    turns = out.split("you> ")
    seversk, near, watch, watches, digest, again = turns[1:7]
    assert "Bakhmut, 15 km" in watches
    assert "Siversk (Donetsk, UA), within 15 km" in seversk and "[1]" in seversk
    assert "Bakhmut (Donetsk, UA), within 20 km" in near
    assert "Watching Bakhmut (Donetsk, UA)" in watch and "within 15 km" in watch
    assert "Khromove" in digest and "km from Bakhmut" in digest
    assert "Supply road west of Bakhmut" in digest
    assert "Nothing new" in again
