"""Render for Telegram: answers, digests, watches, settings and sources as Telegram HTML.

Only the Telegram edge (bot/telegram, handlers/) imports this module.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.digests.delivery import DeliveryReport, DeliveryStatus
from bot.digests.watching import WatchOutcome
from bot.domain.digests import Digest, DigestItem
from bot.domain.feeds import Feed
from bot.domain.watches import ChatSettings, Watch
from bot.render.text import (
    also_shown,
    alternatives_text,
    article_date,
    matched_text,
    report_text,
    snippet_parts,
    stats_text,
    why_text,
)
from index.models import Answer, Citation, IngestReport, PlaceMention, StoredArticle
from index.search.knowledge import IndexStats

# -- Telegram HTML ---------------------------------------------------------------------------

TELEGRAM_LIMIT = 4096
_PASSAGE_LIMIT = 1500  # characters of one passage shown in chat


def _bold_places(c: Citation) -> str:
    """The passage text, HTML-escaped, with the place names it mentions in bold."""
    p = c.passage
    text = p.text
    spans = sorted(
        (m.start - p.start, m.end - p.start)
        for m in c.places
        if p.start <= m.start and m.end <= p.end
    )
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<b>{html.escape(text[start:end])}</b>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _shorten(c: Citation) -> Citation:
    """A passage cut at a word boundary if it is too long for one chat message."""
    p = c.passage
    if len(p.text) <= _PASSAGE_LIMIT:
        return c
    cut = p.text[:_PASSAGE_LIMIT].rsplit(" ", 1)[0]
    short = type(p)(p.id, p.article_id, p.start, p.start + len(cut), cut + " …")
    return type(c)(c.article, short, c.places)


def _link(a: StoredArticle) -> str:
    title = html.escape(a.title or "(untitled)")
    if a.url and a.url.startswith(("http://", "https://")):
        return f'<a href="{html.escape(a.url, quote=True)}">{title}</a>'
    return title


def also_reported(copies: tuple[Citation, ...]) -> str:
    """ "also reported: A (Outlet), B (Outlet) and 7 more": a story's other copies, linked."""
    shown, more = also_shown(copies)
    named = ", ".join(
        f"{_link(d.article)} ({html.escape(d.article.source or 'unknown source')})" for d in shown
    )
    return f"also reported: {named}" + (f" and {more} more" if more else "")


def hit_html(n: int, citation: Citation, duplicates: tuple[Citation, ...], why: str | None) -> str:
    """One cited passage as Telegram HTML: [n] passage, then where it comes from."""
    c = _shorten(citation)
    a = c.article
    lines = [f"<b>[{n}]</b> {_bold_places(c)}"]
    source = " — ".join(
        [_link(a), html.escape(a.source or "unknown source"), html.escape(article_date(a))]
    )
    lines.append(f"<i>{source}</i>")
    if duplicates:
        lines.append(also_reported(duplicates))
    if why:
        lines.append(f"📍 {html.escape(why)}")
    return "\n".join(lines)


def _answer_blocks(answer: Answer) -> tuple[str, list[str], str | None]:
    head = f"<b>{html.escape(answer.question)}</b>"
    if answer.place is not None:
        radius = f", within {answer.radius_km:g} km" if answer.radius_km else ""
        head += f"\n📍 {html.escape(answer.place.label)}{radius}"
    if answer.alternatives:
        head += f"\n<i>{html.escape(alternatives_text(answer))}</i>"
    blocks = []
    for hit in answer.hits:
        why = None
        if hit.matched is not None and answer.place is not None:
            why = matched_text(hit.matched, answer.place)
        blocks.append(hit_html(hit.rank, hit.citation, hit.duplicates, why))
    note = f"<i>{html.escape(answer.note)}</i>" if answer.note else None
    return head, blocks, note


def answer_html(answer: Answer) -> list[str]:
    """An answer as Telegram HTML messages, each under Telegram's 4096-character limit.

    Every message is valid HTML on its own: messages are split between passages, and a
    passage too long for one message is shortened at a word boundary.
    """
    head, blocks, note = _answer_blocks(answer)
    return _pack([head, *blocks, *([note] if note else [])])


def choice_html(answer: Answer) -> str:
    """An answer that needs the user to pick a place first, with the question to the buttons."""
    intro = "Which one do you mean?" if answer.candidates else "Pick one to search there:"
    return _join([*answer_html(answer), intro])


def answer_pages(answer: Answer, per_page: int, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """An answer as pages of at most ``per_page`` passages, each page one message under
    ``limit``, for paging with a "More" button. Every page repeats the question."""
    head, blocks, note = _answer_blocks(answer)
    if not blocks:
        return _pack([head, *([note] if note else [])], limit)
    # Room on every page for the question and for the "passages 1–5 of 8" line and note.
    pages = pack_blocks([Block(b) for b in blocks], limit, reserve=len(head) + 80, most=per_page)
    out = []
    first = 1
    for number, page in enumerate(pages):
        last = first + len(page) - 1
        tail = [f"<i>passages {first}–{last} of {len(blocks)}</i>"] if len(pages) > 1 else []
        if number == len(pages) - 1 and note:
            tail.append(note)
        out.append(_join([head, *(b.html for b in page), *tail]))
        first = last + 1
    return out


def _pack(blocks: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Answer blocks in as few messages as fit under ``limit``; one no message holds is refused."""
    for block in blocks:
        if len(block) > limit:
            raise ValueError(f"an HTML block of {len(block)} characters cannot be sent")
    return [
        _join(b.html for b in group) for group in pack_blocks([Block(b) for b in blocks], limit)
    ]


# -- packing blocks into messages ------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A part of a message that is never split: a passage, a digest item, a heading."""

    html: str
    ids: tuple[int, ...] = ()  # the passages it delivers (digest items)
    heading: bool = False  # goes in the message of the block after it, never ends a message


def _join(parts: Iterable[str]) -> str:
    return "\n\n".join(parts)


def pack_blocks(
    blocks: Sequence[Block], limit: int = TELEGRAM_LIMIT, *, reserve: int = 0, most: int = 0
) -> list[list[Block]]:
    """Blocks in order, grouped into as few messages as fit: each group joined with blank
    lines is at most ``limit - reserve`` characters and has at most ``most`` blocks (0: any
    number). A heading that would end a message moves to the next one with what is under it.

    The one packing rule for answers, answer pages and digests; a block longer than the limit
    gets a message of its own (callers that cannot send one refuse it first).
    """
    groups: list[list[Block]] = []
    current: list[Block] = []
    for block in blocks:
        size = len(_join([*(b.html for b in current), block.html])) + reserve
        if current and (size > limit or (most and len(current) >= most)):
            carried: list[Block] = []
            while current and current[-1].heading:
                carried.insert(0, current.pop())
            if current:
                groups.append(current)
            current = carried
        current.append(block)
    if current:
        groups.append(current)
    return groups


# -- digests ---------------------------------------------------------------------------------


def _snippet(c: Citation, m: PlaceMention) -> str:
    """The words around the place name, HTML-escaped, the name in bold."""
    left, name, right = snippet_parts(c, m)
    body = f"{html.escape(left)}<b>{html.escape(name)}</b>{html.escape(right)}"
    return " ".join(body.split())


def digest_item_html(item: DigestItem, watch_name: str) -> str:
    """One digest item: why it matched, the words around the place, where it comes from."""
    c = item.citation
    a = c.article
    why = html.escape(why_text(item.mention, item.distance_km, watch_name))
    lines = [
        f"📍 <b>{why}</b>: {_snippet(c, item.mention)}",
        f"<i>{_link(a)} — {html.escape(a.source or 'unknown source')} — "
        f"{html.escape(article_date(a))}</i>",
    ]
    if item.duplicates:
        lines.append(also_reported(item.duplicates))
    return "\n".join(lines)


def digest_messages(digest: Digest, limit: int = TELEGRAM_LIMIT) -> list[tuple[str, list[int]]]:
    """A digest as Telegram HTML messages, each with the passage ids it delivers."""
    if not digest.items:
        return []
    count = len(digest.items)
    head = f"🗞 <b>{count} new report{'s' if count != 1 else ''} near your watched places</b>"
    blocks = [Block(head, heading=True)]
    for group in digest.groups:
        blocks.append(Block(f"<b>{html.escape(group.watch.title)}</b>", heading=True))
        for item in group.items:
            blocks.append(Block(digest_item_html(item, group.watch.name), item.passage_ids))
    messages = [
        (_join([b.html for b in message]), [pid for b in message for pid in b.ids])
        for message in pack_blocks(blocks, limit)
    ]
    return [(text, ids) for text, ids in messages if ids]


# -- replies to commands: help, watches, digests on demand, admin -----------------------------

HELP = (
    "<b>Sitrep</b> answers questions about a fast-moving situation with passages from the "
    "news, each cited, and watches places for you.\n\n"
    "<b>Ask</b>\n"
    "/ask <i>question</i> — e.g. <code>/ask shelling near Siversk</code>\n"
    "/near <i>place</i> [km] — e.g. <code>/near Bakhmut 20</code>\n"
    "In a private chat any message is a question: <code>what happened in Bajmut?</code> "
    "In a group, mention me or reply to me.\n\n"
    "<b>Watch</b>\n"
    "/watch <i>place</i> [km] [keywords] — e.g. <code>/watch Kupiansk 15 drones</code>; "
    "or share a location\n"
    "/watches — what this chat watches; /unwatch — stop\n"
    "/digest — the new reports now; /settings — digest time, timezone, instant alerts\n\n"
    "<b>Sources</b>\n"
    "/sources — the feeds being followed\n\n"
    "Places may be written in any spelling: Seversk, Síversk, Сіверськ."
)

ADMIN_HELP = "\n\n<b>Admin</b>\n/addfeed <i>url</i>, /removefeed, /ingest <i>url</i>, /stats"


def help_html(admin: bool) -> str:
    """/start and /help: what the bot does, with examples (and the admin commands to admins)."""
    return HELP + (ADMIN_HELP if admin else "")


def watch_outcome_html(outcome: WatchOutcome) -> str:
    """/watch: the new watch, or why there is none yet (several places, or none, by that name)."""
    if outcome.watch is not None:
        return watch_html(outcome.watch)
    place = html.escape(outcome.request.place)
    if outcome.candidates:
        return f"Several places are called <b>{place}</b>. Which one?"
    if outcome.suggestions:
        return f"I don't know <b>{place}</b>. Did you mean:"
    return f"I don't know a place called <b>{place}</b>. Check the spelling, or share its location."


def unwatched_html(removed: Watch | None) -> str:
    """/unwatch: which watch stopped (None: it was already gone)."""
    if removed is None:
        return "That watch was already removed."
    return f"Stopped watching <b>{html.escape(removed.title)}</b>."


def digest_now_html(report: DeliveryReport, watched: bool) -> str | None:
    """/digest when no digest went out: why; None when the digest itself was the answer."""
    if report.status == DeliveryStatus.NOTHING_NEW:
        return (
            "Nothing new near your watched places since the last digest."
            if watched
            else "This chat watches nothing yet: <code>/watch Bakhmut 20</code>."
        )
    if report.status == DeliveryStatus.FAILED:
        return "Telegram did not take the digest just now; it will follow."
    return None


def feed_added_html(url: str, added: bool) -> str:
    """/addfeed."""
    if added:
        return f"Following {html.escape(url)}: it is polled within a minute."
    return f"{html.escape(url)} is already followed."


def feed_removed_html(url: str, removed: bool, *, pressed: bool = False) -> str:
    """/removefeed URL, or its button (``pressed``): whether the feed stopped."""
    if removed:
        return f"Stopped following {html.escape(url)}."
    return "That feed was already removed." if pressed else "That feed is not followed."


def report_html(report: IngestReport) -> str:
    """/ingest: the ingest report as the terminal prints it."""
    return f"<pre>{html.escape(report_text(report))}</pre>"


def stats_html(stats: IndexStats) -> str:
    """/stats."""
    return f"<pre>{html.escape(stats_text(stats, 'vector index'))}</pre>"


# -- watches, settings, sources ----------------------------------------------------------------


def watch_html(watch: Watch) -> str:
    """The confirmation of a new watch: what the place resolved to."""
    words = (
        f"\nonly passages with: {html.escape(', '.join(watch.keywords))}" if watch.keywords else ""
    )
    where = (
        f"<b>{html.escape(watch.label)}</b> ({watch.lat:.4f}, {watch.lon:.4f})"
        if watch.geonameid is not None
        else f"the point <b>{html.escape(watch.label)}</b>"
    )
    return (
        f"👁 Watching {where} within {watch.radius_km:g} km.{words}\n"
        "New reports near it come in your digest (/settings: time, timezone, instant alerts)."
    )


def watches_html(watches: list[Watch]) -> str:
    """/watches."""
    if not watches:
        return "This chat watches nothing yet. Try <code>/watch Bakhmut 20</code>."
    lines = ["<b>Watched places</b>"]
    for n, w in enumerate(watches, 1):
        lines.append(f"{n}. {html.escape(w.title)} — {html.escape(w.label)}")
    return "\n".join(lines)


def settings_html(chat: ChatSettings, next_at: datetime) -> str:
    """/settings: the chat's digest time, timezone and mode, and how to change them."""
    local = next_at.astimezone(ZoneInfo(chat.timezone))
    mode = "on: new reports are sent as they arrive" if chat.instant else "off"
    lines = [
        "<b>Digest settings</b>",
        f"time: {chat.digest_time.strftime('%H:%M')} ({html.escape(chat.timezone)})",
        f"instant alerts: {mode}",
    ]
    if not chat.instant:
        lines.append(f"next digest: {local.strftime('%Y-%m-%d %H:%M %Z')}")
    if chat.blocked:
        lines.append("paused: the bot could not reach this chat")
    lines.append(
        "\nChange: <code>/settings time 07:30</code>, <code>/settings tz Europe/Kyiv</code>, "
        "<code>/settings instant on</code>"
    )
    return "\n".join(lines)


def feeds_html(feeds: list[Feed]) -> str:
    """/sources."""
    if not feeds:
        return "No feeds are followed yet. Admins add them with <code>/addfeed URL</code>."
    lines = [f"<b>Followed feeds</b> ({len(feeds)})"]
    for n, f in enumerate(feeds, 1):
        if f.last_polled is None:
            state = "not polled yet"
        elif f.failures:
            state = f"failing ({f.failures}×): {html.escape((f.last_error or '')[:120])}"
        else:
            when = f.last_polled.strftime("%Y-%m-%d %H:%M")
            state = f"ok, {f.articles} articles, polled {when} UTC"
        lines.append(f"{n}. {html.escape(f.url)} — {state}")
    return "\n".join(lines)
