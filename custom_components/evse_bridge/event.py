"""Event entities of EVSE Bridge devices (an RFID tag scanned while pairing)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .contract.descriptions import (
    EvseBridgeEventEntityDescription,
)
from .contract.events import event_signal
from .coordinator import (
    EvseBridgeConfigEntry,
)
from .entity import (
    EvseBridgeEntity,
    async_add_device_entities,
)

# Events are pushed by the integration itself.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvseBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities the entry's vendor describes."""
    async_add_device_entities(
        entry, async_add_entities, EvseBridgeEventEntityDescription, EvseBridgeEvent
    )


class EvseBridgeEvent(EvseBridgeEntity, EventEntity):
    """Fires when the integration reports something that happened on the device."""

    entity_description: EvseBridgeEventEntityDescription
    # Tags are personal data: not kept for the recorder's lifetime, even as ids or
    # pseudonyms (what a card did is in the entry's session history, for 13 months).
    _unrecorded_attributes = frozenset({"tag", "tag_id", "tag_type"})

    async def async_added_to_hass(self) -> None:
        """Listen for the device's events."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                event_signal(
                    self.coordinator.config_entry.entry_id,
                    self.device_key,
                    self.entity_description.key,
                ),
                self._async_fire,
            )
        )

    @callback
    def _async_fire(self, event_type: str, attributes: dict[str, Any]) -> None:
        self._trigger_event(event_type, attributes)
        self.async_write_ha_state()
