"""Buttons of EVSE Bridge devices (restart)."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .contract.commands import (
    CommandOutcome,
    CommandResult,
    outcome_of,
)
from .contract.descriptions import (
    EvseBridgeButtonEntityDescription,
)
from .contract.errors import (
    translate_client_errors,
)
from .coordinator import (
    EvseBridgeConfigEntry,
)
from .entity import (
    EvseBridgeEntity,
    async_add_device_entities,
)

# One command at a time per platform and entry (Home Assistant keeps one semaphore per platform
# per config entry): one hub or cloud account is never sent two commands of a kind at once.
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
        """Send the command; the device's answer shows on its "Last command" sensor."""
        outcome = CommandOutcome.ACCEPTED
        try:
            with translate_client_errors(
                self.hass, self.coordinator.config_entry, self.device_name, command=self.shown_name
            ):
                await self.entity_description.press_fn(self.coordinator.site, self.device)
        except HomeAssistantError as err:
            outcome = outcome_of(err.__cause__)
            raise
        finally:
            self.coordinator.command_results[self.device_key] = CommandResult(
                str(self.name), outcome, dt_util.utcnow()
            )
            self.coordinator.async_update_listeners()
        await self.coordinator.async_request_refresh()
