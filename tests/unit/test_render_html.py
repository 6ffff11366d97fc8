"""Telegram HTML rendering: escaped everywhere, places in bold, split under 4096 characters."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.emulator.server import plain_text
from bot.render.html import answer_html
from index.models import (
    Answer,
    Citation,
    Hit,
    Passage,
    Place,
    PlaceMention,
    StoredArticle,
)

SIVERSK = Place(694403, "Siversk", 48.86, 38.10, "UA", "Donetsk", 10875)
SOLEDAR = Place(706757, "Soledar", 48.69, 38.07, "UA", "Donetsk", 10490)
WHEN = datetime(2026, 11, 9, 6, 10, tzinfo=UTC)


def citation(pid: int, text: str, title: str = "A <b>title</b> & more") -> Citation:
    article = StoredArticle(
        pid, f"https://example.org/{pid}?a=1&b=<2>", title, WHEN, "Wire & <Co>", WHEN
    )
    passage = Passage(pid, pid, 0, len(text), text)
    mentions = tuple(
        PlaceMention(
            p, p.name, text.index(p.name), text.index(p.name) + len(p.name), "exact", 1.0, d
        )
        for p, d in ((SIVERSK, 0.0), (SOLEDAR, 19.3))
        if p.name in text
    )
    return Citation(article, passage, mentions)


def test_hostile_text_renders_as_valid_telegram_html() -> None:
    text = "Shelling hit Siversk <b> & </a> near Soledar; x < y > z &amp; done."
    c = citation(1, text)
    hit = Hit(1, 0.9, 0.8, c, (citation(2, text + " again"),), c.places[1])
    answer = Answer(
        "what <b>happened</b> & near </a> Siversk?", (hit,), "a note <i>", None, SIVERSK, 15.0
    )
    [message] = answer_html(answer)
    shown = plain_text(message, "HTML")  # raises as Telegram would on bad HTML
    assert "what <b>happened</b> & near </a> Siversk?" in shown
    assert "<b>Siversk</b>" in message and "<b>Soledar</b>" in message
    assert "Soledar, 19.3 km from Siversk" in shown
    assert 'href="https://example.org/1?a=1&amp;b=&lt;2&gt;"' in message
    assert "a note <i>" in shown


def test_long_answers_split_between_passages_and_stay_valid() -> None:
    long = "Artillery struck Siversk again. " * 200  # 6,400 characters: shortened
    hits = tuple(Hit(n, 0.5, 0.5, citation(n, f"[{n}] " + long), ()) for n in range(1, 9))
    messages = answer_html(Answer("q", hits, None, None, SIVERSK, 15.0))
    assert len(messages) >= 3
    for m in messages:
        assert len(m) <= 4096
        assert len(plain_text(m, "HTML")) <= 4096
    assert all(f"<b>[{n}]</b>" in "".join(messages) for n in range(1, 9))
    assert "…" in messages[0]
