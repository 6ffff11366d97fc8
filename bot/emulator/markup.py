"""Telegram's HTML parse mode, checked as Telegram checks it, and the text a user then sees."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
_TAG_AT = re.compile(r"</?[a-zA-Z][a-zA-Z-]*(?:\s[^<>]*)?>")
_ENTITY_AT = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_TAGS = frozenset(
    "b strong i em u ins s strike del a code pre span tg-spoiler tg-emoji blockquote".split()
)


class MarkupError(ValueError):
    """Text that Telegram refuses to parse (it answers "Bad Request: " and this message)."""


class _HtmlCheck(HTMLParser):
    """Parses Telegram HTML like Telegram: known tags only, balanced; returns the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise MarkupError(f'can\'t parse entities: unsupported start tag "{tag}"')
        if tag == "a" and not dict(attrs).get("href"):
            raise MarkupError("can't parse entities: a tag without href")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise MarkupError(f'can\'t parse entities: unexpected end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text a user sees, after checking the markup as Telegram does (MarkupError if it
    would refuse it)."""
    if parse_mode is None or parse_mode.upper() != "HTML":
        return text
    for m in re.finditer(r"[<&]", text):
        pattern = _TAG_AT if m.group() == "<" else _ENTITY_AT
        if not pattern.match(text, m.start()):
            what = "tag" if m.group() == "<" else "entity"
            raise MarkupError(
                f'can\'t parse entities: unescaped "{m.group()}" '
                f"(not a {what}) at byte offset {len(text[: m.start()].encode())}"
            )
    parser = _HtmlCheck()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise MarkupError(f'can\'t parse entities: unclosed start tag "{parser.stack[-1]}"')
    return "".join(parser.text)
