"""Actions the vendors offer, registered once for all entries.

An action targets a device (``device_id``) or a whole config entry
(``config_entry_id``); the entry's vendor must offer it, else a translated
validation error says so.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .compat import config_entry_ids, get_device
from .const import DOMAIN
from .entity import registry_name, translate_client_errors
from .runtime import EvseBridgeConfigEntry
from .site import DeviceData
from .vendors import VENDORS
from .vendors.base import Vendor, VendorService
from .writes import WriteOutcome

ATTR_DEVICE_ID = "device_id"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action any vendor offers."""
    offers: dict[str, list[tuple[Vendor, VendorService]]] = defaultdict(list)
    for vendor in VENDORS.values():
        for service in vendor.services:
            offers[service.name].append((vendor, service))
    for name, vendor_services in offers.items():
        first = vendor_services[0][1]
        # One action, one schema: vendors sharing an action name must agree on its fields.
        if any(service.fields != first.fields for _, service in vendor_services):
            raise ValueError(f"vendors offer action {name} with different fields")
        schema = vol.Schema(
            {
                vol.Exclusive(ATTR_DEVICE_ID, "target"): cv.string,
                vol.Exclusive(ATTR_CONFIG_ENTRY_ID, "target"): cv.string,
                **first.fields,
            }
        )
        hass.services.async_register(
            DOMAIN,
            name,
            partial(_async_handle, {vendor.key: service for vendor, service in vendor_services}),
            schema=schema,
            supports_response=first.supports_response,
        )


async def _async_handle(
    services_by_vendor: dict[str, VendorService], call: ServiceCall
) -> ServiceResponse:
    entry, device, target = _resolve_target(call)
    runtime = entry.runtime_data
    service = services_by_vendor.get(runtime.vendor.key)
    if service is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="action_not_supported",
            translation_placeholders={"action": call.service, "target": target},
        )
    if service.device_kinds and (device is None or device.kind not in service.device_kinds):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="wrong_target",
            translation_placeholders={"action": call.service, "target": target},
        )
    write = None if service.write_target is None else service.write_target(call, device)
    with translate_client_errors(entry, target):
        if write is None:
            response = await service.handler(call.hass, call, runtime, device)
        else:
            handler = service.handler

            async def send() -> None:
                await handler(call.hass, call, runtime, device)

            response = None
            outcome = await runtime.writes.async_write(
                write.key, write.value, send, current=write.current
            )
            if outcome is not WriteOutcome.SENT:
                return None
    # Show what the action changed at once: actions are rare, and a debounced refresh
    # would show the state before a second action that follows within seconds.
    await runtime.coordinator.async_refresh()
    return response


def _resolve_target(
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
            if (DOMAIN, runtime.site.device_identifier(key)) in identifiers:
                return entry, device, name
    raise ServiceValidationError(translation_domain=DOMAIN, translation_key="unknown_device")
