"""Fetching web pages within a fetch policy: size and time limits, redirects, the address guard."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from index.errors import SourceError
from index.ingest.deadline import Deadline, Watchdog
from index.ingest.netguard import Resolver, check_public_url
from index.ingest.urls import parse_url

# Redirects followed by hand when every hop must be checked; otherwise httpx's own limit holds.
MAX_REDIRECTS = 5
# Sizes are in binary units everywhere (the setting, the limit, the messages): 1 MiB = 2**20 bytes.
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits on what is read: size, time, and how Sitrep introduces itself to servers."""

    max_bytes: int = 20 * MIB
    timeout: float = 20.0
    user_agent: str = "Sitrep/0.1 (situation-monitoring bot)"
    # A feed item shorter than this is a summary: fetch the item's page for the full text.
    summary_words: int = 120
    # URLs from chat users: refuse hosts off the public internet, at every redirect hop too,
    # so a user cannot make the bot read its own machine, network or cloud metadata service.
    public_only: bool = False

    def check_size(self, size: int, exact: bool = True) -> None:
        """SourceError if ``size`` bytes are over the limit (``exact=False``: reading stopped
        at ``size`` bytes, so the whole is at least that)."""
        if size > self.max_bytes:
            at_least = "" if exact else "over "
            raise SourceError(
                f"too large: {at_least}{size / MIB:.1f} MiB, over the "
                f"{self.max_bytes / MIB:g} MiB limit"
            )


@dataclass(frozen=True, slots=True)
class Download:
    """A response read whole: its status, body and headers."""

    status: int
    body: bytes
    headers: httpx.Headers


def download(
    client: httpx.Client,
    url: str,
    policy: FetchPolicy,
    monotonic: Callable[[], float],
    resolve: Resolver | None = None,
    conditions: Mapping[str, str] | None = None,
) -> Download:
    """GET within the limits; with ``public_only``, each hop is checked before it is made.

    One deadline, ``policy.timeout`` seconds on ``monotonic`` (the app clock's), covers the
    connects, headers and bodies of every redirect hop: a server that trickles is cut off when
    it passes. ``conditions`` are the headers of a conditional GET; ``resolve`` looks host names
    up for the guard (default getaddrinfo). Raises SourceError for anything that is not a
    response.
    """
    parse_url(url)  # a malformed URL, or one of another scheme, is refused saying which
    # A new connection for each download: the watchdog learns of connections as they open.
    headers = {**(conditions or {}), "User-Agent": policy.user_agent, "Connection": "close"}
    guard = policy.public_only
    with Watchdog(Deadline(policy.timeout, monotonic)) as watch:
        try:
            for hop in range(MAX_REDIRECTS + 1):
                if guard:
                    _check_public(url, resolve, redirected=hop > 0)
                if watch.expired():
                    raise SourceError(watch.message())
                with client.stream(
                    "GET",
                    url,
                    headers=headers,
                    timeout=watch.deadline.timeout(),
                    follow_redirects=not guard,
                    extensions={"trace": watch.trace},
                ) as response:
                    # Set only when httpx did not follow: the next hop, to be checked first.
                    if response.next_request is not None:
                        url = str(response.next_request.url)
                        continue
                    return _receive(response, policy, watch)
            raise SourceError(f"too many redirects (more than {MAX_REDIRECTS})")
        except httpx.HTTPError as exc:
            # Cut off by the watchdog (the read sees the connection closed) or by a phase's
            # timeout, which is never longer than what is left: either way, time is up.
            if watch.expired() or isinstance(exc, httpx.TimeoutException):
                if isinstance(exc, httpx.ConnectTimeout):
                    watch.phase = "connect"
                raise SourceError(watch.message()) from exc
            if isinstance(exc, httpx.ConnectError):
                raise SourceError(f"cannot connect: {exc}") from exc
            raise SourceError(f"download failed: {exc}") from exc


def _check_public(url: str, resolve: Resolver | None, redirected: bool) -> None:
    try:
        check_public_url(url, resolve)
    except SourceError as exc:
        if redirected:
            raise SourceError(f"{exc} (the server redirected to {url})") from exc
        raise


def _receive(response: httpx.Response, policy: FetchPolicy, watch: Watchdog) -> Download:
    watch.body_started()
    if response.status_code >= 400:
        raise SourceError(f"HTTP {response.status_code} {response.reason_phrase}")
    policy.check_size(int(response.headers.get("content-length") or 0))
    chunks = []
    for chunk in response.iter_bytes():
        watch.received += len(chunk)
        policy.check_size(watch.received)
        chunks.append(chunk)
        if watch.expired():
            raise SourceError(watch.message())
    return Download(response.status_code, b"".join(chunks), response.headers)
