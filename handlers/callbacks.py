"""Button callback data: each kind of button is one typed class that packs and unpacks itself.

Modelled on aiogram's ``CallbackData``: a prefix and typed fields joined by ``:``
(``more:12:1``), checked against Telegram's 64-byte limit when packed, and refused when
unpacked from data of another kind or shape. The wire format is the one buttons have always
carried, so buttons sent before an upgrade still reach their handler.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

MAX_BYTES = 64  # Telegram refuses longer callback data (BUTTON_DATA_INVALID)
SEPARATOR = ":"


class CallbackDataError(ValueError):
    """Callback data that cannot be packed (too long, a separator in a value) or that is not
    of the kind being unpacked."""


def _decode_bool(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError(f"not 0 or 1: {text!r}")
    return text == "1"


_DECODE: dict[type, Callable[[str], Any]] = {int: int, float: float, str: str, bool: _decode_bool}


def _encode(value: object) -> str:
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class CallbackData:
    """Base of the button kinds: a frozen dataclass with ``prefix`` given at subclassing
    (``class More(CallbackData, prefix="more")``) and fields of type int, float, bool or str."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or SEPARATOR in prefix:
            raise CallbackDataError(f"a callback prefix is a word without {SEPARATOR!r}")
        cls.prefix = prefix

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


@dataclass(frozen=True)
class More(CallbackData, prefix="more"):
    """ "More ▸" / "◂ Back": page ``page`` of the answer kept under ``key``."""

    key: int
    page: int


@dataclass(frozen=True)
class Pick(CallbackData, prefix="pick"):
    """A place picked for the question kept under ``key``."""

    key: int
    geonameid: int


@dataclass(frozen=True)
class WatchPick(CallbackData, prefix="wpick"):
    """A place picked for the /watch request kept under ``key``."""

    key: int
    geonameid: int


@dataclass(frozen=True)
class WatchPoint(CallbackData, prefix="wl"):
    """A radius picked for a shared location."""

    lat: float
    lon: float
    km: int


@dataclass(frozen=True)
class Unwatch(CallbackData, prefix="uw"):
    """A watch picked to remove."""

    watch_id: int


@dataclass(frozen=True)
class Instant(CallbackData, prefix="instant"):
    """Instant alerts turned on or off."""

    on: bool


@dataclass(frozen=True)
class RemoveFeed(CallbackData, prefix="rf"):
    """A feed picked to remove: its URL is kept under ``key`` (URLs outgrow 64 bytes)."""

    key: int
