"""Validators of action fields: every value a user sends is bounded before it reaches a device.

The vendor documents give no lengths; the bounds follow OCPP, which these controllers
speak to their backends (an id token has at most 36 characters, an identifier string
the characters OCPP 2.0.1 allows), and leave room for every plausible value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
import json
import math
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.translation import async_get_cached_translations
from homeassistant.helpers.typing import VolSchemaType
import voluptuous as vol

from ..const import DOMAIN

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

    # What it is made of, for the bounds an error about the field states.
    validate.validators = [validator]  # type: ignore[attr-defined]
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


class NotFiniteInvalid(vol.Invalid):
    """A number that is infinite or not a number."""


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise NotFiniteInvalid("not a finite number")
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


# How a refused field reaches the user: voluptuous words it in English and in its own
# terms ("length of value must be at most 36 for dictionary value @ data['id_token']");
# the action's form names the field, and the bounds are the schema's own.


def _parts(validator: Any, *, items: bool = False) -> Iterator[Any]:
    """``validator`` and what it is made of (``vol.All``); with ``items``, its list's items'."""
    if isinstance(validator, list):
        for item in validator:
            yield from _parts(item)
        return
    if not items:
        yield validator
    for part in getattr(validator, "validators", []):
        yield from _parts(part, items=items)


def _bounds(
    validator: Any, kind: type[vol.Range] | type[vol.Length], *, items: bool
) -> tuple[Any, Any] | None:
    for part in _parts(validator, items=items):
        if isinstance(part, kind) and part.min is not None and part.max is not None:
            return part.min, part.max
    return None


def _at(data: Any, path: list[Any]) -> Any:
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _bound_text(bound: Any) -> str:
    """A bound as a form shows it: ``22`` rather than ``22.0``."""
    if isinstance(bound, float) and bound.is_integer():
        return str(int(bound))
    return str(bound)


def _problem(
    err: vol.Invalid, validator: Any, value: Any, path: list[Any]
) -> tuple[str, dict[str, str]]:
    """The translation key of what is wrong with a field, and the bounds it states."""
    if isinstance(err, vol.RequiredFieldInvalid):
        return "field_required", {}
    if validator is None:
        return "field_unknown", {}
    if isinstance(err, NotFiniteInvalid):
        return "field_not_finite", {}
    if isinstance(err, vol.MatchInvalid):
        return "field_pattern", {}
    kind = (
        vol.Range
        if isinstance(err, vol.RangeInvalid)
        else vol.Length
        if isinstance(err, vol.LengthInvalid)
        else None
    )
    # An error about a list's item states the item's bounds, not the list's.
    found = None if kind is None else _bounds(validator, kind, items=len(path) > 1)
    if found is None:
        return "field_invalid", {}
    bounds = {"min": _bound_text(found[0]), "max": _bound_text(found[1])}
    if kind is vol.Range:
        return "field_out_of_range", bounds
    return ("field_count" if isinstance(value, list) else "field_length"), bounds


def field_error(
    hass: HomeAssistant, action: str, schema: vol.Schema, data: Any, err: vol.Invalid
) -> ServiceValidationError:
    """A refused field as the user sees it: named as in the action's form, with its bounds."""
    first = err.errors[0] if isinstance(err, vol.MultipleInvalid) and err.errors else err
    field = str(first.path[0]) if first.path else ""
    validator = next(
        (value for marker, value in schema.schema.items() if str(marker) == field), None
    )
    key, bounds = _problem(first, validator, _at(data, first.path), first.path)
    # The form's names, in the language Home Assistant words its errors in; loaded when the
    # actions are registered (the key itself where a language is not loaded yet).
    names = async_get_cached_translations(hass, hass.config.language, "services", DOMAIN)
    prefix = f"component.{DOMAIN}.services.{action}"
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={
            "action": names.get(f"{prefix}.name", action),
            "field": names.get(f"{prefix}.fields.{field}.name", field),
            **bounds,
        },
    )


def translated_field_errors(hass: HomeAssistant, action: str, schema: vol.Schema) -> VolSchemaType:
    """``schema``, raising a translated ``ServiceValidationError`` for a refused field."""

    def validate(data: Any) -> Any:
        try:
            return schema(data)
        except vol.Invalid as err:
            raise field_error(hass, action, schema, data, err) from err

    # ``vol.All`` passes on what is not ``vol.Invalid``: Home Assistant gets the error as is.
    return vol.All(validate)
