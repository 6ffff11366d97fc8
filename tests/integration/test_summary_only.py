"""A feed item whose page fails is stored as its summary, reported as summary only, and its
page fetched again later: the full text then replaces the summary (one article per URL)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.render.text import poll_text, report_text
from conftest import LocalServer, Route, rss
from index.clock import ManualClock

SUMMARY = "Drones hit a fuel depot in Kupiansk."
FULL = (
    "Drones hit a fuel depot in Kupiansk overnight, and firefighters fought the blaze until "
    "dawn. The regional governor said the tanks held diesel for the bakery and the water "
    "works, and that rationing would begin on Thursday while engineers inspect the pipes."
)
OTHER = " ".join(["Shelling damaged the railway station in Kostiantynivka, officials said."] * 8)


def feed(s: LocalServer) -> bytes:
    return rss(
        [("Kupiansk depot", s.url("/depot.html"), SUMMARY), ("Station", s.url("/st.html"), "")]
    )


def html(body: str) -> bytes:
    return f"<html><body><article><p>{body}</p></article></body></html>".encode()


def articles(app: App) -> int:
    return app.knowledge.store.stats().articles


def test_ingest_reports_a_summary_only_item_and_a_later_ingest_upgrades_it(
    fast_app: App, http_server: LocalServer
) -> None:
    s = http_server
    s.routes["/feed.xml"] = Route(feed(s), "application/rss+xml")
    s.routes["/st.html"] = Route(html(OTHER))
    report = fast_app.ingest([s.url("/feed.xml")])
    assert report.added == 2 and report.failures == []
    [partial] = report.summary_only
    assert partial.where == s.url("/depot.html") and "HTTP 404" in partial.reason
    headline, *lines = report_text(report).splitlines()
    assert "articles added: 2 (1 summary only: the page failed" in headline
    assert lines == [f"  summary only: {s.url('/depot.html')}: page failed: HTTP 404 Not Found"]

    s.routes["/depot.html"] = Route(html(FULL))
    again = fast_app.ingest([s.url("/feed.xml")])
    assert (again.added, again.known, again.summary_only) == (1, 1, [])
    assert articles(fast_app) == 2  # the full page replaced the summary
    hit = fast_app.knowledge.ask("rationing diesel bakery water works").hits[0]
    assert hit.citation.article.url == s.url("/depot.html")
    assert "rationing" in hit.citation.passage.text


def test_the_poller_fetches_a_failed_page_again_and_the_full_text_replaces_the_summary(
    fast_app: App, http_server: LocalServer, clock: ManualClock
) -> None:
    s = http_server
    app = fast_app
    app.chat_reader.policy = app.reader.policy  # the test server is on 127.0.0.1
    s.routes["/feed.xml"] = Route(feed(s), "application/rss+xml")
    s.routes["/st.html"] = Route(html(OTHER))
    app.feeds.follow([s.url("/feed.xml")])
    [first] = app.feeds.poll_due()
    assert first.added == 2 and [f.where for f in first.summary_only] == [s.url("/depot.html")]
    assert "HTTP 404" in first.summary_only[0].reason
    assert "(2 new, 1 summary only: " in poll_text(first)  # what the bot logs
    assert app.knowledge.ask("fuel depot Kupiansk").hits  # the summary is stored and cited

    s.routes["/depot.html"] = Route(html(FULL))
    clock.advance(timedelta(hours=1))
    [second] = app.feeds.poll_due()
    assert (second.added, second.summary_only) == (1, ())
    assert s.hits.count("/st.html") == 1  # a full page stored is not fetched again
    assert articles(app) == 2
    hit = app.knowledge.ask("rationing diesel bakery water works").hits[0]
    assert "rationing" in hit.citation.passage.text
    assert hit.citation.article.url == s.url("/depot.html")
    assert len(app.knowledge.vectors.index) == app.knowledge.store.passage_count()
    texts = [h.citation.passage.text for h in app.knowledge.ask("fuel depot Kupiansk").hits]
    assert texts and SUMMARY not in texts  # the summary's passage went with its vector


def test_a_page_that_stays_dead_is_fetched_a_bounded_number_of_times(
    fast_app: App, http_server: LocalServer, clock: ManualClock
) -> None:
    s = http_server
    app = fast_app
    app.chat_reader.policy = app.reader.policy
    s.routes["/feed.xml"] = Route(feed(s), "application/rss+xml")
    s.routes["/st.html"] = Route(html(OTHER))
    app.feeds.follow([s.url("/feed.xml")])
    for _ in range(40):  # ten days of polls six hours apart
        app.feeds.poll_due()
        clock.advance(timedelta(hours=6))
    assert 2 <= s.hits.count("/depot.html") <= 8
    assert articles(app) == 2
