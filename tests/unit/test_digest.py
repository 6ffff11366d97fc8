"""Digest building as pure functions: matching by radius and keywords, grouping, folding,
and the due time across timezones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np

from bot.digests.build import build_digest
from bot.digests.matching import KeywordIndex, match_watches
from bot.digests.schedule import is_due, last_due, next_due
from bot.domain.watches import ChatSettings, Watch
from bot.emulator.markup import plain_text
from bot.render.html import digest_messages
from bot.render.text import digest_text
from index.models import Citation, Passage, Place, PlaceMention, StoredArticle
from index.search.stories import stories

BAKHMUT = Place(1, "Bakhmut", 48.5953, 38.0003, "UA", "Donetsk", 70000)
SOLEDAR = Place(2, "Soledar", 48.6833, 38.0833, "UA", "Donetsk", 10000)  # ~11.5 km away
KRAMATORSK = Place(3, "Kramatorsk", 48.7239, 37.5564, "UA", "Donetsk", 150000)  # ~35 km
KUPIANSK = Place(4, "Kupiansk", 49.7106, 37.6153, "UA", "Kharkiv", 27000)


def passage(
    pid: int, text: str, place: Place, day: int = 1, article: int | None = None
) -> Citation:
    start = text.index(place.name)
    when = datetime(2026, 11, day, 12, tzinfo=UTC)
    a = StoredArticle(
        article or pid, f"https://example.org/{pid}", f"Title {pid}", when, f"Outlet {pid}", when
    )
    m = PlaceMention(place, place.name, start, start + len(place.name), "exact", 0.9)
    return Citation(a, Passage(pid, a.id, 0, len(text), text), (m,))


def watch(wid: int, chat: int, place: Place, km: float, *keywords: str, after: int = 0) -> Watch:
    return Watch(
        wid,
        chat,
        place.name,
        place.label,
        place.lat,
        place.lon,
        km,
        keywords,
        place.geonameid,
        after,
    )


def test_keywords_match_word_starts_in_any_case_and_accent() -> None:
    texts = {1: "Two Drones were shot down", 2: "Обстріл триває", 3: "Évacuation announced"}
    texts[4] = "a hydrone plant"
    found = KeywordIndex(texts)
    assert found.passages_with("drone") == {1}  # a word start, any case; not "hydrone"
    assert found.passages_with("обстріл") == {2}
    assert found.passages_with("evacuation") == {3}  # accents folded
    assert found.passages_with("shot down") == {1}  # a phrase
    assert found.passages_with_any(("drone", "plant")) == {1, 4}


def test_match_by_radius_nearest_watch_and_keywords() -> None:
    passages = {
        1: passage(1, "Shelling hit Soledar overnight.", SOLEDAR),
        2: passage(2, "Drones struck Kramatorsk.", KRAMATORSK),
        3: passage(3, "Quiet day in Kupiansk.", KUPIANSK),
    }
    watches = [
        watch(10, 100, BAKHMUT, 15),  # Soledar at ~11.5 km: in; Kramatorsk ~35 km: out
        watch(11, 100, SOLEDAR, 5),  # nearer: Soledar's passage goes to this watch
        watch(12, 200, BAKHMUT, 50, "drone"),  # Kramatorsk in range and says "Drones"
        watch(13, 200, KUPIANSK, 10, "drone"),  # in range but no keyword
    ]
    found = match_watches(watches, passages)
    assert found.chats() == [100, 200]
    assert {(m.passage_id, m.watch.id) for m in found.of(100)} == {(1, 11)}
    assert {(m.passage_id, m.watch.id) for m in found.of(200)} == {(2, 12)}
    [kramatorsk] = found.of(200)
    assert 30 < kramatorsk.distance_km < 40


def test_a_watch_reports_only_passages_after_it_was_made() -> None:
    passages = {5: passage(5, "Soledar again.", SOLEDAR), 9: passage(9, "Soledar later.", SOLEDAR)}
    found = match_watches([watch(1, 100, BAKHMUT, 20, after=5)], passages)
    assert [m.passage_id for m in found.of(100)] == [9]


def test_digest_groups_by_watch_newest_first_and_folds_copies() -> None:
    story = "Officials in Soledar said the water station was hit and repairs begin tomorrow."
    passages = {
        1: passage(1, story, SOLEDAR, day=2),
        2: passage(2, story, SOLEDAR, day=3),  # the same wire story, another outlet
        3: passage(3, "A school in Bakhmut reopened its shelter.", BAKHMUT, day=5),
        4: passage(4, "Kupiansk power lines were repaired.", KUPIANSK, day=4),
    }
    watches = [watch(1, 100, KUPIANSK, 10), watch(2, 100, BAKHMUT, 20)]
    matches = match_watches(watches, passages).of(100)
    vectors = {pid: np.eye(8, dtype=np.float32)[pid] for pid in passages}
    story = stories(passages, vectors)
    assert story == {1: 1, 2: 1, 3: 3, 4: 4}
    digest = build_digest(100, matches, passages, story)
    assert [g.watch.id for g in digest.groups] == [1, 2]
    bakhmut = digest.groups[1].items
    assert [i.citation.passage.id for i in bakhmut] == [3, 2]  # newest first
    assert [d.passage.id for d in bakhmut[1].duplicates] == [1]  # one story, two sources
    assert sorted(digest.passage_ids) == [1, 2, 3, 4]
    again = build_digest(100, matches, passages, story, delivered={1, 2, 3, 4})
    assert again.groups == ()


def test_digest_messages_fit_and_carry_their_items() -> None:
    passages = {
        pid: passage(pid, f"Report {pid}: shelling near Soledar damaged houses. " * 6, SOLEDAR)
        for pid in range(1, 41)
    }
    matches = match_watches([watch(1, 100, BAKHMUT, 20)], passages).of(100)
    digest = build_digest(100, matches, passages, {})
    messages = digest_messages(digest)
    assert all(len(text) <= 4096 for text, _ in messages)
    assert sorted(pid for _, ids in messages for pid in ids) == list(range(1, 41))
    assert "Soledar, 11.5 km from Bakhmut" in messages[0][0]


def chat(
    at: str, zone: str, last: datetime | None, created: datetime | None = None
) -> ChatSettings:
    h, m = at.split(":")
    return ChatSettings(
        1,
        time(int(h), int(m)),
        zone,
        last_digest_at=last,
        created_at=created or datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_due_at_local_time_in_the_chats_timezone() -> None:
    c = chat("08:00", "Europe/Kyiv", last=datetime(2026, 11, 20, 6, 0, tzinfo=UTC))
    assert not is_due(c, datetime(2026, 11, 21, 5, 59, tzinfo=UTC))  # 07:59 in Kyiv
    assert is_due(c, datetime(2026, 11, 21, 6, 0, tzinfo=UTC))  # 08:00 in Kyiv (UTC+2)
    done = chat("08:00", "Europe/Kyiv", last=datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
    assert not is_due(done, datetime(2026, 11, 21, 23, 0, tzinfo=UTC))


def test_a_new_chat_waits_for_its_first_digest_time() -> None:
    c = chat("08:00", "UTC", last=None, created=datetime(2026, 11, 21, 10, 0, tzinfo=UTC))
    assert not is_due(c, datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
    assert is_due(c, datetime(2026, 11, 22, 8, 0, tzinfo=UTC))


def _digests_in(c: ChatSettings, start: datetime, hours: int) -> list[datetime]:
    """Simulate a one-minute tick for ``hours`` and return when digests went out."""
    sent, now = [], start
    while now < start + timedelta(hours=hours):
        if is_due(c, now):
            sent.append(now)
            c = ChatSettings(
                c.chat_id, c.digest_time, c.timezone, last_digest_at=now, created_at=c.created_at
            )
        now += timedelta(minutes=1)
    return sent


def test_spring_forward_a_missing_time_is_sent_once_an_hour_later() -> None:
    # Kyiv, 29 March 2026: 03:00 -> 04:00. 03:30 does not exist that day.
    c = chat("03:30", "Europe/Kyiv", last=datetime(2026, 3, 28, 1, 30, tzinfo=UTC))
    sent = _digests_in(c, datetime(2026, 3, 28, 12, 0, tzinfo=UTC), 24)
    assert sent == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]  # 04:30 local, summer time


def test_fall_back_a_repeated_time_is_sent_once() -> None:
    # Kyiv, 25 October 2026: 04:00 -> 03:00. 03:30 happens twice that day.
    c = chat("03:30", "Europe/Kyiv", last=datetime(2026, 10, 24, 0, 30, tzinfo=UTC))
    sent = _digests_in(c, datetime(2026, 10, 24, 12, 0, tzinfo=UTC), 36)
    assert sent == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]  # the first 03:30 (summer)


def test_next_due_and_last_due_bracket_now() -> None:
    c = chat("21:15", "America/New_York", last=None)
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert last_due(c, now) <= now < next_due(c, now)
    assert next_due(c, now) - last_due(c, now) == timedelta(days=1)


def test_a_watch_heading_never_ends_a_message() -> None:
    passages = {
        1: passage(1, "Shelling near Soledar hit homes.", SOLEDAR),
        2: passage(2, "Shelling near Kramatorsk hit homes.", KRAMATORSK),
    }
    watches = [watch(1, 100, SOLEDAR, 5), watch(2, 100, KRAMATORSK, 5)]
    digest = build_digest(100, match_watches(watches, passages).of(100), passages, {})
    [whole] = digest_messages(digest)
    second_heading = whole[0].index("<b>Kramatorsk, 5 km</b>") + len("<b>Kramatorsk, 5 km</b>")
    # A limit that fits the second heading but not the item under it.
    split = digest_messages(digest, limit=second_heading + 5)
    assert [ids for _, ids in split] == [[1], [2]]
    assert split[1][0].startswith("<b>Kramatorsk, 5 km</b>")


def test_the_dry_run_shows_in_the_terminal_what_the_chat_is_sent() -> None:
    text = "Shelling damaged the water station in Soledar overnight, officials said."
    wire = {pid: passage(pid, text, SOLEDAR, article=pid) for pid in range(1, 9)}
    watches = [watch(1, 100, BAKHMUT, 20)]
    story = {pid: 1 for pid in wire}  # one story carried by eight outlets
    digest = build_digest(100, match_watches(watches, wire).of(100), wire, story)
    [(message, _)] = digest_messages(digest)
    shown = digest_text(digest)
    assert shown == plain_text(message, "HTML")
    assert "Soledar, " in shown and " km from Bakhmut: Shelling damaged" in shown
    # Seven copies: five named, two counted.
    assert shown.count("(Outlet ") == 5 and shown.endswith(" and 2 more")
