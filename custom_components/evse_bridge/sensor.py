"""Sensors of EVSE Bridge devices."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .budget.entities import async_setup_budget_platform
from .contract.commands import (
    LastCommandSensorDescription,
)
from .contract.descriptions import (
    EvseBridgeSensorEntityDescription,
)
from .contract.overview import (
    EnergyTodaySensorDescription,
    SiteSummarySensorDescription,
)
from .contract.sessions import (
    DeliveredEnergySensorDescription,
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

# The coordinator does all polling.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvseBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors the entry's vendor describes."""
    if async_setup_budget_platform(entry, async_add_entities, Platform.SENSOR):
        return
    async_add_device_entities(entry, async_add_entities, EvseBridgeSensorEntityDescription, _sensor)


def _sensor(
    coordinator: EvseBridgeCoordinator,
    device_key: str,
    description: EvseBridgeSensorEntityDescription,
) -> EvseBridgeEntity:
    if isinstance(description, DeliveredEnergySensorDescription):
        return DeliveredEnergySensor(coordinator, device_key, description)
    if isinstance(description, SiteSummarySensorDescription):
        return SiteSummarySensor(coordinator, device_key, description)
    if isinstance(description, EnergyTodaySensorDescription):
        return EnergyTodaySensor(coordinator, device_key, description)
    if isinstance(description, LastCommandSensorDescription):
        return LastCommandSensor(coordinator, device_key, description)
    return EvseBridgeSensor(coordinator, device_key, description)


class _SensorBase(EvseBridgeEntity, SensorEntity):
    """A sensor whose unit, device class and options are its description's.

    A subclass reads its value (``_value``) and attributes (``_attributes``); a write
    that a poll's comparison asked for shows what the comparison read, not a second
    reading of the same data.
    """

    entity_description: EvseBridgeSensorEntityDescription

    @property
    def native_value(self) -> StateType | datetime:
        """The value the poll being written read, else the current one."""
        writing = self._writing
        return writing[1] if writing is not None and writing[0] else self._value(self.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The attributes the poll being written read, else the current ones."""
        writing = self._writing
        return writing[2] if writing is not None and writing[0] else self._attributes(self.data)

    def _value(self, data: Any) -> StateType | datetime:
        """The described value of the device's data."""
        return self.entity_description.value_fn(data)

    def _source(self) -> tuple[Any, ...]:
        """Availability, value and attributes: the rest of the state is the description's.

        Cheaper than the sensor state Home Assistant works out (unit conversion, rounding),
        which a poll that changed nothing would otherwise run for every sensor. One look-up
        of the device's data for both.
        """
        data = self._available_data()
        if data is UNAVAILABLE:
            return (False,)
        return (True, self._value(data), self._attributes(data))


class EvseBridgeSensor(_SensorBase):
    """A value a device reports."""

    entity_description: EvseBridgeSensorEntityDescription
    # An EVCE hub may report a temporary reduction's duration as the seconds left, new on
    # every poll; when it ends is recorded by the zone's "Reduction ends".
    _unrecorded_attributes = frozenset({"duration_s"})


class DeliveredEnergySensor(_SensorBase):
    """Energy delivered since the integration was added, from the sessions it saw."""

    entity_description: DeliveredEnergySensorDescription

    def _value(self, data: Any) -> float:
        """Completed sessions' final energy, each once, plus the running one."""
        return self.coordinator.config_entry.runtime_data.sessions.delivered_kwh(self.device_key)


class LastCommandSensor(_SensorBase):
    """What the device answered to the last command sent from one of its buttons."""

    entity_description: LastCommandSensorDescription
    # New with every command, which writes the state: the recorded state's own time.
    _unrecorded_attributes = frozenset({"time"})

    def _value(self, data: Any) -> str | None:
        """Accepted, refused, no answer or failed; unknown until a button is pressed."""
        result = self.coordinator.command_results.get(self.device_key)
        return None if result is None else result.outcome.value

    def _attributes(self, data: Any) -> Mapping[str, Any] | None:
        """Which command, and when."""
        result = self.coordinator.command_results.get(self.device_key)
        if result is None:
            return None
        return {"command": result.command, "time": result.at.isoformat()}


class SiteSummarySensor(_SensorBase):
    """A count or a total over every charge point of the entry."""

    entity_description: SiteSummarySensorDescription

    def _value(self, data: Any) -> StateType:
        """The described figure of the site's latest poll."""
        return self.entity_description.summary_fn(self.coordinator.site_overview())


class EnergyTodaySensor(_SensorBase):
    """Energy of the entry's sessions that ended today, and of the running ones."""

    entity_description: EnergyTodaySensorDescription

    def _value(self, data: Any) -> float:
        """From the sessions the integration saw (kWh)."""
        return self.coordinator.config_entry.runtime_data.sessions.energy_today_kwh()
