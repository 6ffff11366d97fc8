"""The import rules of the layout: the knowledge core knows nothing of the bot, Telegram stays
at the edge, and no two packages import each other (not even from inside a function)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("index", "bot", "handlers")
# The Telegram edge: the only code that may import python-telegram-bot or build Telegram HTML.
EDGE = ("bot.telegram", "handlers")
HTML_RENDERER = "bot.render.html"


def modules() -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every module of the project's packages."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def imports(name: str, path: Path, nested_only: bool = False) -> set[str]:
    """Every module ``name`` imports, at the top or inside a function, as dotted names
    (``nested_only``: only those imported inside a function or class)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if nested_only and id(node) in top:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = name.split(".")[: -node.level or None]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # `from bot.render import html` imports the module bot.render.html
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def within(module: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(module == p or module.startswith(p + ".") for p in prefixes)


GRAPH = {name: imports(name, path) for name, path in modules()}
OURS = set(GRAPH)


def unit(module: str) -> str:
    """The unit the no-cycle rule is about: a subpackage (``index.places``, ``bot.digests``,
    ``handlers``), or a module that sits directly in ``bot`` or ``index`` (``bot.cli``)."""
    parts = module.split(".")
    if parts[0] == "handlers":
        return "handlers"
    return ".".join(parts[:2])


def test_the_knowledge_core_imports_nothing_of_the_bot() -> None:
    wrong = {
        (name, target)
        for name, targets in GRAPH.items()
        if within(name, "index")
        for target in targets
        if within(target, ("bot", "handlers"))
    }
    assert not wrong


def test_only_the_telegram_edge_imports_telegram_or_its_html() -> None:
    wrong = {
        (name, target)
        for name, targets in GRAPH.items()
        if not within(name, EDGE) and name != HTML_RENDERER
        for target in targets
        if within(target, "telegram") or target == HTML_RENDERER
    }
    assert not wrong


def test_the_edge_imports_the_handlers_at_module_top() -> None:
    """Registration is not hidden in a function: the dependency is plain to see."""
    hidden = {
        (name, target)
        for name, path in modules()
        for target in imports(name, path, nested_only=True)
        if within(target, "handlers")
    }
    assert not hidden
    assert "handlers" in GRAPH["bot.telegram.app"]


def test_no_two_packages_import_each_other() -> None:
    edges: dict[str, set[str]] = {}
    for name, targets in GRAPH.items():
        for target in targets:
            if target in OURS and unit(target) != unit(name):
                edges.setdefault(unit(name), set()).add(unit(target))
    cycles = list(_cycles(edges))
    assert not cycles, cycles


def _cycles(edges: dict[str, set[str]]) -> Iterator[list[str]]:
    """The strongly connected groups of more than one unit (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                yield from visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                yield sorted(group)

    for node in sorted(edges):
        if node not in index:
            yield from visit(node)


def test_the_rules_catch_what_they_guard_against(tmp_path: Path) -> None:
    """The checks above are not vacuous: a cycle and a stray import are found."""
    assert list(_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})) == [["a", "b", "c"]]
    stray = tmp_path / "stray.py"
    stray.write_text("from telegram import Bot\ndef f():\n    from bot.render import html\n")
    assert imports("bot.stray", stray) >= {"telegram", "bot.render.html"}
    assert "telegram" not in imports("bot.stray", stray, nested_only=True)
    assert "bot.render.html" in imports("bot.stray", stray, nested_only=True)
