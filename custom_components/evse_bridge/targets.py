"""What an action acts on: a device (``device_id``) or a config entry (``config_entry_id``)."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import ServiceCall
from homeassistant.exceptions import ServiceValidationError

from .compat import config_entry_ids, get_device
from .const import DOMAIN
from .contract.site import DeviceData
from .coordinator import EvseBridgeConfigEntry
from .registry import registry_name

ATTR_DEVICE_ID = "device_id"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"


def resolve_target(
    call: ServiceCall,
) -> tuple[EvseBridgeConfigEntry, DeviceData | None, str]:
    """The loaded entry, the device the action is for (None for an entry) and its name.

    The name is the target as the user knows it: the device's, else the entry's title.
    """
    hass = call.hass
    device_id: str | None = call.data.get(ATTR_DEVICE_ID)
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if device_id is None and entry_id is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_target")
    identifiers: set[tuple[str, str]] = set()
    candidate_entries: set[str]
    name = ""
    if device_id is not None:
        device_entry = get_device(hass, device_id)
        if device_entry is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="unknown_device"
            )
        identifiers = device_entry.identifiers
        name = registry_name(device_entry)
        candidate_entries = config_entry_ids(device_entry)
    else:
        candidate_entries = {entry_id} if entry_id else set()
    for candidate in candidate_entries:
        entry: EvseBridgeConfigEntry | None = hass.config_entries.async_get_entry(candidate)
        if entry is None or entry.domain != DOMAIN:
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"entry": entry.title},
            )
        if device_id is None:
            return entry, None, entry.title
        runtime = entry.runtime_data
        for key, device in runtime.coordinator.data.devices.items():
            if runtime.site.registry_identifier(key) in identifiers:
                return entry, device, name
    raise ServiceValidationError(translation_domain=DOMAIN, translation_key="unknown_device")
