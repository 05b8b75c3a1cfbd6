"""Tolerant parsing helpers shared by the vendor clients.

Vendor documents leave field names and formats open, so a value that does not
parse becomes ``None`` (entity state unknown) instead of an exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
import logging
import math
from typing import Any

_LOGGER = logging.getLogger(__package__)
_REPORTED: set[tuple[str, str]] = set()


def report_once(kind: str, value: str, message: str, *args: object) -> None:
    """Log an unexpected value once per process, not once per poll."""
    if (kind, value) in _REPORTED:
        return
    _REPORTED.add((kind, value))
    _LOGGER.warning(message, *args)


def to_float(value: Any) -> float | None:
    """Return a float from a number or a string like ``"+25.30"``, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def to_int(value: Any) -> int | None:
    """Return an int from a number or numeric string, else None."""
    number = to_float(value)
    if number is None or not math.isfinite(number):
        return None
    return int(number)


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
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None


def to_enum[E: StrEnum](enum: type[E], value: Any) -> E | None:
    """Map a value case-insensitively onto an enum; unknown values give None, logged once."""
    text = to_str(value)
    if text is None:
        return None
    try:
        return enum(text.lower())
    except ValueError:
        report_once(
            enum.__name__,
            text,
            "Unknown %s value %r; it is shown as unknown",
            enum.__name__,
            text,
        )
        return None


def get_ci(mapping: Mapping[str, Any], *names: str) -> Any:
    """Return the first of ``names`` present in ``mapping``, comparing case-insensitively."""
    lowered = {key.lower(): value for key, value in mapping.items() if isinstance(key, str)}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None
