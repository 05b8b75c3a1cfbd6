"""Tolerant parsing helpers shared by the vendor clients.

Vendor documents leave field names and formats open, so a value that does not
parse becomes ``None`` (entity state unknown) instead of an exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
import logging
import math
import re
from typing import Any

from .errors import EvseResponseError

_LOGGER = logging.getLogger(__package__)
_REPORTED: set[tuple[str, str]] = set()


def report_once(
    kind: str, value: str, message: str, *args: object, level: int = logging.WARNING
) -> None:
    """Log an unexpected value once per process, not once per poll."""
    if (kind, value) in _REPORTED:
        return
    _REPORTED.add((kind, value))
    _LOGGER.log(level, message, *args)


#: Largest magnitude a reading may have. No charger quantity comes near it (1e15 W, Wh, A or
#: s); beyond it a value is garbage, and its state text would outgrow what Home Assistant takes.
MAX_MAGNITUDE = 1e15
#: Integers outside the signed 64-bit range cannot come from a device's counter.
_INT_LIMIT = 2**63
#: An integer written as text: converted exactly, not through a float.
_INT_TEXT = re.compile(r"[+-]?\d{1,19}")


def to_float(value: Any) -> float | None:
    """Return a float from a number or a string like ``"+25.30"``, else None.

    NaN, infinities, 1e999 and integers too large for a float are unknown (None),
    as is anything beyond ``MAX_MAGNITUDE``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) and abs(number) <= MAX_MAGNITUDE else None


def to_int(value: Any) -> int | None:
    """Return an int from a number or numeric string, else None (out of 64-bit range too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        decimal = to_float(value)
        if decimal is None:
            return None
        number = int(decimal)
    return number if -_INT_LIMIT < number < _INT_LIMIT else None


def to_float_list(value: Any) -> list[float | None] | None:
    """Parse ``"14.0,14.5,14.1"`` or a JSON list into floats (None where unparsable)."""
    if isinstance(value, str):
        if not value.strip():
            return None
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        return None
    return [to_float(item) for item in items]


def to_str(value: Any) -> str | None:
    """Return a non-empty stripped string, else None."""
    if type(value) is str:
        # Nearly every value: a device's text (cheaper than the Mapping check below).
        return value.strip() or None
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None


@cache
def _members[E: StrEnum](enum: type[E]) -> dict[str, E]:
    return {member.value: member for member in enum}


def enum_member[E: StrEnum](enum: type[E], text: str) -> E | None:
    """The member whose value is ``text`` in lower case, else None.

    Or the member the enum's own ``_missing_`` finds for it. A dict look-up first:
    calling the enum costs several times as much, on every value of every poll.
    """
    lowered = text.lower()
    member: E | None = _members(enum).get(lowered)
    if member is None:
        try:
            member = enum(lowered)
        except ValueError:
            return None
    return member


def to_enum[E: StrEnum](enum: type[E], value: Any) -> E | None:
    """Map a value case-insensitively onto an enum; unknown values give None, logged once."""
    text = to_str(value)
    if text is None:
        return None
    if (member := enum_member(enum, text)) is None:
        report_once(
            enum.__name__,
            text,
            "Unknown %s value %r; it is shown as unknown",
            enum.__name__,
            text,
        )
    return member


def get_ci(mapping: Mapping[str, Any], *names: str) -> Any:
    """Return the first of ``names`` present in ``mapping``, comparing case-insensitively."""
    lowered = {key.lower(): value for key, value in mapping.items() if isinstance(key, str)}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def to_timestamp(value: Any) -> datetime | None:
    """Return an aware UTC datetime from Unix seconds (a JWT's ``exp``); None if out of range."""
    seconds = to_float(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def bounded_seconds(value: float | None, maximum: float, default: float) -> float:
    """A duration a device announced, within ``0 … maximum``; ``default`` when it is no number.

    A negative, NaN or far-future (infinite) expiry or ``Retry-After`` must neither
    stop a client for days nor make it hammer the device.
    """
    if value is None or math.isnan(value):
        return default
    return min(max(0.0, value), maximum)


#: Longest token or session id taken from a device: HTTP servers refuse header lines
#: longer than 8 KiB, and no JWT of these APIs comes near it.
MAX_TOKEN_LENGTH = 8000
#: Visible ASCII: what a bearer token, JWT or session id consists of (RFC 6750 b64token
#: and more). CR, LF and other control characters could split or forge headers.
_HEADER_TOKEN = re.compile(r"[\x21-\x7e]+")


def header_token(value: Any, what: str) -> str:
    """Return a token or session id the device sent, if it is safe to put in a header.

    Raises EvseResponseError otherwise, naming ``what`` but never the value (a secret).
    """
    if not isinstance(value, str) or not value:
        raise EvseResponseError(f"the device sent no {what}")
    if len(value) > MAX_TOKEN_LENGTH or not _HEADER_TOKEN.fullmatch(value):
        raise EvseResponseError(f"the device sent a {what} that is not header-safe text")
    return value


#: Keys under which the vendors' error objects carry their text.
_ERROR_KEYS = ("error", "errors", "message", "cause", "reason", "detail")


def error_text(payload: Any) -> str | None:
    """The error an answer carries (``{"code": 3, "message": "..."}``), else None.

    A 200 answer that holds only an error object is no success: command parsers
    check this before they read what the command did.
    """
    if not isinstance(payload, Mapping):
        return None
    for key in _ERROR_KEYS:
        value = get_ci(payload, key)
        if not value:
            continue
        if isinstance(value, Mapping):
            value = get_ci(value, "message", "text", "description")
        return (to_str(value) or key)[:200]
    return None


#: Keys an error object carries besides its text (status code, web-framework fields).
_ERROR_OBJECT_KEYS = frozenset({*_ERROR_KEYS, "code", "status", "statuscode", "timestamp", "path"})


def error_object_text(payload: Any) -> str | None:
    """The error of an answer that is only an error object (nothing else), else None.

    For answers whose success shape is open: ``{"message": "ok", "params": [...]}``
    is a success that happens to carry a message, ``{"error": "busy"}`` is not.
    """
    if not isinstance(payload, Mapping) or any(
        not isinstance(key, str) or key.lower() not in _ERROR_OBJECT_KEYS for key in payload
    ):
        return None
    return error_text(payload)
