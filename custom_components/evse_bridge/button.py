"""Buttons of EVSE Bridge devices (restart)."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .descriptions import EvseBridgeButtonEntityDescription
from .entity import EvseBridgeEntity, async_add_device_entities, translate_client_errors
from .runtime import EvseBridgeConfigEntry

# One command at a time per device.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvseBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons the entry's vendor describes."""
    async_add_device_entities(
        entry, async_add_entities, EvseBridgeButtonEntityDescription, EvseBridgeButton
    )


class EvseBridgeButton(EvseBridgeEntity, ButtonEntity):
    """Sends one command to the device."""

    entity_description: EvseBridgeButtonEntityDescription

    async def async_press(self) -> None:
        """Send the command."""
        with translate_client_errors(self.coordinator.config_entry, self.device_name):
            await self.entity_description.press_fn(self.coordinator.site, self.device)
        await self.coordinator.async_request_refresh()
