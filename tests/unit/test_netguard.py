"""The public-address guard: chat users' URLs never reach loopback, private or metadata hosts."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import httpx
import pytest

from index.clock import SystemClock
from index.errors import SourceError
from index.ingest.netguard import check_public_url
from index.ingest.sources import SourceReader
from index.ingest.web import FetchPolicy
from index.models import Article, IngestFailure

# Real public addresses: the documentation ranges (192.0.2/24, 2001:db8::/32) are not global.
PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"

DNS = {
    "news.example": [PUBLIC_V4, PUBLIC_V6],
    "mirror.example": [PUBLIC_V4],
    "intranet.example": [PUBLIC_V4, "10.0.0.5"],
    "rebind.example": ["127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "v6loop.example": ["::1"],
    "mapped.example": ["::ffff:192.168.1.10"],
}

PAGE = (
    b"<!doctype html><html><head><title>Kherson</title></head><body><article>"
    b"<p>Power was restored to most of Kherson on Tuesday after overnight strikes damaged "
    b"two substations, the regional administration said. Repair crews worked through the "
    b"night and water pumping stations are running again.</p></article></body></html>"
)


def fake_dns(seen: list[tuple[str, int]] | None = None) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if seen is not None:
            seen.append((host, port))
        if host not in DNS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return DNS[host]

    return resolve


def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"resolved {host}, which should have been refused by name")


# -- check_public_url ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/admin",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/router",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    ],
)
def test_internal_address_literals_are_refused_without_resolving(url: str) -> None:
    with pytest.raises(SourceError, match=r"^refused: .* is not a public address$"):
        check_public_url(url, resolve=no_dns)


def test_the_refusal_names_the_address() -> None:
    with pytest.raises(SourceError) as caught:
        check_public_url("http://127.0.0.1/", resolve=no_dns)
    assert str(caught.value) == "refused: 127.0.0.1 is not a public address"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://LOCALHOST:8000/",
        "http://localhost./",
        "http://admin.localhost/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_internal_names_are_refused_without_resolving(url: str) -> None:
    with pytest.raises(SourceError, match="is not a public address"):
        check_public_url(url, resolve=no_dns)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("rebind.example", "127.0.0.1"),
        ("metadata.example", "169.254.169.254"),
        ("v6loop.example", "::1"),
        ("mapped.example", "::ffff:192.168.1.10"),
        # One internal address among public ones is enough: the client may pick any of them.
        ("intranet.example", "10.0.0.5"),
    ],
)
def test_names_that_resolve_to_internal_addresses_are_refused(host: str, address: str) -> None:
    with pytest.raises(SourceError) as caught:
        check_public_url(f"https://{host}/feed.xml", resolve=fake_dns())
    assert str(caught.value) == f"refused: {host} resolves to {address}, not a public address"


def test_a_public_host_is_allowed_and_resolved_on_its_port() -> None:
    seen: list[tuple[str, int]] = []
    check_public_url("https://news.example/world", resolve=fake_dns(seen))
    check_public_url("http://News.Example:8080/world", resolve=fake_dns(seen))
    check_public_url(f"http://{PUBLIC_V4}/", resolve=no_dns)
    check_public_url(f"http://[{PUBLIC_V6}]/", resolve=no_dns)
    assert seen == [("news.example", 443), ("news.example", 8080)]


def test_an_unknown_host_cannot_be_resolved() -> None:
    with pytest.raises(SourceError, match=r"^cannot resolve host nowhere\.example$"):
        check_public_url("https://nowhere.example/", resolve=fake_dns())


def test_a_resolver_that_finds_no_address_is_a_failure_to_resolve() -> None:
    with pytest.raises(SourceError, match="cannot resolve host"):
        check_public_url("https://news.example/", resolve=lambda host, port: [])


@pytest.mark.parametrize(
    "url",
    [
        "ftp://news.example/feed.xml",
        "file:///etc/passwd",
        "gopher://news.example/",
        "news.example/",
    ],
)
def test_only_http_and_https_are_allowed(url: str) -> None:
    with pytest.raises(SourceError, match="only http and https"):
        check_public_url(url, resolve=no_dns)


def test_a_url_without_a_host_is_refused() -> None:
    with pytest.raises(SourceError, match="no host"):
        check_public_url("http:///feed.xml", resolve=no_dns)


# -- SourceReader with public_only -----------------------------------------------------------


class Web:
    """A mock web: every request recorded; the handler answers by URL."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = routes
        self.requested: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requested.append(str(request.url))
        return self.routes.get(str(request.url), httpx.Response(404))


def redirect(to: str) -> httpx.Response:
    return httpx.Response(302, headers={"Location": to})


def html(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "text/html"})


@pytest.fixture
def web() -> Web:
    return Web(
        {
            "https://news.example/kherson": html(PAGE),
            "https://news.example/moved": redirect("https://mirror.example/kherson"),
            "https://mirror.example/kherson": html(PAGE),
            "https://news.example/sneaky": redirect("http://127.0.0.1:8080/admin"),
            "https://news.example/to-metadata": redirect("http://metadata.example/latest/"),
            "https://news.example/loop": redirect("https://news.example/loop"),
            "http://127.0.0.1:8080/admin": html(PAGE),
        }
    )


def guarded(web: Web, public_only: bool = True) -> Iterator[SourceReader]:
    with httpx.Client(transport=httpx.MockTransport(web)) as client:
        yield SourceReader(
            client, SystemClock(), FetchPolicy(public_only=public_only), resolve=fake_dns()
        )


@pytest.fixture
def reader(web: Web) -> Iterator[SourceReader]:
    yield from guarded(web)


def test_a_public_page_is_read(reader: SourceReader, web: Web) -> None:
    [item] = reader.read("https://news.example/kherson")
    assert isinstance(item, Article)
    assert "Kherson" in item.text


def test_a_redirect_between_public_hosts_is_followed(reader: SourceReader, web: Web) -> None:
    [item] = reader.read("https://news.example/moved")
    assert isinstance(item, Article)
    assert web.requested == ["https://news.example/moved", "https://mirror.example/kherson"]


def test_a_loopback_url_is_refused_before_any_request(reader: SourceReader, web: Web) -> None:
    [item] = reader.read("http://127.0.0.1:8080/admin")
    assert item == IngestFailure(
        "http://127.0.0.1:8080/admin", "refused: 127.0.0.1 is not a public address"
    )
    assert web.requested == []


def test_a_redirect_to_loopback_is_refused_before_it_is_followed(
    reader: SourceReader, web: Web
) -> None:
    with pytest.raises(SourceError, match=r"^refused: 127\.0\.0\.1 is not a public address"):
        reader.fetch("https://news.example/sneaky")
    assert web.requested == ["https://news.example/sneaky"]


def test_a_redirect_to_a_name_for_the_metadata_service_is_refused(
    reader: SourceReader, web: Web
) -> None:
    [item] = reader.read("https://news.example/to-metadata")
    assert isinstance(item, IngestFailure)
    assert "169.254.169.254, not a public address" in item.reason
    assert "redirected to http://metadata.example/latest/" in item.reason
    assert web.requested == ["https://news.example/to-metadata"]


def test_redirects_stop_after_five_hops(reader: SourceReader, web: Web) -> None:
    with pytest.raises(SourceError, match="too many redirects"):
        reader.fetch("https://news.example/loop")
    assert len(web.requested) == 6


def test_a_non_http_url_is_refused(reader: SourceReader, web: Web) -> None:
    with pytest.raises(SourceError, match="only http and https"):
        reader.fetch("ftp://news.example/feed.xml")
    assert web.requested == []


def test_without_public_only_redirects_are_followed_as_before(web: Web) -> None:
    for reader in guarded(web, public_only=False):
        body, ctype = reader.fetch("https://news.example/sneaky")
        assert body == PAGE and ctype == "text/html"
    assert web.requested == ["https://news.example/sneaky", "http://127.0.0.1:8080/admin"]
