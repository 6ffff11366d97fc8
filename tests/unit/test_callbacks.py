"""Button callback data: packed and unpacked by one class per kind, within Telegram's 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from handlers.callbacks import (
    EXPIRED,
    CallbackData,
    CallbackDataError,
    Instant,
    More,
    Pick,
    RemoveFeed,
    Unwatch,
    WatchPick,
    WatchPoint,
    expired,
    parse,
)


@dataclass(frozen=True)
class Note(CallbackData, prefix="note"):
    text: str


@dataclass(frozen=True)
class Spot(CallbackData, prefix="spot"):
    lat: float
    lon: float


@pytest.mark.parametrize(
    "data",
    [
        More(12, 3),
        Pick(7, 694403),
        WatchPick(8, 706757),
        WatchPoint(3),
        Spot(48.5953, -38.0003),
        Unwatch(42),
        Instant(True),
        Instant(False),
        RemoveFeed(5),
        Note("Bakhmut"),
    ],
)
def test_round_trip(data: CallbackData) -> None:
    assert type(data).unpack(data.pack()) == data


def test_the_wire_format_of_buttons_already_sent() -> None:
    # Buttons sent by an earlier version unpack as before, and answer (or say they expired).
    assert More.unpack("more:3:1") == More(3, 1)
    assert Instant.unpack("instant:1") == Instant(True)
    assert Unwatch(9).pack() == "uw:9" and RemoveFeed(4).pack() == "rf:4"
    # A location button once carried its point, which a client could forge: it now carries a
    # key to the offer, and an old one answers as expired.
    assert parse("wl:48.5953:38.0003:15") is None
    assert expired("wl:48.5953:38.0003:15") == WatchPoint.expired


def test_data_over_64_bytes_is_refused_when_packed() -> None:
    assert len(Note("x" * 59).pack().encode()) == 64
    with pytest.raises(CallbackDataError, match="65 bytes; Telegram takes 64"):
        Note("x" * 60).pack()
    with pytest.raises(CallbackDataError, match="bytes"):
        Note("ї" * 30).pack()  # 60 characters' worth of bytes: the limit counts bytes


@pytest.mark.parametrize(
    "data", [Spot(1e-07, 0.0), Spot(1e20, 0.0), Spot(float("nan"), 0.0), More(2**63, 1)]
)
def test_data_that_would_not_unpack_is_refused_when_packed(data: CallbackData) -> None:
    with pytest.raises(CallbackDataError, match="does not unpack"):
        data.pack()


def test_a_separator_inside_a_value_is_refused() -> None:
    with pytest.raises(CallbackDataError, match="separator"):
        Note("a:b").pack()


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (More, "pick:3:1"),  # another kind's
        (More, "more:3"),  # too few fields
        (More, "more:3:1:2"),  # too many
        (More, "more:x:1"),  # not a number
        (More, "more"),
        (More, ""),
        (More, None),  # a game button carries no data
        (Pick, "wpick:3:694403"),
        (Instant, "instant:2"),
        (WatchPoint, "wl:north"),
        (WatchPoint, "wl:48.5953:38.0003:15"),  # the format before the key
        (More, "more:٣:1"),  # a digit, not an ASCII one
        (More, "more: 3:1"),
        (More, "more:1_0:1"),
        (More, "more:+3:1"),
        (More, "more:9223372036854775808:1"),  # past SQLite's integers
        (More, "more:-9223372036854775809:1"),
        (More, "more:" + "9" * 5000 + ":1"),  # int() itself refuses this with a ValueError
        (Spot, "spot:nan:1.0"),
        (Spot, "spot:inf:1.0"),
        (Spot, "spot:-inf:1.0"),
        (Spot, "spot:1e999:1.0"),
        (Spot, "spot:1e5:1.0"),
        (Spot, "spot:1.0:"),
    ],
)
def test_foreign_data_is_rejected(kind: type[CallbackData], data: object) -> None:
    assert not kind.matches(data)
    with pytest.raises(CallbackDataError, match="not"):
        kind.unpack(data)
    assert not isinstance(parse(data), kind)  # another kind's data parses as that kind


def test_the_edges_of_what_unpacks() -> None:
    assert More.unpack("more:9223372036854775807:-9223372036854775808") == More(2**63 - 1, -(2**63))
    assert Spot.unpack("spot:-48.5:0") == Spot(-48.5, 0.0)


def test_parse_finds_the_kind_and_expired_its_answer() -> None:
    assert parse("more:3:1") == More(3, 1) and parse("uw:9") == Unwatch(9)
    assert parse("pick:3:694403") == Pick(3, 694403)
    for data in ("nope:1", "", None, 7, "more"):
        assert parse(data) is None
    assert expired("more:x:1") == More.expired == "This answer has expired: ask again."
    assert expired("wpick:") == WatchPick.expired
    assert expired("nope:1") == expired(None) == expired("") == EXPIRED
    assert "expired" in EXPIRED


def test_two_kinds_never_share_a_prefix() -> None:
    with pytest.raises(CallbackDataError, match="prefix"):

        @dataclass(frozen=True)
        class Again(CallbackData, prefix="more"):
            n: int


def test_a_prefix_holds_no_separator() -> None:
    with pytest.raises(CallbackDataError):

        @dataclass(frozen=True)
        class Bad(CallbackData, prefix="a:b"):
            n: int
