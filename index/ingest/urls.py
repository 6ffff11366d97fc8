"""What a URL is: one parse for every URL read, http and https only, a clear error otherwise."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import httpx

from index.errors import SourceError

WEB_SCHEMES = ("http", "https")

# RFC 3986: a scheme is a letter, then letters, digits, "+", "-" or ".", then ":". One letter is
# a Windows drive (C:\x), not a scheme; and a path written ./ftp:/x starts with no scheme at all.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


def looks_like_url(target: str) -> bool:
    """Whether ``target`` starts with a URL scheme (``http:``, ``ftp:``, ``javascript:``...),
    so it is meant as a URL, not a path."""
    return _SCHEME.match(target) is not None


def parse_url(target: str) -> httpx.URL:
    """``target`` as an http(s) URL with a host, or SourceError saying why it is not one.

    The scheme may be in any case (``HTTP://Example.COM/x``); httpx's parser is the one used,
    so the URL checked is the URL the client fetches.
    """
    if any(c.isspace() for c in target):
        raise SourceError("refused: not a valid URL: it contains a space")
    try:
        url = httpx.URL(target)
    except httpx.InvalidURL as exc:
        raise SourceError(f"refused: not a valid URL: {exc}") from exc
    if url.scheme not in WEB_SCHEMES:
        scheme = f"{url.scheme}:" if url.scheme else "a URL without a scheme"
        raise SourceError(f"refused: only http and https URLs can be read, not {scheme}")
    if not url.host:
        raise SourceError("refused: the URL has no host")
    return url


def is_url(target: str) -> bool:
    """Whether ``target`` is an http(s) URL that :func:`parse_url` accepts."""
    try:
        parse_url(target)
    except SourceError:
        return False
    return True


def web_link(link: object, feed_url: str) -> str | None:
    """A feed item's link as an http(s) URL, or None: a relative link in a web feed is taken
    on the feed's site; any other scheme, or a malformed link, is no citation."""
    if not isinstance(link, str) or not link.strip():
        return None
    if is_url(feed_url) and not looks_like_url(link):
        try:
            link = urljoin(feed_url, link)
        except ValueError:  # "//[::1" and the like
            return None
    return link if is_url(link) else None
