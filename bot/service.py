"""The asynchronous face of the application for chat front ends: blocking work off the loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.app import App
from index.models import Answer


@dataclass
class Service:
    """What a chat front end calls; every blocking step runs in a worker thread."""

    app: App

    async def ask(self, question: str, near: str | None = None) -> Answer:
        """Answer a question (the model, FAISS and SQLite run in a thread)."""
        return await asyncio.to_thread(self.app.knowledge.ask, question, None, None, near)
