"""The parse work one HTML document may cost is bounded: over it, that document fails alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from index.errors import SourceError
from index.ingest.budget import HtmlLimits
from index.ingest.formats import html_article, html_to_text

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

WORDS = (
    "the convoy reached the bridge at dawn while engineers checked the road for damage and "
    "volunteers unloaded water food and medicine for the families who stayed in the village"
).split()


def sentence(n: int) -> str:
    words = [WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(18 + n % 9)]
    return " ".join(words).capitalize() + "."


def long_news_page(paragraphs: int = 400) -> bytes:
    """A long real-looking page: menus, a big inline data script, a long article, comments."""
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(200))
    state = json.dumps({"items": [{"id": i, "body": sentence(i) * 3} for i in range(4000)]})
    body = "".join(
        f"<p>{sentence(i)} {sentence(i + 1)} <a href='/tag/{i}'>{sentence(i + 2)}</a></p>"
        + (f"<figure><img src='/i/{i}.jpg'><figcaption>Photo {i}</figcaption></figure>")
        * (i % 25 == 0)
        for i in range(paragraphs)
    )
    comments = "".join(
        f"<div class='comment'><span class='who'>Reader {i}</span><p>{sentence(i)}</p></div>"
        for i in range(300)
    )
    return f"""<!doctype html><html lang="en"><head><title>The long road to the village</title>
<meta property="article:published_time" content="2026-11-03T08:30:00Z">
<style>{"body { margin: 0 } " * 2000}</style></head><body>
<header><nav><ul>{nav}</ul></nav></header>
<main><article><h1>The long road to the village</h1>{body}
<p>The last convoy of the week left the village on Sunday evening.</p></article>
<section class="comments">{comments}</section></main>
<footer><p>Contact the newsroom. Advertise with us.</p></footer>
<script id="state" type="application/json">{state}</script>
</body></html>""".encode()


def test_a_long_real_page_is_well_within_the_bounds() -> None:
    page = long_news_page()
    assert len(page) > 1_000_000  # a few MB, a few thousand elements
    article = html_article(page, "https://news.example/road", NOW)
    assert "The last convoy of the week left the village on Sunday evening." in article.text
    assert article.title == "The long road to the village"


def test_a_page_with_too_many_elements_fails_before_it_is_parsed() -> None:
    with pytest.raises(SourceError, match="too complex: over 500,000 elements"):
        html_article(b"<p>a</p>" * 2_000_000, "file:///huge.html", NOW)


def test_a_page_over_the_size_bound_fails() -> None:
    with pytest.raises(SourceError, match="too complex"):
        html_article(long_news_page(), "file:///big.html", NOW, limits=HtmlLimits(max_chars=1000))


def test_a_page_that_takes_too_long_fails_when_its_time_is_up() -> None:
    # 100,000 short paragraphs: under the element bound, but seconds of extraction.
    with pytest.raises(SourceError, match="too complex: not parsed within"):
        html_article(
            b"<p>a</p>" * 100_000, "file:///slow.html", NOW, limits=HtmlLimits(seconds=0.2)
        )


def test_the_time_limit_leaves_a_fast_page_alone() -> None:
    article = html_article(long_news_page(40), "https://news.example/road", NOW)
    assert article.text


def test_a_feed_items_html_is_bounded_too() -> None:
    with pytest.raises(SourceError, match="too complex: over 500,000 elements"):
        html_to_text("<p>a</p>" * 600_000)
    with pytest.raises(SourceError, match="too complex: over 1,000 elements"):
        html_to_text("<p>a</p>" * 1001, HtmlLimits(max_elements=1000))
    assert html_to_text("<p>one</p><p>two</p>", HtmlLimits(max_elements=2)) == "one\n\ntwo"
