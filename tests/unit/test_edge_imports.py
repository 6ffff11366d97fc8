"""The Telegram edge imports the handlers, at module top; the handlers never import the edge."""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent.parent


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported, whether at module top) for every import in a file."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, id(node) in top))
    return found


def test_handlers_never_import_the_telegram_edge() -> None:
    for path in (PROJECT / "handlers").rglob("*.py"):
        for module, _ in imports(path):
            assert not module.startswith("bot.telegram"), f"{path.name} imports {module}"


def test_the_edge_imports_handlers_at_module_top_only() -> None:
    hidden = [
        (path.name, module)
        for path in (PROJECT / "bot").rglob("*.py")
        for module, at_top in imports(path)
        if module.split(".")[0] == "handlers" and not at_top
    ]
    assert hidden == []
    edge = {module for module, _ in imports(PROJECT / "bot" / "telegram" / "app.py")}
    assert "handlers" in edge
