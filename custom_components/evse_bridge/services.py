"""Actions the vendors offer, registered once for all entries.

An action targets a device (``device_id``) or a whole config entry
(``config_entry_id``); the entry's vendor must offer it, else a translated
validation error says so.

Who may call an action is decided before anything reaches a device: an admin-only
action (``Permission.ADMIN``, and ``get_sessions``) refuses every user but an
administrator, an operational one (``Permission.CONTROL``) every user who may not
control the target's entities (``targets.async_check_control``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Final

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

from .compat import async_register_admin_service
from .const import DOMAIN
from .contract.errors import (
    async_action_name,
    translate_client_errors,
)
from .contract.fields import translated_field_errors
from .contract.vendor import (
    EntryContext,
    Permission,
    Vendor,
    VendorService,
)
from .sessions.action import (
    ATTR_TAG,
    GET_SESSIONS_FIELDS,
    SERVICE_GET_SESSIONS,
    async_get_sessions,
)
from .targets import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID, async_check_control, resolve_target
from .vendors import VENDORS
from .writes import (
    WriteOutcome,
)

#: A registry ID (device: 32 hex digits; config entry: a ULID or, if older, hex digits).
REGISTRY_ID: Final = vol.All(cv.string, vol.Length(min=1, max=64), vol.Match(r"^[0-9A-Za-z_-]+$"))

#: The target fields every action has.
TARGET_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Exclusive(ATTR_DEVICE_ID, "target"): REGISTRY_ID,
    vol.Exclusive(ATTR_CONFIG_ENTRY_ID, "target"): REGISTRY_ID,
}

#: ``get_sessions``'s fields, its tag bounded: a raw UID or a pseudonym is far shorter.
SESSIONS_FIELDS: Final[dict[vol.Marker, Any]] = {
    **GET_SESSIONS_FIELDS,
    vol.Optional(ATTR_TAG): vol.All(cv.string, vol.Length(min=1, max=64)),
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action any vendor offers, and ``get_sessions`` for every entry."""
    # 13 months of per-card billing data: an export, for administrators only.
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_GET_SESSIONS,
        _async_get_sessions,
        translated_field_errors(
            hass, SERVICE_GET_SESSIONS, vol.Schema({**TARGET_FIELDS, **SESSIONS_FIELDS})
        ),
        SupportsResponse.ONLY,
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
        permission = first.permission
        if any(service.permission != permission for _, service in vendor_services):
            raise ValueError(f"vendors offer action {name} with different permissions")
        schema = translated_field_errors(hass, name, vol.Schema({**TARGET_FIELDS, **first.fields}))
        handler: Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]] = partial(
            _async_handle,
            {vendor.key: service for vendor, service in vendor_services},
            permission,
        )
        if permission is Permission.ADMIN:
            async_register_admin_service(
                hass, DOMAIN, name, handler, schema, first.supports_response
            )
        else:
            hass.services.async_register(
                DOMAIN, name, handler, schema=schema, supports_response=first.supports_response
            )


async def _async_handle(
    services_by_vendor: dict[str, VendorService], permission: Permission, call: ServiceCall
) -> ServiceResponse:
    entry, device, target = resolve_target(call)
    if permission is Permission.CONTROL:
        # Only registry look-ups so far: a refused call reaches no device.
        await async_check_control(call, entry)
    runtime = entry.runtime_data
    context = EntryContext(
        entry=entry,
        site=runtime.site,
        devices=runtime.coordinator.data.devices,
        display_tag=runtime.sessions.display_tag,
    )
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
    action = await async_action_name(call.hass, call.service)
    with translate_client_errors(call.hass, entry, target, command=action):
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
