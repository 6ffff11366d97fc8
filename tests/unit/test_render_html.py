"""Telegram HTML rendering: escaped everywhere, places in bold, split under 4096 characters."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.emulator.markup import plain_text
from bot.render.html import Block, answer_html, answer_pages, pack_blocks
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


blocks_ = st.lists(
    st.builds(Block, st.text("ab", min_size=1, max_size=40), st.just(()), st.booleans()),
    max_size=30,
)


@given(blocks_, st.integers(20, 120), st.integers(0, 10), st.integers(0, 4))
def test_packing_keeps_order_fits_and_never_ends_a_message_on_a_heading(
    blocks: list[Block], limit: int, reserve: int, most: int
) -> None:
    groups = pack_blocks(blocks, limit, reserve=reserve, most=most)
    assert [b for g in groups for b in g] == blocks
    for group in groups:
        fits = len("\n\n".join(b.html for b in group)) + reserve <= limit
        # Only one block with the headings above it may break the bounds: it cannot be split.
        one = all(b.heading for b in group[:-1])
        assert group and (one or (fits and (not most or len(group) <= most)))
    assert all(not g[-1].heading for g in groups[:-1])


def test_a_heading_moves_to_the_message_of_the_block_under_it() -> None:
    blocks = [Block("a" * 10), Block("H", heading=True), Block("b" * 10, (7,))]
    assert pack_blocks(blocks, limit=20) == [[blocks[0]], blocks[1:]]


def test_pages_hold_at_most_per_page_passages_and_repeat_the_question() -> None:
    hits = tuple(
        Hit(n, 0.5, 0.5, citation(n, f"Shelling near Siversk, day {n}."), ()) for n in range(1, 8)
    )
    pages = answer_pages(Answer("what happened?", hits, "a note", None, SIVERSK, 15.0), per_page=3)
    assert len(pages) == 3
    assert all(p.startswith("<b>what happened?</b>") for p in pages)
    assert "passages 4–6 of 7" in pages[1] and "[4]" in pages[1] and "[3]" not in pages[1]
    assert "a note" in pages[2] and "a note" not in pages[0]
