"""The base entity and the generic way platforms add entities for a site's devices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .compat import ENABLED_ENTITIES_PER_ENTRY
from .const import DOMAIN, LOGGER
from .contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeSensorEntityDescription,
)
from .contract.overview import ChargePointProblemDescription, SiteSummarySensorDescription
from .contract.sessions import SessionEventDescription
from .contract.site import (
    DeviceData,
    Site,
)
from .coordinator import (
    EvseBridgeConfigEntry,
    EvseBridgeCoordinator,
)
from .registry import entry_devices, registry_name

#: What ``EvseBridgeEntity._available_data`` returns for an unavailable entity.
UNAVAILABLE: Final = object()


def entity_unique_id(site: Site, device_key: str, description: EvseBridgeEntityDescription) -> str:
    """The unique ID of ``device_key``'s entity that ``description`` describes."""
    return f"{site.device_identifier(device_key)}_{description.key}"


class EvseBridgeEntity(CoordinatorEntity[EvseBridgeCoordinator]):
    """An entity of one device of a site, described by a vendor description."""

    _attr_has_entity_name = True
    entity_description: EvseBridgeEntityDescription
    #: What the entity's state followed from at its last write (see ``_source``).
    _last_source: tuple[Any, ...] | None = None
    #: ``_source`` of the poll being written, computed already.
    _writing: tuple[Any, ...] | None = None

    def __init__(
        self,
        coordinator: EvseBridgeCoordinator,
        device_key: str,
        description: EvseBridgeEntityDescription,
    ) -> None:
        """Attach the entity to ``device_key``'s device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.device_key = device_key
        site = coordinator.site
        self._attr_unique_id = entity_unique_id(site, device_key, description)
        if self._attr_unique_id in coordinator.config_entry.runtime_data.added_disabled:
            self._attr_entity_registry_enabled_default = False
        self._attr_device_info = site.device_info(device_key)
        # Entities are made for devices the last poll reported.
        self._device = coordinator.data.devices[device_key]

    @property
    def available(self) -> bool:
        """Unavailable when polling fails, the device is gone, or its data rules it out now."""
        return self._available_data() is not UNAVAILABLE

    def _available_data(self) -> Any:
        """The device's data of the latest poll, or ``UNAVAILABLE`` where ``available`` is False.

        One look-up for what a poll's comparison reads (see ``_source``), which runs for
        every entity on every poll.
        """
        coordinator = self.coordinator
        # CoordinatorEntity's own availability.
        if not coordinator.last_update_success:
            return UNAVAILABLE
        device = coordinator.data.devices.get(self.device_key)
        if device is None:
            return UNAVAILABLE
        self._device = device
        data = device.data
        return data if self.entity_description.available_fn(data) else UNAVAILABLE

    def _source(self) -> tuple[Any, ...]:
        """Everything a poll can change of the entity's state: availability, value, attributes.

        Compared with what it was at the last write, so a poll writes only the entities
        whose state changed. Here availability alone, as for a button or an event, whose
        state otherwise changes only with a press or a fired event (which write it); a
        platform whose state follows the device data adds what it reads. Unit, device
        class and options come from the description and the entity registry, whose changes
        write the state themselves. Cheaper than the state Home Assistant works out (unit
        conversion, rounding, capability attributes), which the write runs anyway.
        """
        return (self._available_data() is not UNAVAILABLE,)

    @callback
    def _async_write_ha_state(self) -> None:
        """Write the state and remember what it showed (every write, whoever asked for it).

        Home Assistant's own hook: ``async_write_ha_state`` is final in newer releases.
        """
        self._last_source = self._source() if self._writing is None else self._writing
        super()._async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when the poll changed what the entity shows."""
        source = self._source()
        if source == self._last_source:
            return
        self._writing = source
        try:
            self.async_write_ha_state()
        finally:
            self._writing = None

    @property
    def device_name(self) -> str:
        """The entity's device as the user knows it, for messages."""
        if self.device_entry is None:
            return self.device.identity.name
        return registry_name(self.device_entry)

    @property
    def shown_name(self) -> str:
        """The entity's own name as the UI shows it ("Restart"), for messages."""
        name = self.name
        return name if isinstance(name, str) else self.device_name

    @property
    def device(self) -> DeviceData:
        """The device's latest data; while polls miss it (unavailable), the last one seen.

        Home Assistant reads static attributes (a number's range, a device class) of an
        unavailable entity too.
        """
        device = self.coordinator.data.devices.get(self.device_key)
        if device is not None:
            self._device = device
        return self._device

    @property
    def data(self) -> Any:
        """The vendor's parsed state of the device."""
        return self.device.data


def async_add_device_entities[D: EvseBridgeEntityDescription](
    entry: EvseBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    description_class: type[D],
    entity_factory: Callable[[EvseBridgeCoordinator, str, D], EvseBridgeEntity],
) -> None:
    """Add the platform's entities for every device now, and for devices that appear later."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    site = coordinator.site
    descriptions = [
        description
        for description in runtime.vendor.descriptions
        if isinstance(description, description_class)
    ]
    known: set[str] = set()

    def add_new_devices() -> None:
        if not coordinator.last_update_success:
            return
        devices = coordinator.data.devices
        # The usual poll, with the devices of the last one: set operations, no loop over
        # every device of a large site once per platform.
        if len(known) == len(devices) and known.issuperset(devices):
            return
        # A device removed as stale that comes back gets its entities again; one only
        # missing from a poll or two kept its entities (unavailable meanwhile).
        missing = known.difference(devices)
        if missing:
            registered = entry_devices(coordinator.hass, entry.entry_id)
            known.difference_update(
                key for key in missing if site.registry_identifier(key) not in registered
            )
        entities = [
            entity_factory(coordinator, key, description)
            for key, device in devices.items()
            if key not in known
            for description in descriptions
            if description.device_kind == device.kind and description.exists_fn(device.data)
        ]
        known.update(devices)
        if entities:
            async_add_entities(entities)

    add_new_devices()
    entry.async_on_unload(coordinator.async_add_listener(add_new_devices))


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


def _enabled_by_default(
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
        for planned in _enabled_by_default(site, descriptions, devices)
        if planned[1] not in known
    )
    if len(new) <= room:
        return frozenset()
    return frozenset(unique_id for _, unique_id in new[max(room, 0) :])


@callback
def async_check_entity_limit(hass: HomeAssistant, entry: EvseBridgeConfigEntry) -> None:
    """Tell the user while entities are disabled or missing for Home Assistant's limit.

    Those are the enabled-by-default entities of the entry's devices that the integration
    added disabled or Home Assistant did not add; one the user disabled does not count.
    """
    limit = ENABLED_ENTITIES_PER_ENTRY
    if limit is None:
        return
    issue_id = f"too_many_entities_{entry.entry_id}"
    runtime = entry.runtime_data
    registered = {
        registry_entry.unique_id: registry_entry
        for registry_entry in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }
    enabled = sum(registry_entry.disabled_by is None for registry_entry in registered.values())
    held_back = 0
    for _, unique_id in _enabled_by_default(
        runtime.site, runtime.vendor.descriptions, runtime.coordinator.data.devices
    ):
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
        entry.title,
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
            "name": entry.title,
            "entities": str(enabled + held_back),
            "limit": str(limit),
            "missing": str(held_back),
        },
    )
