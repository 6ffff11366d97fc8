"""The asynchronous face of the application for chat front ends: blocking work off the loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.app import App
from bot.digests.delivery import DeliveryReport, Digests, Notifier
from bot.digests.schedule import next_due
from bot.digests.watching import WatchOutcome
from bot.domain.feeds import Feed, PollOutcome
from bot.domain.watches import ChatSettings, Watch
from bot.errors import NotAllowed
from bot.ticks import Ticks
from index.clock import Clock
from index.errors import QueryError, SourceError
from index.ingest.netguard import check_public_url
from index.ingest.urls import parse_url
from index.models import Answer, IngestReport
from index.search.knowledge import IndexStats


@dataclass
class Service:
    """What a chat front end calls; every blocking step runs in a worker thread."""

    app: App
    digests: Digests = field(init=False)
    feed_ticks: Ticks = field(init=False, default_factory=Ticks)  # finished feed polls

    def __post_init__(self) -> None:
        self.digests = Digests(
            self.app.chats,
            self.app.knowledge.store,
            None,  # connected to a front end's notifier when one runs
            self.app.clock,
            allowed=self.chat_allowed,
            tick=timedelta(seconds=self.app.settings.digest_tick_s),
        )

    @property
    def clock(self) -> Clock:
        """The application's one clock."""
        return self.app.clock

    def connect(self, notifier: Notifier) -> None:
        """Where digests go (the Telegram bot, once it runs)."""
        self.digests.notifier = notifier

    # -- questions ---------------------------------------------------------------------------

    async def ask(self, question: str, near: str | None = None) -> Answer:
        """Answer a question from a chat: up to ``ask.max_k`` results, which the chat pages
        through :attr:`page_size` at a time (the model, FAISS and SQLite run in a thread)."""
        k = self.app.settings.ask_max_k
        return await asyncio.to_thread(self.app.knowledge.ask, question, k, None, near)

    @property
    def page_size(self) -> int:
        """Results per page of an answer in a chat (``ask.top_k``)."""
        return self.app.settings.ask_top_k

    # -- access ------------------------------------------------------------------------------

    def is_admin(self, user_id: int | None) -> bool:
        """Whether the user is in ``SITREP_ADMINS``."""
        return user_id is not None and user_id in self.app.settings.admins

    def chat_allowed(self, chat_id: int) -> bool:
        """Whether the chat may use the bot (an empty allow-list lets every chat in)."""
        allowed = self.app.settings.allowed_chats
        return not allowed or chat_id in allowed

    def require_admin(self, user_id: int | None) -> None:
        if not self.is_admin(user_id):
            raise NotAllowed("this command is for the bot's admins only")

    # -- watches and settings ----------------------------------------------------------------

    async def watch(self, chat_id: int, text: str) -> WatchOutcome:
        """``/watch PLACE [KM] [KEYWORDS]``."""
        return await asyncio.to_thread(self.app.watching.watch, chat_id, text, self.clock.now())

    async def watch_place(
        self, chat_id: int, geonameid: int, radius_km: float | None, keywords: tuple[str, ...]
    ) -> Watch:
        """A watch of a place picked from buttons."""
        return await asyncio.to_thread(
            self.app.watching.add_by_id, chat_id, geonameid, radius_km, keywords, self.clock.now()
        )

    async def watch_point(self, chat_id: int, lat: float, lon: float, radius_km: float) -> Watch:
        """A watch of a shared location."""
        return await asyncio.to_thread(
            self.app.watching.add, chat_id, (lat, lon), radius_km, (), self.clock.now()
        )

    async def watches(self, chat_id: int) -> list[Watch]:
        """The chat's watches."""
        return await asyncio.to_thread(self.app.chats.watches, chat_id)

    async def unwatch(self, chat_id: int, watch_id: int) -> Watch | None:
        """Remove one watch of the chat."""
        return await asyncio.to_thread(self.app.chats.remove_watch, chat_id, watch_id)

    async def settings(
        self,
        chat_id: int,
        digest_time: str | None = None,
        timezone: str | None = None,
        instant: bool | None = None,
    ) -> ChatSettings:
        """Read or change the chat's digest time, timezone and instant mode."""
        return await asyncio.to_thread(
            self.app.watching.settings, chat_id, self.clock.now(), digest_time, timezone, instant
        )

    def next_digest(self, chat: ChatSettings) -> datetime:
        """When the chat's next daily digest is due (for /settings)."""
        return next_due(chat, self.clock.now())

    async def digest_now(self, chat_id: int) -> DeliveryReport:
        """/digest: send what the chat is owed now."""
        return await self.digests.send_now(chat_id)

    async def unblock(self, chat_id: int) -> None:
        """A chat that had blocked the bot wrote again: its watches resume."""
        chat = await asyncio.to_thread(self.app.chats.get_chat, chat_id)
        if chat is not None and chat.blocked:
            await asyncio.to_thread(self.app.chats.update_chat, chat_id, blocked=False)

    # -- sources and admin -------------------------------------------------------------------

    async def feeds(self) -> list[Feed]:
        """The followed feeds."""
        return await asyncio.to_thread(self.app.chats.feeds)

    async def add_feed(self, user_id: int | None, url: str) -> bool:
        """/addfeed (admins): follow a feed; it is polled on the next feed tick."""
        self.require_admin(user_id)
        url = url.strip()
        try:
            parse_url(url)
        except SourceError as exc:
            raise QueryError(f"not a feed address: {url!r}: {exc}") from exc
        if not self.app.settings.telegram_allow_private_urls:
            await asyncio.to_thread(check_public_url, url)
        return await asyncio.to_thread(
            self.app.chats.add_feed, url, "chat", user_id, self.clock.now()
        )

    async def remove_feed(self, user_id: int | None, url: str) -> bool:
        """/removefeed (admins)."""
        self.require_admin(user_id)
        return await asyncio.to_thread(self.app.chats.remove_feed, url)

    async def ingest_url(self, user_id: int | None, url: str) -> IngestReport:
        """/ingest (admins): fetch one URL (public addresses only) and ingest it."""
        self.require_admin(user_id)
        return await asyncio.to_thread(self.app.ingest_url, url.strip())

    async def stats(self, user_id: int | None) -> IndexStats:
        """/stats (admins)."""
        self.require_admin(user_id)
        return await asyncio.to_thread(self.app.knowledge.stats)

    async def poll_feeds(self) -> list[PollOutcome]:
        """The feed job: poll the due feeds and ingest what is new (counted in ``feed_ticks``)."""
        try:
            return await asyncio.to_thread(self.app.feeds.poll_due)
        finally:
            await self.feed_ticks.done()
