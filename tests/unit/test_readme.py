"""The README's quick start and CI agree: CI runs exactly the documented test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    return [b.strip() for b in blocks if "python3 -m venv" in b]


def test_quick_start_has_two_commands_and_ci_runs_the_test_one() -> None:
    run, test = quick_start_commands()
    assert run.endswith("sitrep demo")
    assert "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci
    assert "torch==2.13.0" in run and "torch==2.13.0" in test
