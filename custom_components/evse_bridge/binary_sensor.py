"""Binary sensors of EVSE Bridge devices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .budget.entities import async_setup_budget_platform
from .contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
)
from .coordinator import (
    EvseBridgeConfigEntry,
)
from .entity import (
    UNAVAILABLE,
    EvseBridgeEntity,
    async_add_device_entities,
)

# The coordinator does all polling.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvseBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors the entry's vendor describes."""
    if async_setup_budget_platform(entry, async_add_entities, Platform.BINARY_SENSOR):
        return
    async_add_device_entities(
        entry,
        async_add_entities,
        EvseBridgeBinarySensorEntityDescription,
        EvseBridgeBinarySensor,
    )


class EvseBridgeBinarySensor(EvseBridgeEntity, BinarySensorEntity):
    """An on/off state a device reports."""

    entity_description: EvseBridgeBinarySensorEntityDescription

    @property
    def is_on(self) -> bool | None:
        """The described state, None when the device does not say; a poll's write: what it read."""
        writing = self._writing
        on: bool | None = (
            writing[1]
            if writing is not None and writing[0]
            else self.entity_description.is_on_fn(self.data)
        )
        return on

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Extra attributes, for the few binary sensors that have them."""
        writing = self._writing
        return writing[2] if writing is not None and writing[0] else self._attributes(self.data)

    def _source(self) -> tuple[Any, ...]:
        """Availability, state and attributes: the rest of the state is the description's."""
        data = self._available_data()
        if data is UNAVAILABLE:
            return (False,)
        return (True, self.entity_description.is_on_fn(data), self._attributes(data))
