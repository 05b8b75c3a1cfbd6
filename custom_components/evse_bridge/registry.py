"""Looking up an entry's devices in Home Assistant's device registry."""

from __future__ import annotations

from typing import Protocol

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr


class RegisteredDevice(Protocol):
    """What names a device registry entry (every Home Assistant's kinds of entry have it)."""

    @property
    def name_by_user(self) -> str | None:
        """The name the user gave the device."""

    @property
    def name(self) -> str | None:
        """The name the integration gave the device."""


def registry_name(device: RegisteredDevice) -> str:
    """A registered device as the user knows it: the name they gave it, else its own."""
    return device.name_by_user or device.name or ""


def entry_devices(hass: HomeAssistant, entry_id: str) -> dict[tuple[str, str], dr.DeviceEntry]:
    """The entry's registered devices by identifier (``Site.registry_identifier``)."""
    return {
        identifier: device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
        for identifier in device.identifiers
    }
