"""``sitrep watch`` and ``sitrep digest`` on a data directory the bot also uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.emulator.markup import plain_text
from bot.emulator.server import BotApiEmulator
from conftest import write_jsonl

SOLEDAR = {
    "url": "https://wire.example/soledar",
    "title": "Water station hit in Soledar",
    "published": "2026-11-20T08:00:00Z",
    "source": "Wire",
    "text": "Overnight shelling damaged the water station in Soledar, officials said on Friday, "
    "and crews were sent to restore the supply within two days.",
}


@pytest.fixture
def cli_env(fast_app: App, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SITREP_DATA_DIR", str(fast_app.settings.data_dir))
    monkeypatch.setenv("SITREP_VECTOR_INDEX", "numpy")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    return fast_app.settings.data_dir


def test_watch_list_remove_and_dry_run(
    fast_app: App, cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["watch", "--chat", "5", "Bajmut", "20", "water"]) == 0
    out = capsys.readouterr().out
    assert "Bakhmut (Donetsk, UA)" in out and "within 20 km" in out and "(water)" in out
    fast_app.ingest([str(write_jsonl(tmp_path / "a.jsonl", [SOLEDAR]))])
    assert main(["digest", "--chat", "5", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "Soledar" in dry and "km from Bakhmut" in dry
    assert main(["digest", "--chat", "5", "--dry-run"]) == 0  # a dry run marked nothing
    assert "Soledar" in capsys.readouterr().out
    assert main(["watch", "--chat", "5", "--remove", "1"]) == 0
    assert "removed watch 1" in capsys.readouterr().out
    assert main(["watch", "--chat", "5", "--remove", "1"]) == 1
    assert main(["watch", "--chat", "5", "Xyzzyqwert"]) == 1
    assert "unknown" in capsys.readouterr().err


def test_digest_is_sent_through_the_bot_api_once(
    fast_app: App,
    cli_env: Path,
    tmp_path: Path,
    emulator: BotApiEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["digest", "--chat", "6"]) == 1  # no token: refused, says why
    assert "SITREP_TELEGRAM_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("SITREP_TELEGRAM_TOKEN", "42:CLI-TOKEN")
    monkeypatch.setenv("SITREP_TELEGRAM_API_URL", emulator.url)
    assert main(["watch", "--chat", "6", "Bakhmut", "20"]) == 0
    fast_app.ingest([str(write_jsonl(tmp_path / "a.jsonl", [SOLEDAR]))])
    assert main(["digest", "--chat", "6"]) == 0
    assert main(["digest", "--chat", "6"]) == 0
    assert "nothing new" in capsys.readouterr().out
    [sent] = emulator.bot_messages(6)
    assert "Soledar" in plain_text(sent.text, sent.parse_mode)
