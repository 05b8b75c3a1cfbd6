"""Validators of action fields: every value a user sends is bounded before it reaches a device.

The vendor documents give no lengths; the bounds follow OCPP, which these controllers
speak to their backends (an id token has at most 36 characters, an identifier string
the characters OCPP 2.0.1 allows), and leave room for every plausible value.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import json
import math
from typing import Any, Final

from homeassistant.helpers import config_validation as cv
import voluptuous as vol

#: Longest id token (RFID UID, EVCCID, app user token): OCPP 2.0.1 ``idToken``.
TOKEN_MAX: Final = 36
#: Longest transaction id: OCPP 2.0.1 ``transactionId``.
TRANSACTION_ID_MAX: Final = 36
#: Longest name a person gives (a whitelist entry, a paired tag): the v1 document's user name.
NAME_MAX: Final = 255
#: Longest free text sent along a command (a reason, a comment, a condition).
TEXT_MAX: Final = 255
#: Largest integer the documents' counters and ids take (a signed 32-bit integer).
INT32_MAX: Final = 2_147_483_647

#: An id token: printable ASCII without spaces, as cards, EVCCIDs and app tokens are.
_TOKEN_PATTERN: Final = r"^[!-~]+$"
#: OCPP 2.0.1 ``identifierString``, and not only dots (``.``/``..`` are path segments).
_IDENTIFIER_PATTERN: Final = r"^(?!\.+$)[A-Za-z0-9*_=:+|@.-]+$"


def blank_as_none[T](validator: Callable[[Any], T]) -> Callable[[Any], T | None]:
    """``validator``, but a blank text is no value (a form's emptied text field)."""

    def validate(value: Any) -> T | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return validator(value)

    return validate


def bounded_text(maximum: int) -> Callable[[Any], str]:
    """A non-empty text of at most ``maximum`` characters, stripped."""
    return vol.All(cv.string, vol.Strip, vol.Length(min=1, max=maximum))


def token(maximum: int = TOKEN_MAX) -> Callable[[Any], str]:
    """An id token: printable ASCII without spaces, at most ``maximum`` characters."""
    return vol.All(
        cv.string,
        vol.Strip,
        vol.Length(min=1, max=maximum),
        vol.Match(_TOKEN_PATTERN, msg="not an id token"),
    )


def identifier(maximum: int = TRANSACTION_ID_MAX) -> Callable[[Any], str]:
    """An OCPP identifier string (a transaction id) of at most ``maximum`` characters."""
    return vol.All(
        cv.string,
        vol.Strip,
        vol.Length(min=1, max=maximum),
        vol.Match(_IDENTIFIER_PATTERN, msg="not an identifier"),
    )


def bounded_object(maximum: int) -> Callable[[Any], dict[str, Any]]:
    """A JSON object of at most ``maximum`` characters, with finite numbers only."""

    def validate(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise vol.Invalid("expected an object")
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise vol.Invalid("not a JSON object of finite numbers") from err
        if len(text) > maximum:
            raise vol.Invalid(f"longer than {maximum} characters")
        return value

    return validate


def duration(minimum: timedelta, maximum: timedelta) -> Callable[[Any], timedelta]:
    """A period in ``[minimum, maximum]``; one too long to represent is refused too."""

    def validate(value: Any) -> timedelta:
        try:
            period: timedelta = cv.positive_time_period(value)
        except OverflowError as err:
            raise vol.Invalid("duration too long") from err
        return period

    return vol.All(validate, vol.Range(min=minimum, max=maximum))


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise vol.Invalid("not a finite number")
    return value


def finite_number(minimum: float, maximum: float) -> Callable[[Any], float]:
    """A finite number (no inf, no nan) in ``[minimum, maximum]``."""
    return vol.All(vol.Coerce(float), _finite, vol.Range(min=minimum, max=maximum))


def integer(minimum: int, maximum: int) -> Callable[[Any], int]:
    """An integer in ``[minimum, maximum]``; a number with a fraction is refused."""
    return vol.All(_whole, vol.Range(min=minimum, max=maximum))


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise vol.Invalid("not an integer")
    if isinstance(value, int):
        return value
    number = _finite(vol.Coerce(float)(value))
    if not number.is_integer():
        raise vol.Invalid("not an integer")
    return int(number)
