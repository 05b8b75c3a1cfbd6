"""Home Assistant's limit of enabled entities per config entry: which entities start disabled.

Newer releases add no new enabled entity of an entry that has as many as the limit (only
a log line asks to report it), so a large site would miss whole platforms. An entry past
it adds the least needed of its new entities disabled instead; the user can enable any.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir

from .compat import ENABLED_ENTITIES_PER_ENTRY
from .const import DOMAIN, LOGGER
from .contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from .contract.overview import ChargePointProblemDescription, SiteSummarySensorDescription
from .contract.sessions import SessionEventDescription
from .contract.site import DeviceData, Site


def entity_unique_id(site: Site, device_key: str, description: EvseBridgeEntityDescription) -> str:
    """The unique ID of ``device_key``'s entity that ``description`` describes."""
    return f"{site.device_identifier(device_key)}_{description.key}"


def limit_priority(description: EvseBridgeEntityDescription) -> int:
    """Which entities keep their place first when an entry has more than Home Assistant adds.

    The alerts, the site overview and the sessions (automations bill from the session
    events) first, then power and energy (the Energy dashboard), then the other readings,
    then the controls (0 first).
    """
    if isinstance(
        description,
        ChargePointProblemDescription | SiteSummarySensorDescription | SessionEventDescription,
    ):
        return 0
    if isinstance(description, EvseBridgeSensorEntityDescription):
        power_or_energy = description.device_class in (
            SensorDeviceClass.POWER,
            SensorDeviceClass.ENERGY,
        )
        return 1 if power_or_energy else 2
    if isinstance(description, EvseBridgeBinarySensorEntityDescription):
        return 2
    return 3


def enabled_by_default(
    site: Site,
    descriptions: Iterable[EvseBridgeEntityDescription],
    devices: Mapping[str, DeviceData],
) -> list[tuple[tuple[int, int, int], str]]:
    """(rank, unique ID) per enabled-by-default entity of ``devices``, best kept first.

    The rank: ``limit_priority``, then descriptions of fewer devices (a station's totals
    before its connectors' detail), then the vendor's order; a description's entities
    follow each other.
    """
    by_kind: dict[str, list[tuple[int, EvseBridgeEntityDescription]]] = {}
    for place, description in enumerate(descriptions):
        if description.entity_registry_enabled_default:
            by_kind.setdefault(description.device_kind, []).append((place, description))
    planned = [
        (place, description, entity_unique_id(site, key, description))
        for key, device in devices.items()
        for place, description in by_kind.get(device.kind, ())
        if description.exists_fn(device.data)
    ]
    entities_of = Counter(place for place, _, _ in planned)
    return [
        ((limit_priority(description), entities_of[place], place), unique_id)
        for place, description, unique_id in planned
    ]


@callback
def entities_added_disabled(
    hass: HomeAssistant,
    entry_id: str,
    site: Site,
    descriptions: Iterable[EvseBridgeEntityDescription],
    devices: Mapping[str, DeviceData],
) -> frozenset[str]:
    """The new entities to add disabled, so that the entry stays within Home Assistant's limit.

    Past the limit Home Assistant adds no new enabled entity of the entry (a log line asks
    to report it): whole platforms of a large site would be missing. The lowest in
    ``limit_priority`` are added disabled instead, a whole description's entities before
    the next one's; the user can enable any of them.
    """
    limit = ENABLED_ENTITIES_PER_ENTRY
    if limit is None:
        return frozenset()
    registered = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    known = {registry_entry.unique_id for registry_entry in registered}
    room = limit - sum(registry_entry.disabled_by is None for registry_entry in registered)
    new = sorted(
        planned
        for planned in enabled_by_default(site, descriptions, devices)
        if planned[1] not in known
    )
    if len(new) <= room:
        return frozenset()
    return frozenset(unique_id for _, unique_id in new[max(room, 0) :])


@callback
def async_check_entity_limit(
    hass: HomeAssistant,
    entry_id: str,
    title: str,
    site: Site,
    descriptions: Iterable[EvseBridgeEntityDescription],
    devices: Mapping[str, DeviceData],
) -> None:
    """Tell the user while entities are disabled or missing for Home Assistant's limit.

    Those are the enabled-by-default entities of the entry's devices that the integration
    added disabled or Home Assistant did not add; one the user disabled does not count.
    """
    limit = ENABLED_ENTITIES_PER_ENTRY
    if limit is None:
        return
    issue_id = f"too_many_entities_{entry_id}"
    registered = {
        registry_entry.unique_id: registry_entry
        for registry_entry in er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    }
    enabled = sum(registry_entry.disabled_by is None for registry_entry in registered.values())
    held_back = 0
    for _, unique_id in enabled_by_default(site, descriptions, devices):
        registry_entry = registered.get(unique_id)
        if (
            registry_entry is None
            or registry_entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        ):
            held_back += 1
    if not held_back:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    LOGGER.warning(
        "%s would have %d enabled entities, more than the %d Home Assistant adds for one "
        "entry: %d are disabled or missing",
        title,
        enabled + held_back,
        limit,
        held_back,
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="too_many_entities",
        translation_placeholders={
            "name": title,
            "entities": str(enabled + held_back),
            "limit": str(limit),
            "missing": str(held_back),
        },
    )
