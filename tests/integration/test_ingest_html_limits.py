"""A hostile HTML file fails alone and fast; the good file beside it is stored."""

from __future__ import annotations

from pathlib import Path

from bot.app import App

PARA = (
    "Engineers repaired the water pumping station in Sloviansk on Thursday, the city council "
    "said. Residents of the northern districts had been without running water for three days, "
    "and trucks brought drinking water to schools and the hospital until the repair was done."
)


def test_repetitive_html_is_too_complex_and_the_good_file_is_stored(
    fast_app: App, tmp_path: Path
) -> None:
    # Two million tiny paragraphs (16 MB) once took minutes and gigabytes to extract, and the
    # files after it in the run were never read.
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-huge.html").write_bytes(b"<p>a</p>" * 2_000_000)
    (folder / "b-good.html").write_text(
        f"<html><head><title>Water is back in Sloviansk</title></head><body><article>"
        f"<h1>Water is back in Sloviansk</h1><p>{PARA}</p><p>{PARA}</p></article></body></html>"
    )
    report = fast_app.ingest([str(folder)])
    assert report.added == 1
    [failure] = report.failures
    assert failure.where.endswith("a-huge.html")
    assert "too complex" in failure.reason
    hit = fast_app.knowledge.ask("water pumping station repaired").hits[0]
    assert hit.citation.article.title == "Water is back in Sloviansk"
