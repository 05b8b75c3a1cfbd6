"""Diagnostics: the entry, the devices' parsed data and every raw payload, secrets redacted.

Raw payloads are whatever a device sends, and a firmware may add a key any day: a key is
redacted by what its name says (any word of it a credential or an RFID tag), not only
when it is one of the keys known today.
"""

from __future__ import annotations

from collections.abc import Collection
import dataclasses
import re
from typing import Any, Final

from homeassistant.components.diagnostics import REDACTED
from homeassistant.const import CONF_USERNAME
from homeassistant.core import HomeAssistant

from .budget.entities import budget_diagnostics, is_budget_entry
from .coordinator import (
    EvseBridgeConfigEntry,
)

#: Redacted wherever they appear, whatever the vendor: personal data.
ALWAYS_REDACT: Final = frozenset({CONF_USERNAME, "session", "sessionId"})

#: A key with one of these words (snake_case, camelCase or run together with "id") is
#: a credential or an RFID tag: ``password``, ``OcppServerPassword_ocpp``, ``auth_uid``,
#: ``idToken``, ``authorizationToken``, ``id_tag``, ``idtag``, ``refresh_token``.
SENSITIVE_WORDS: Final = frozenset(
    {
        "authorization",
        "idtag",
        "idtoken",
        "passwd",
        "password",
        "pin",
        "pwd",
        "secret",
        "tag",
        "token",
        "uid",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def is_sensitive(key: str) -> bool:
    """Whether the words of ``key`` name a credential or an RFID tag."""
    return any(word.lower() in SENSITIVE_WORDS for word in _WORD.findall(key))


def _hides(key: Any, value: Any, exact: Collection[str]) -> bool:
    # An empty value has nothing to hide (as in core's ``async_redact_data``); a key named
    # exactly (``address``) hides its whole value.
    if not isinstance(key, str) or value is None or value == "":
        return False
    if key in exact or key in ALWAYS_REDACT:
        return True
    # Numbers and flags are counts and states (``token_exchanges``), never a secret; an
    # object's own keys say what of it is secret (``token_exchange.validUntil`` is not).
    if isinstance(value, bool | int | float | dict):
        return False
    return is_sensitive(key)


def redact(value: Any, exact: Collection[str] = ()) -> Any:
    """``value`` with every sensitive key's value replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _hides(key, item, exact) else redact(item, exact)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item, exact) for item in value]
    return value


def _plain(value: Any) -> Any:
    """Dataclasses (parsed device data) as dictionaries, for JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EvseBridgeConfigEntry
) -> dict[str, Any]:
    """Everything a bug report needs to correct a vendor assumption."""
    if is_budget_entry(entry):
        return budget_diagnostics(entry)
    runtime = entry.runtime_data
    to_redact = set(runtime.vendor.secret_fields) | runtime.vendor.redact
    coordinator = runtime.coordinator
    return {
        "entry": {
            "title": entry.title,
            "vendor": runtime.vendor.key,
            "data": redact(dict(entry.data), to_redact),
            "options": redact(dict(entry.options), to_redact),
        },
        "last_update_success": coordinator.last_update_success,
        "devices": {
            key: redact(
                {
                    "kind": device.kind,
                    "identity": _plain(device.identity),
                    "data": _plain(device.data),
                },
                to_redact,
            )
            for key, device in coordinator.data.devices.items()
        },
        "raw_payloads": redact(runtime.site.diagnostics(), to_redact),
        "writes": runtime.writes.diagnostics(),
    }
