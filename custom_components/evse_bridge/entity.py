"""The base entity and the generic way platforms add entities for a site's devices."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from homeassistant.core import callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .contract.descriptions import (
    EvseBridgeEntityDescription,
)
from .contract.site import (
    DeviceData,
)
from .coordinator import (
    EvseBridgeConfigEntry,
    EvseBridgeCoordinator,
)
from .entity_limit import entity_unique_id
from .registry import entry_devices, registry_name

#: What ``EvseBridgeEntity._available_data`` returns for an unavailable entity.
UNAVAILABLE: Final = object()


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
        if self._attr_unique_id in coordinator.added_disabled:
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

    def _attributes(self, data: Any) -> Mapping[str, Any] | None:
        """The attributes the description reads from the device data, if it reads any."""
        attributes_fn = getattr(self.entity_description, "attributes_fn", None)
        return None if attributes_fn is None else attributes_fn(data)

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
