"""Button callback data: each kind of button is one typed class that packs and unpacks itself.

Modelled on aiogram's ``CallbackData``: a prefix and typed fields joined by ``:``
(``more:12:1``), checked against Telegram's 64-byte limit when packed, and refused when
unpacked from data of another kind or shape. A client can send any data with a press, so
unpacking is strict: integers are ASCII digits within SQLite's 64 bits, floats are finite
decimals, and data no kind unpacks is answered as an expired button (:func:`parse`,
:func:`expired`). A button carries keys to choices kept server-side, never a value the bot
would act on unchecked (a point to watch).
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

MAX_BYTES = 64  # Telegram refuses longer callback data (BUTTON_DATA_INVALID)
SEPARATOR = ":"


class CallbackDataError(ValueError):
    """Callback data that cannot be packed (too long, a separator in a value) or that is not
    of the kind being unpacked."""


EXPIRED = "This button has expired: send the command again."
_INT = re.compile(r"-?[0-9]{1,19}")
_FLOAT = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?")
_INT64 = 2**63  # SQLite's integers: a larger id would fail in the store, not here


def _decode_bool(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError(f"not 0 or 1: {text!r}")
    return text == "1"


def _decode_int(text: str) -> int:
    # int() also takes " 3", "1_0" and non-ASCII digits, and any length.
    if not _INT.fullmatch(text) or not -_INT64 <= (value := int(text)) < _INT64:
        raise ValueError(f"not a 64-bit integer: {text!r}")
    return value


def _decode_float(text: str) -> float:
    # float() also takes "nan", "inf" and "1e999".
    if not _FLOAT.fullmatch(text) or not math.isfinite(value := float(text)):
        raise ValueError(f"not a finite decimal: {text!r}")
    return value


_DECODE: dict[type, Callable[[str], Any]] = {
    int: _decode_int,
    float: _decode_float,
    str: str,
    bool: _decode_bool,
}
_KINDS: dict[str, type[CallbackData]] = {}


def _encode(value: object) -> str:
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class CallbackData:
    """Base of the button kinds: a frozen dataclass with ``prefix`` given at subclassing
    (``class More(CallbackData, prefix="more")``) and fields of type int, float, bool or str;
    ``expired`` is what a press answers when the choice behind it is gone."""

    prefix: ClassVar[str]
    expired: ClassVar[str]

    def __init_subclass__(cls, prefix: str, expired: str = EXPIRED, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or SEPARATOR in prefix:
            raise CallbackDataError(f"a callback prefix is a word without {SEPARATOR!r}")
        if prefix in _KINDS:
            raise CallbackDataError(f"two kinds of button with the prefix {prefix!r}")
        cls.prefix = prefix
        cls.expired = expired
        _KINDS[prefix] = cls

    def pack(self) -> str:
        """The data to put on a button."""
        parts = [self.prefix]
        for field in dataclasses.fields(self):
            value = _encode(getattr(self, field.name))
            if SEPARATOR in value:
                raise CallbackDataError(f"{field.name}={value!r} holds the separator")
            parts.append(value)
        data = SEPARATOR.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise CallbackDataError(
                f"callback data {data!r} is {len(data.encode())} bytes; Telegram takes {MAX_BYTES}"
            )
        try:
            again = self.unpack(data)
        except CallbackDataError:
            again = None
        if again != self:  # 1e-07, nan, an id past 64 bits: a button that could never answer
            raise CallbackDataError(f"{self!r} does not unpack from {data!r}")
        return data

    @classmethod
    def unpack(cls, data: object) -> Self:
        """The button's fields from its data; CallbackDataError if it is not this kind's."""
        if not isinstance(data, str):
            raise CallbackDataError(f"not callback data: {data!r}")
        prefix, *values = data.split(SEPARATOR)
        fields = dataclasses.fields(cls)
        if prefix != cls.prefix or len(values) != len(fields):
            raise CallbackDataError(f"not {cls.__name__} data: {data!r}")
        types = typing.get_type_hints(cls)
        try:
            decoded = [_DECODE[types[f.name]](v) for f, v in zip(fields, values, strict=True)]
        except ValueError as exc:
            raise CallbackDataError(f"not {cls.__name__} data: {data!r}") from exc
        return cls(*decoded)

    @classmethod
    def matches(cls, data: object) -> bool:
        """Whether ``data`` unpacks as this kind: the pattern a button's handler registers."""
        try:
            cls.unpack(data)
        except CallbackDataError:
            return False
        return True


def parse(data: object) -> CallbackData | None:
    """A press's data unpacked as its kind, or None when no kind unpacks it (malformed, forged,
    or a kind's older wire format)."""
    kind = _KINDS.get(data.split(SEPARATOR, 1)[0]) if isinstance(data, str) else None
    try:
        return kind.unpack(data) if kind is not None else None
    except CallbackDataError:
        return None


def expired(data: object) -> str:
    """The answer to a press whose data no kind unpacks: its kind's "expired" answer when the
    prefix names one, else the general one."""
    kind = _KINDS.get(data.split(SEPARATOR, 1)[0]) if isinstance(data, str) else None
    return kind.expired if kind is not None else EXPIRED


@dataclass(frozen=True)
class More(CallbackData, prefix="more", expired="This answer has expired: ask again."):
    """ "More ▸" / "◂ Back": page ``page`` of the answer kept under ``key``."""

    key: int
    page: int


@dataclass(frozen=True)
class Pick(CallbackData, prefix="pick", expired="This question has expired: ask again."):
    """A place picked for the question kept under ``key``."""

    key: int
    geonameid: int


@dataclass(frozen=True)
class WatchPick(
    CallbackData, prefix="wpick", expired="This choice has expired: send /watch again."
):
    """A place picked for the /watch request kept under ``key``."""

    key: int
    geonameid: int


@dataclass(frozen=True)
class WatchPoint(
    CallbackData, prefix="wl", expired="This choice has expired: share the location again."
):
    """A radius picked for a shared location: the point and radius offered are kept under
    ``key``, so a forged press cannot name another point (the data once carried them)."""

    key: int


@dataclass(frozen=True)
class Unwatch(CallbackData, prefix="uw"):
    """A watch picked to remove."""

    watch_id: int


@dataclass(frozen=True)
class Instant(CallbackData, prefix="instant"):
    """Instant alerts turned on or off."""

    on: bool


@dataclass(frozen=True)
class RemoveFeed(
    CallbackData, prefix="rf", expired="This choice has expired: send /removefeed again."
):
    """A feed picked to remove: its URL is kept under ``key`` (URLs outgrow 64 bytes)."""

    key: int
