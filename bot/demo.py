"""``sitrep demo``: ingest the bundled sample corpus into a fresh data directory and ask."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bot import render
from bot.app import build_app
from bot.settings import Settings

SAMPLE_CORPUS = Path(__file__).resolve().parent / "sample" / "corpus.jsonl"

QUESTIONS = (
    "what happened near Seversk?",
    "news from Kharkov",
    "shelling in Bajmut within 20 km",
    "drone attacks on Moscow",
    "evacuation of families",
    "grain exports from the port",
    "what happened near Tokmak?",
    "what happened near Fedorivka?",
    "volcanic eruption in Iceland",
)


def run_demo(settings: Settings, as_json: bool = False) -> int:
    """Ingest the sample corpus into ``<data_dir>/demo`` (emptied first) and answer QUESTIONS."""
    demo_dir = settings.data_dir / "demo"
    shutil.rmtree(demo_dir, ignore_errors=True)
    app = build_app(settings.replace(data_dir=demo_dir))
    try:
        report = app.ingest([str(SAMPLE_CORPUS)])
        if not as_json:
            print(f"Sitrep demo: sample corpus ingested into {demo_dir}")
            print(render.report_text(report) + "\n")
        for question in QUESTIONS:
            answer = app.knowledge.ask(question, k=3)
            if as_json:
                print(json.dumps(render.answer_json(answer), ensure_ascii=False))
            else:
                print(render.answer_text(answer) + "\n")
        if not as_json:
            print(f'Ask your own: sitrep --data-dir {demo_dir} ask "what happened in Bakhmut?"')
            print(f'See the places in a text: sitrep --data-dir {demo_dir} places "TEXT"')
    finally:
        app.close()
    return 0
