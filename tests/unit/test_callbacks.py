"""Button callback data: packed and unpacked by one class per kind, within Telegram's 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from handlers.callbacks import (
    CallbackData,
    CallbackDataError,
    Instant,
    More,
    Pick,
    RemoveFeed,
    Unwatch,
    WatchPick,
    WatchPoint,
)


@dataclass(frozen=True)
class Note(CallbackData, prefix="note"):
    text: str


@pytest.mark.parametrize(
    "data",
    [
        More(12, 3),
        Pick(7, 694403),
        WatchPick(8, 706757),
        WatchPoint(48.5953, -38.0003, 15),
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
    assert WatchPoint.unpack("wl:48.5953:38.0003:15") == WatchPoint(48.5953, 38.0003, 15)
    assert Instant.unpack("instant:1") == Instant(True)
    assert Unwatch(9).pack() == "uw:9" and RemoveFeed(4).pack() == "rf:4"


def test_data_over_64_bytes_is_refused_when_packed() -> None:
    assert len(Note("x" * 59).pack().encode()) == 64
    with pytest.raises(CallbackDataError, match="65 bytes; Telegram takes 64"):
        Note("x" * 60).pack()
    with pytest.raises(CallbackDataError, match="bytes"):
        Note("ї" * 30).pack()  # 60 characters' worth of bytes: the limit counts bytes


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
        (WatchPoint, "wl:north:38.0:15"),
    ],
)
def test_foreign_data_is_rejected(kind: type[CallbackData], data: object) -> None:
    assert not kind.matches(data)
    with pytest.raises(CallbackDataError, match="not"):
        kind.unpack(data)


def test_a_prefix_holds_no_separator() -> None:
    with pytest.raises(CallbackDataError):

        @dataclass(frozen=True)
        class Bad(CallbackData, prefix="a:b"):
            n: int
