"""Digest delivery: find what each chat is owed, send it through a notifier, and record it
once the notifier's front end accepted it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.digests.build import build_digest
from bot.digests.lease import Lease, this_process
from bot.digests.matching import match_watches
from bot.digests.schedule import is_due
from bot.domain.digests import Digest
from bot.domain.watches import ChatSettings
from bot.errors import ChatBlocked, ChatMoved, SendFailed, SendRefused
from bot.storage.chats import ChatStore
from bot.ticks import Ticks
from index.clock import Clock
from index.models import Citation
from index.search.stories import stories
from index.store import Store

log = logging.getLogger(__name__)

_LOAD_CHUNK = 2000  # passages per SQL query when loading new passages
DEFAULT_TICK = timedelta(minutes=1)  # the `digest_tick_s` default: the lease lasts one tick


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message of a digest as a front end renders it, and the passages it delivers."""

    body: str
    passage_ids: tuple[int, ...]


class Notifier(Protocol):
    """A front end's way of delivering digests: it renders a domain :class:`Digest` into
    its own messages (Telegram HTML, e-mail, ...) and sends them one at a time.

    ``send`` returns the message id and raises :class:`ChatBlocked`, :class:`ChatMoved`,
    :class:`SendRefused` or :class:`SendFailed`.
    """

    def compose(self, digest: Digest) -> list[Outgoing]:
        """The digest as messages, in order; each says which passages it delivers."""
        ...

    async def send(self, chat_id: int, message: Outgoing) -> int:
        """Send one message; returns its id."""
        ...


class DeliveryStatus(StrEnum):
    """What one digest run did for one chat."""

    SENT = "sent"
    NOTHING_NEW = "nothing new"
    BLOCKED = "blocked"  # the chat blocked the bot: its watches are paused
    MOVED = "moved"  # a group became a supergroup: retried under the new id
    FAILED = "failed"  # held back: the next tick tries again
    DRY_RUN = "dry run"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one digest run did for one chat."""

    chat_id: int
    status: DeliveryStatus
    items: int = 0
    messages: int = 0
    digest: Digest | None = None  # what was owed (a dry run shows it without sending)


class Digests:
    """Builds digests from the database and delivers them exactly once per chat and passage.

    Matching reads the store, so articles written by another process (``sitrep ingest`` from
    cron) are found like any other. An item is recorded as delivered only after the message
    carrying it was accepted; the chat's cursor moves only when every message went out, so a
    failure midway leaves the rest pending for the next tick, and what was sent is not resent.
    A run holds the database's digest lease (:class:`Lease`, lasting one ``tick``) and checks
    it before every message, so two processes never send at once.
    """

    def __init__(
        self,
        chats: ChatStore,
        store: Store,
        notifier: Notifier | None,
        clock: Clock,
        allowed: Callable[[int], bool] = lambda _chat_id: True,
        tick: timedelta = DEFAULT_TICK,
    ) -> None:
        self.chats = chats
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.allowed = allowed  # chats off the allow-list get no digests
        # One sender at a time across processes: see bot/digests/lease.py.
        self.lease = Lease(chats, clock, this_process(f"{id(self):x}"), tick)
        self.ticks = Ticks()  # finished digest ticks: tests wait for them, not for seconds
        self._lock = asyncio.Lock()  # one delivery run at a time: a tick and /digest never race

    # -- blocking steps (run in a worker thread) ---------------------------------------------

    def pending(self, chats: Sequence[ChatSettings]) -> tuple[dict[int, Digest], int]:
        """Each chat's digest of passages not yet delivered, and the last passage id considered."""
        upto = self.store.max_passage_id()
        if not chats:
            return {}, upto
        wanted = {c.chat_id for c in chats}
        watches = [w for w in self.chats.watches(with_blocked=True) if w.chat_id in wanted]
        # A chat owes nothing from before its cursor, nor from before its oldest watch.
        first: dict[int, int] = {}
        for w in watches:
            first[w.chat_id] = min(first.get(w.chat_id, w.after_passage), w.after_passage)
        floor = {c.chat_id: max(c.cursor, first.get(c.chat_id, upto)) for c in chats}
        passages = self._load(self.store.mentioned_between(min(floor.values()), upto))
        matches = match_watches(watches, passages)
        story = stories(passages, self.store.vectors(sorted(set(matches.passage.tolist()))))
        out: dict[int, Digest] = {}
        for chat in chats:
            after = floor[chat.chat_id]
            found = [m for m in matches.of(chat.chat_id) if m.passage_id > after]
            delivered = self.chats.delivered(chat.chat_id, [m.passage_id for m in found])
            out[chat.chat_id] = build_digest(
                chat.chat_id, found, passages, story, delivered, after=after
            )
        return out, upto

    def _chat(self, chat_id: int, now: datetime) -> ChatSettings:
        """The chat's settings; a chat new to the bot starts after the stored passages."""
        return self.chats.chat(chat_id, now, cursor=self.store.max_passage_id())

    def _load(self, ids: Sequence[int]) -> dict[int, Citation]:
        out: dict[int, Citation] = {}
        for start in range(0, len(ids), _LOAD_CHUNK):
            chunk = list(ids[start : start + _LOAD_CHUNK])
            found = self.store.citations(chunk)
            places = self.store.mentions(chunk)
            for pid, (passage, article) in found.items():
                out[pid] = Citation(article, passage, tuple(places.get(pid, ())))
        return out

    # -- delivery ----------------------------------------------------------------------------

    async def tick(self) -> list[DeliveryReport]:
        """Send every chat whose digest is due (or that is in instant mode) what it is owed.

        Every finished tick is counted in :attr:`ticks`, whatever it did.
        """
        try:
            return await self._tick()
        finally:
            await self.ticks.done()

    async def _tick(self) -> list[DeliveryReport]:
        async with self._lock, self.lease.holding() as held:
            if not held:
                log.info("another Sitrep process is sending digests; this tick waits")
                return []
            now = self.clock.now()
            chats = await asyncio.to_thread(self.chats.chats_with_watches)
            due = [c for c in chats if self.allowed(c.chat_id) and (c.instant or is_due(c, now))]
            if not due:
                return []
            digests, upto = await asyncio.to_thread(self.pending, due)
            reports = []
            for chat in due:
                try:
                    reports.append(await self._deliver(chat, digests[chat.chat_id], upto, now))
                except Exception:  # one chat's trouble must not hold back the others
                    log.exception("digest for chat %d failed; retried next tick", chat.chat_id)
                    reports.append(DeliveryReport(chat.chat_id, DeliveryStatus.FAILED))
            return reports

    async def send_now(self, chat_id: int, dry_run: bool = False) -> DeliveryReport:
        """/digest and ``sitrep digest``: what the chat is owed, now; a dry run marks nothing."""
        async with self._lock, self.lease.holding() as held:
            if not held and not dry_run:
                raise SendFailed(
                    "another Sitrep process (the running bot?) is sending digests right now: "
                    "try again in a minute"
                )
            now = self.clock.now()
            chat = await asyncio.to_thread(self._chat, chat_id, now)
            digests, upto = await asyncio.to_thread(self.pending, [chat])
            digest = digests[chat_id]
            if dry_run:
                return DeliveryReport(
                    chat_id, DeliveryStatus.DRY_RUN, len(digest.items), digest=digest
                )
            return await self._deliver(chat, digest, upto, now, scheduled=False)

    async def _deliver(
        self, chat: ChatSettings, digest: Digest, upto: int, now: datetime, scheduled: bool = True
    ) -> DeliveryReport:
        chat_id = chat.chat_id
        due = scheduled and not chat.instant
        if not digest.items:
            await asyncio.to_thread(self.chats.finish_digest, chat_id, upto, now, due)
            return DeliveryReport(chat_id, DeliveryStatus.NOTHING_NEW)
        if self.notifier is None:
            raise SendFailed("no way to send messages: the bot is not running")
        sent = 0  # messages Telegram accepted
        items = 0
        for message in self.notifier.compose(digest):
            if not await self.lease.still_held():
                # Another process took over (this one was paused past its lease): it works
                # out from the database what is owed, so nothing is sent twice or lost.
                return DeliveryReport(chat_id, DeliveryStatus.FAILED, items, sent)
            try:
                message_id: int | None = await self.notifier.send(chat_id, message)
            except ChatMoved as moved:
                # Its watches, settings and delivery log move to the new id; the next tick
                # works out from the database what the new chat is owed (never twice).
                new_id = moved.new_chat_id
                log.info("chat %d moved to %d; its watches move with it", chat_id, new_id)
                await asyncio.to_thread(self.chats.migrate_chat, chat_id, new_id)
                return DeliveryReport(new_id, DeliveryStatus.MOVED, items, sent)
            except ChatBlocked:
                log.warning("chat %d blocked the bot: its watches are paused", chat_id)
                await asyncio.to_thread(self.chats.update_chat, chat_id, blocked=True)
                return DeliveryReport(chat_id, DeliveryStatus.BLOCKED, items, sent)
            except SendRefused as exc:
                # Sending it again cannot succeed: logged loudly and recorded as dealt with,
                # so that one bad message does not hold back every later digest of the chat.
                log.error("Telegram refused a digest message for chat %d: %s", chat_id, exc)
                message_id = None
            except SendFailed as exc:
                log.warning("digest for chat %d held back, will retry: %s", chat_id, exc)
                return DeliveryReport(chat_id, DeliveryStatus.FAILED, items, sent)
            ids = list(message.passage_ids)
            await asyncio.to_thread(self.chats.record_delivery, chat_id, ids, message_id, now)
            if message_id is not None:
                sent += 1
                items += len(ids)
        await asyncio.to_thread(self.chats.finish_digest, chat_id, upto, now, due)
        return DeliveryReport(chat_id, DeliveryStatus.SENT, items, sent)
