"""Switches of EVSE Bridge devices (availability of a station or connector)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .budget.entities import async_setup_budget_platform
from .contract.descriptions import (
    EvseBridgeSwitchEntityDescription,
)
from .contract.errors import (
    translate_client_errors,
)
from .coordinator import (
    EvseBridgeConfigEntry,
)
from .entity import (
    UNAVAILABLE,
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
    """Add the switches the entry's vendor describes."""
    if async_setup_budget_platform(entry, async_add_entities, Platform.SWITCH):
        return
    async_add_device_entities(
        entry, async_add_entities, EvseBridgeSwitchEntityDescription, EvseBridgeSwitch
    )


class EvseBridgeSwitch(EvseBridgeEntity, SwitchEntity):
    """A state the device reports and a command changes.

    After a successful command the switch shows the requested state until the
    next poll, which then shows what the device really reports.
    """

    entity_description: EvseBridgeSwitchEntityDescription
    _optimistic: bool | None = None

    @property
    def is_on(self) -> bool | None:
        """The requested state until the next poll, then the reported one."""
        if self._optimistic is not None:
            return self._optimistic
        return self.entity_description.is_on_fn(self.data)

    def _source(self) -> tuple[Any, ...]:
        """Availability and on or off: the rest of the state is the description's."""
        data = self._available_data()
        if data is UNAVAILABLE:
            return (False,)
        on = self._optimistic
        return (True, self.entity_description.is_on_fn(data) if on is None else on)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Send the command that turns it on."""
        await self._async_set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Send the command that turns it off."""
        await self._async_set(False)

    async def _async_set(self, on: bool) -> None:
        with translate_client_errors(
            self.hass, self.coordinator.config_entry, self.device_name, command=self.shown_name
        ):
            await self.entity_description.set_fn(self.coordinator.site, self.device, on)
        self._optimistic = on
        self.async_write_ha_state()
        await self.coordinator.async_request_refresh()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._optimistic = None
        super()._handle_coordinator_update()
