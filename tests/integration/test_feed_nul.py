"""A NUL byte inside a feed item's text does not cut the stored text short."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.app import App

FIRST = "Shelling damaged a school in Kupiansk overnight, officials said"
SECOND = "two teachers were hurt and classes moved online for the week"


@pytest.mark.parametrize(
    "description",
    [f"{FIRST} \x00 {SECOND}.", f"<p>{FIRST}</p>\x00<p>{SECOND}.</p>"],
    ids=["text", "html"],
)
def test_a_nul_in_cdata_is_dropped_and_the_text_after_it_is_stored(
    fast_app: App, tmp_path: Path, description: str
) -> None:
    feed = tmp_path / "feed.rss"
    feed.write_bytes(
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        b"<title>Oskil Monitor</title><link>http://example.invalid/</link>"
        b"<description>test</description><item><title>School hit in Kupiansk</title>"
        + f"<description><![CDATA[{description}]]></description>".encode()
        + b"</item></channel></rss>"
    )
    report = fast_app.ingest([str(feed)])
    assert report.added == 1, report.failures
    # SQLite's own functions (and its shell) read TEXT only up to the first NUL.
    with sqlite3.connect(fast_app.knowledge.store.path) as db:
        [(text, length)] = db.execute("SELECT text, length(text) FROM articles").fetchall()
    assert "\x00" not in text and "\ufffd" not in text
    assert FIRST in text and SECOND in text
    assert length == len(text)
    hit = fast_app.knowledge.ask("teachers hurt classes moved online").hits[0]
    assert SECOND in hit.citation.passage.text
