"""``sitrep demo``: the bot on the embedded Bot API emulator, over the sample corpus, in a
scripted conversation whose transcript is printed."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from bot.app import App, build_app
from bot.render import text as as_text
from bot.settings import Settings
from bot.telegram.local import LocalChat, local_bot, render_message

SAMPLE = Path(__file__).resolve().parent / "sample"
SAMPLE_CORPUS = SAMPLE / "corpus.jsonl"
LATE_ARTICLE = SAMPLE / "late.jsonl"  # arrives during the conversation

SCRIPT = (
    "what happened near Seversk?",
    "/near Bakhmut 20",
    "/watch Bajmut 15",
    "/watches",
    LATE_ARTICLE,
    "/digest",
    "/digest",
)


def run_demo(settings: Settings) -> int:
    """Ingest the sample corpus into ``<data_dir>/demo`` (emptied first) and play SCRIPT."""
    demo_dir = settings.data_dir / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    app = build_app(settings.replace(data_dir=demo_dir))
    try:
        report = app.ingest([str(SAMPLE_CORPUS)])
        print(f"Sitrep demo: sample corpus ingested into {demo_dir}")
        print(as_text.report_text(report))
        print(
            "The bot runs on the embedded Bot API emulator; a simulated user writes to it.\n",
            flush=True,
        )
        asyncio.run(_converse(app, app.settings))
        print(f"Chat with it yourself: sitrep --data-dir {demo_dir} run")
    finally:
        app.close()
    return 0


async def _converse(app: App, settings: Settings) -> None:
    # Digests here come from /digest; the daily tick and feed polling stay out of the way.
    quiet = settings.replace(digest_tick_s=3600.0, feeds_tick_s=3600.0)
    async with local_bot(app, quiet) as emulator:
        chat = LocalChat(emulator)
        for step in SCRIPT:
            if isinstance(step, Path):
                report = await asyncio.to_thread(app.ingest, [str(step)])
                print(
                    f"--- meanwhile a new article is ingested (as `sitrep ingest {step.name}` "
                    f"from cron would): {report.added} added ---\n",
                    flush=True,
                )
                continue
            print(f"you> {step}")
            chat.send(step)
            for message in await chat.replies():
                print(render_message(message))
            print(flush=True)
