"""Number entities of EVSE Bridge devices (zone reductions, power limits)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.number import NumberEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .budget.entities import async_setup_budget_platform
from .contract.descriptions import (
    EvseBridgeNumberEntityDescription,
)
from .contract.errors import (
    translate_client_errors,
)
from .contract.vendor import (
    UNKNOWN,
)
from .coordinator import (
    EvseBridgeConfigEntry,
    EvseBridgeCoordinator,
)
from .entity import (
    UNAVAILABLE,
    EvseBridgeEntity,
    async_add_device_entities,
)
from .writes import (
    WriteOutcome,
)

# One command at a time per platform and entry (Home Assistant keeps one semaphore per platform
# per config entry): one hub or cloud account is never sent two commands of a kind at once.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvseBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the numbers the entry's vendor describes."""
    if async_setup_budget_platform(entry, async_add_entities, Platform.NUMBER):
        return
    async_add_device_entities(
        entry, async_add_entities, EvseBridgeNumberEntityDescription, EvseBridgeNumber
    )


class EvseBridgeNumber(EvseBridgeEntity, NumberEntity):
    """A set-point the device reports and a command writes.

    Bounds may come from the device (a limit up to the station's rating); the unit
    is the description's. A rejected write raises and leaves the shown value as it was.
    """

    entity_description: EvseBridgeNumberEntityDescription
    _written: float | None = None
    #: Whether the device reported the value since our last write (so it is not stale).
    _reported_since_write = True

    def __init__(
        self,
        coordinator: EvseBridgeCoordinator,
        device_key: str,
        description: EvseBridgeNumberEntityDescription,
    ) -> None:
        """Attach the number to ``device_key``'s device; its writes go to one target."""
        super().__init__(coordinator, device_key, description)
        self._write_target = f"{device_key}/{description.key}"

    @property
    def native_value(self) -> float | None:
        """A waiting write's value, else the one just written, else the reported one."""
        return self._value(self.data)

    @property
    def native_min_value(self) -> float:
        """Lower bound, from the device when the description says how."""
        return self._min(self.data)

    @property
    def native_max_value(self) -> float:
        """Upper bound, from the device when the description says how."""
        return self._max(self.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Attributes the description reads from the device (e.g. whether a limit is set)."""
        return self._attributes(self.data)

    def _value(self, data: Any) -> float | None:
        waiting, value = self.coordinator.config_entry.runtime_data.writes.pending(
            self._write_target
        )
        if waiting and isinstance(value, float | int):
            return value
        if self._written is not None:
            return self._written
        return self.entity_description.value_fn(data)

    def _min(self, data: Any) -> float:
        min_fn = self.entity_description.min_fn
        return super().native_min_value if min_fn is None else min_fn(data)

    def _max(self, data: Any) -> float:
        max_fn = self.entity_description.max_fn
        return super().native_max_value if max_fn is None else max_fn(data)

    def _source(self) -> tuple[Any, ...]:
        """Availability, value, bounds and attributes: unit, step and mode are the description's."""
        data = self._available_data()
        if data is UNAVAILABLE:
            return (False,)
        return (True, self._value(data), self._min(data), self._max(data), self._attributes(data))

    async def async_set_native_value(self, value: float) -> None:
        """Write the value with the device's command, coalesced (see ``writes.py``)."""
        entry = self.coordinator.config_entry
        site, device = self.coordinator.site, self.device
        set_fn = self.entity_description.set_fn

        async def send() -> None:
            await set_fn(site, device, value)

        with translate_client_errors(self.hass, entry, self.device_name, command=self.shown_name):
            outcome = await entry.runtime_data.writes.async_write(
                self._write_target,
                value,
                send,
                current=(
                    self.entity_description.value_fn(self.data)
                    if self._reported_since_write
                    else UNKNOWN
                ),
            )
        if outcome is WriteOutcome.SENT:
            self._written = value
            self._reported_since_write = False
        self.async_write_ha_state()
        if outcome is WriteOutcome.SENT:
            await self.coordinator.async_request_refresh()

    @callback
    def _handle_coordinator_update(self) -> None:
        self._written = None
        self._reported_since_write = True
        super()._handle_coordinator_update()
