"""Bytes into text: a BOM, then the declared charset, then UTF-8, then detection; binary refused."""

from __future__ import annotations

import codecs
import re

from index.errors import SourceError

BINARY = "binary file, not text"

# UTF-32 first: its little-endian BOM begins with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';,\s]+)""", re.IGNORECASE)
# <meta charset="..."> and <meta http-equiv="Content-Type" content="text/html; charset=...">.
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?([-\w.:]+)""", re.IGNORECASE)
_HEAD = 8192  # how far a NUL or a <meta> charset is looked for


def charset_of(content_type: str) -> str | None:
    """The charset a Content-Type header declares (``text/html; charset=utf-16``), if any."""
    match = _CHARSET.search(content_type)
    return match.group(1) if match else None


def meta_charset(html: bytes) -> str | None:
    """The charset an HTML page declares in a ``<meta>`` tag near its top, if any.

    A page whose tags can be read byte by byte is not UTF-16, whatever it says: such a
    declaration is ignored, as browsers do.
    """
    match = _META_CHARSET.search(html[:_HEAD])
    if match is None:
        return None
    name = match.group(1).decode("ascii", "replace")
    return None if _codec(name) in _WIDE else name


def decode_text(data: bytes, *charsets: str | None) -> str:
    """``data`` as text; SourceError for binary data.

    A byte-order mark decides first; then each declared charset in turn (most authoritative
    first, e.g. the HTTP header's, then the page's own); then UTF-8; then the encoding that
    charset-normalizer detects (cp1251, KOI8-R, ...). A declared charset that is unknown
    (``x-bogus``) or that the bytes do not fit is passed over, not trusted.
    """
    bom = next((codec for mark, codec in _BOMS if data.startswith(mark)), None)
    for charset in (bom, *charsets):
        text = _decode_declared(data, charset)
        if text is not None:
            return _checked(text)
    if b"\x00" in data[:_HEAD]:  # no 8-bit text holds NULs, and UTF-16 was not declared
        raise SourceError(BINARY)
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    return _checked(_detected(data))


def _codec(name: str | None) -> str | None:
    """Python's name for a charset, or None when it is unknown or not a text encoding."""
    if not name:
        return None
    try:
        info = codecs.lookup(name.strip())
    except LookupError:
        return None
    # base64, rot13 and friends are codecs too, but not charsets.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode_declared(data: bytes, charset: str | None) -> str | None:
    codec = _codec(charset)
    if codec is None:
        return None
    if codec == "utf-16" and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = _utf16_order(data)
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError):  # the bytes do not fit what was declared
        return None


def _utf16_order(data: bytes) -> str:
    """UTF-16 without a BOM: its byte order, from which half of each unit holds the zeros
    of ASCII spaces, digits and markup (the high byte comes first in big-endian)."""
    head = data[:_HEAD]
    return "utf-16-be" if head[0::2].count(0) > head[1::2].count(0) else "utf-16-le"


def _detected(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise SourceError(f"{BINARY} (no text encoding fits its bytes)")
    return str(best)


def _checked(text: str) -> str:
    """``text``, unless control characters show it was binary data read as a charset."""
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\r\n\t\f")
    if controls > 4:
        raise SourceError(BINARY)
    return text
