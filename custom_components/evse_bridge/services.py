"""Actions the vendors offer, registered once for all entries.

An action targets a device (``device_id``) or a whole config entry
(``config_entry_id``); the entry's vendor must offer it, else a translated
validation error says so.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .const import DOMAIN
from .contract.errors import (
    translate_client_errors,
)
from .contract.vendor import (
    EntryContext,
    Vendor,
    VendorService,
)
from .sessions.action import GET_SESSIONS_FIELDS, SERVICE_GET_SESSIONS, async_get_sessions
from .targets import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID, resolve_target
from .vendors import VENDORS
from .writes import (
    WriteOutcome,
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action any vendor offers, and ``get_sessions`` for every entry."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_SESSIONS,
        _async_get_sessions,
        schema=vol.Schema(
            {
                vol.Exclusive(ATTR_DEVICE_ID, "target"): cv.string,
                vol.Exclusive(ATTR_CONFIG_ENTRY_ID, "target"): cv.string,
                **GET_SESSIONS_FIELDS,
            }
        ),
        supports_response=SupportsResponse.ONLY,
    )
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
    entry, device, target = resolve_target(call)
    runtime = entry.runtime_data
    context = EntryContext(entry=entry, site=runtime.site, devices=runtime.coordinator.data.devices)
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
    with translate_client_errors(call.hass, entry, target):
        if write is None:
            response = await service.handler(call.hass, call, context, device)
        else:
            handler = service.handler

            async def send() -> None:
                await handler(call.hass, call, context, device)

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


async def _async_get_sessions(call: ServiceCall) -> ServiceResponse:
    entry, device, _ = resolve_target(call)
    return await async_get_sessions(
        entry.runtime_data.sessions, None if device is None else device.key, call.data
    )
