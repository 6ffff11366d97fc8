"""URLs sent in chat (/ingest, /addfeed): one reading of what a web address is."""

from __future__ import annotations

import pytest
from botkit import bot_running, replies, shown

from bot.app import App
from bot.emulator.server import BotApiEmulator

pytestmark = pytest.mark.usefixtures("_timedelta_durations")


async def test_ingest_and_addfeed_agree_on_what_a_url_is(
    fast_app: App, emulator: BotApiEmulator
) -> None:
    feed = "HTTP://127.0.0.1:9/RSS"  # nothing listens on port 9: the feed is only followed
    async with bot_running(fast_app, emulator, admins=(7,), telegram_allow_private_urls=True):
        for command in (
            f"/addfeed {feed}",
            "/ingest http://[::1",
            "/ingest ftp://example.org/x",
            "/addfeed ftp://example.org/rss",
            "/addfeed http://[::1",
            "/ingest HTTP://127.0.0.1:9/x",
        ):
            emulator.user_says(command, chat_id=7, user_id=7)
        said = [shown(m) for m in await replies(emulator, 7, 6)]
    assert "Following" in said[0], said[0]
    assert [f.url for f in fast_app.chats.feeds()] == [feed]
    assert "not a valid URL" in said[1], said[1]
    assert "only http and https URLs can be read, not ftp:" in said[2], said[2]
    assert "only http and https URLs can be read, not ftp:" in said[3], said[3]
    assert "not a valid URL" in said[4], said[4]
    # Read as a URL: the address guard judged its host (the chat reader's policy is built
    # with the app, before the override above).
    assert "127.0.0.1 is not a public address" in said[5], said[5]
