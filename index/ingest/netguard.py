"""Refuse URLs that lead off the public internet: chat users must not reach Sitrep's own network."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from index.errors import SourceError
from index.ingest.urls import parse_url

Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> addresses``: every IPv4 and IPv6 address a host name stands for."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that mean "this machine" or "the cloud's metadata service" whatever DNS says of them.
_INTERNAL_NAMES = frozenset({"localhost", "metadata.google.internal"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, as the operating system's resolver answers."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def check_public_url(url: str, resolve: Resolver | None = None) -> None:
    """Raise SourceError unless ``url`` is http(s) and every address of its host is public.

    ``resolve`` is the test seam; it defaults to :func:`resolve_host` (``socket.getaddrinfo``).
    Every address is checked, not just the first, because the client may connect to any of them.
    """
    # httpx's own parser (in parse_url), so the host checked is the host the client connects to.
    parsed = parse_url(url)
    host = parsed.raw_host.decode("ascii").rstrip(".").lower()
    if not host:
        raise SourceError("refused: the URL has no host")
    if host in _INTERNAL_NAMES or host.endswith(".localhost"):
        raise SourceError(f"refused: {host} is not a public address")
    literal = _ip(host)
    if literal is not None:
        if not is_public(literal):
            raise SourceError(f"refused: {host} is not a public address")
        return
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    try:
        addresses = (resolve or resolve_host)(host, port)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError; IDNA can fail too
        raise SourceError(f"cannot resolve host {host}") from exc
    if not addresses:
        raise SourceError(f"cannot resolve host {host}")
    for address in addresses:
        ip = _ip(address)
        if ip is None or not is_public(ip):
            raise SourceError(f"refused: {host} resolves to {address}, not a public address")


def is_public(ip: IPAddress) -> bool:
    """Whether ``ip`` is a unicast address on the public internet."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 form of an IPv4 address reaches that IPv4 address: judge the IPv4 one.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return is_public(embedded)
        if ip.is_site_local:
            return False
    # Each category by name, then is_global too: Python versions draw these sets differently
    # (3.11's is_global alone leaves out shared 100.64/10 but lets multicast through).
    internal = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local  # 169.254/16 holds the cloud metadata service, 169.254.169.254
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    return not internal and ip.is_global


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
