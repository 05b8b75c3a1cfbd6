"""Diagnostics: the entry, the devices' parsed data and every raw payload, by allow-list.

Each vendor names the keys of each payload whose values may be shown (its
``Vendor.diagnostics``); every other value is shown as ``**REDACTED**`` with its key kept,
so a maintainer sees the payload's shape and what the firmware sent beyond the known keys,
never a value nobody vetted. The entry's secrets are hidden wherever their values appear.
"""

from __future__ import annotations

from collections.abc import Collection
import dataclasses
from typing import Any, Final

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant

from .budget.entities import budget_diagnostics, is_budget_entry
from .const import CONF_VENDOR
from .contract.diagnostics import NOTHING_SHOWN, Shown
from .coordinator import EvseBridgeConfigEntry

#: Every vendor's entry: which vendor it is.
ENTRY_DATA: Final = Shown(CONF_VENDOR)
#: A device's registry identity; the serial number identifies a unit, and is not needed
#: to tell what a firmware sends.
IDENTITY: Final = Shown(
    "name",
    "manufacturer",
    "model",
    "sw_version",
    "hw_version",
    "configuration_url",
    "via_key",
    "translation_key",
    "translation_placeholders",
    "suggested_area",
)


def _plain(value: Any) -> Any:
    """Dataclasses (parsed device data) as dictionaries and sets as sorted lists, for JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)
    return value


def _without(value: Any, secrets: Collection[str]) -> Any:
    """``value`` with every string that holds one of the entry's secrets hidden.

    A second line of defence: a vendor's path may show a field that a firmware (or an
    echo of a request) fills with the password or the token.
    """
    if isinstance(value, dict):
        return {key: _without(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_without(item, secrets) for item in value]
    if isinstance(value, str) and any(secret in value for secret in secrets):
        return REDACTED
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EvseBridgeConfigEntry
) -> dict[str, Any]:
    """Everything a bug report needs to correct a vendor assumption, and nothing personal."""
    if is_budget_entry(entry):
        return budget_diagnostics(entry)
    runtime = entry.runtime_data
    vendor = runtime.vendor
    shown = vendor.diagnostics
    secret_keys = {*vendor.secret_fields, *shown.entry_credentials}
    # A secret is hidden by its key in the entry and by its value everywhere else; short
    # values (a PIN) would hide readings that happen to contain them.
    secrets = [
        value
        for key, value in entry.data.items()
        if key in secret_keys and isinstance(value, str) and len(value) >= 4
    ]
    entry_data = {key: value for key, value in entry.data.items() if key not in secret_keys}
    coordinator = runtime.coordinator
    diagnostics = {
        "entry": {
            "title": entry.title,
            "vendor": vendor.key,
            "data": {
                **(ENTRY_DATA | shown.entry_data).apply(entry_data),
                **dict.fromkeys(secret_keys & set(entry.data), REDACTED),
            },
            # The options form is the integration's own: intervals, delays, a switch.
            "options": dict(entry.options),
        },
        "last_update_success": coordinator.last_update_success,
        "devices": {
            key: {
                "kind": device.kind,
                "identity": IDENTITY.apply(_plain(device.identity)),
                "data": shown.devices.get(device.kind, NOTHING_SHOWN).apply(_plain(device.data)),
            }
            for key, device in coordinator.data.devices.items()
        },
        "raw_payloads": shown.raw_payloads.apply(runtime.site.diagnostics()),
        "writes": runtime.writes.diagnostics(),
    }
    return _without(diagnostics, secrets)  # type: ignore[no-any-return]
