"""Diagnostics: the entry, the devices' parsed data and every raw payload, secrets redacted."""

from __future__ import annotations

import dataclasses
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .coordinator import (
    EvseBridgeConfigEntry,
)

# Redacted wherever they appear, whatever the vendor: credentials and personal data.
ALWAYS_REDACT = frozenset({CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME, "session", "sessionId"})


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
    runtime = entry.runtime_data
    to_redact = ALWAYS_REDACT | set(runtime.vendor.secret_fields) | runtime.vendor.redact
    coordinator = runtime.coordinator
    return {
        "entry": {
            "title": entry.title,
            "vendor": runtime.vendor.key,
            "data": async_redact_data(dict(entry.data), to_redact),
            "options": async_redact_data(dict(entry.options), to_redact),
        },
        "last_update_success": coordinator.last_update_success,
        "devices": {
            key: async_redact_data(
                {
                    "kind": device.kind,
                    "identity": _plain(device.identity),
                    "data": _plain(device.data),
                },
                to_redact,
            )
            for key, device in coordinator.data.devices.items()
        },
        "raw_payloads": async_redact_data(runtime.site.diagnostics(), to_redact),
        "writes": runtime.writes.diagnostics(),
    }
