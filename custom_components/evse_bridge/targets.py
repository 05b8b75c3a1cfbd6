"""What an action acts on: a device (``device_id``) or a config entry (``config_entry_id``)."""

from __future__ import annotations

from homeassistant.auth.permissions.const import CAT_ENTITIES, POLICY_CONTROL
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import ServiceCall
from homeassistant.exceptions import ServiceValidationError, Unauthorized, UnknownUser
from homeassistant.helpers import entity_registry as er

from .budget.entities import is_budget_entry
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
        if entry is None or entry.domain != DOMAIN or is_budget_entry(entry):
            # A site power budget has no chargers of its own to act on.
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


async def async_check_control(call: ServiceCall, entry: EvseBridgeConfigEntry) -> None:
    """Refuse a user who may not control every entity of the action's target.

    Core's entity actions require control of every entity a call references; an action
    here acts on a device (or on all of an entry's devices), so it requires control of
    every entity of that device (of the entry), and at least one: a non-admin is never
    allowed to act on something no permission can be granted for. Administrators and
    calls without a user (automations, scripts) are allowed, as in core.
    """
    if not call.context.user_id:
        return
    user = await call.hass.auth.async_get_user(call.context.user_id)
    if user is None:
        raise UnknownUser(context=call.context, permission=POLICY_CONTROL)
    if user.is_admin:
        return
    registry = er.async_get(call.hass)
    device_id: str | None = call.data.get(ATTR_DEVICE_ID)
    entities = (
        er.async_entries_for_config_entry(registry, entry.entry_id)
        if device_id is None
        else er.async_entries_for_device(registry, device_id, include_disabled_entities=True)
    )
    if not entities:
        raise Unauthorized(
            context=call.context, permission=POLICY_CONTROL, perm_category=CAT_ENTITIES
        )
    for entity in entities:
        if not user.permissions.check_entity(entity.entity_id, POLICY_CONTROL):
            raise Unauthorized(
                context=call.context, entity_id=entity.entity_id, permission=POLICY_CONTROL
            )
