"""The Site device's entities: limit, strategy, active, measured, available, allocated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math
from typing import Any, Self

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.components.number import NumberDeviceClass, NumberEntity, NumberMode
from homeassistant.components.select import SelectEntity
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.components.switch import SwitchEntity
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    STATE_OFF,
    EntityCategory,
    Platform,
    UnitOfElectricCurrent,
    UnitOfPower,
)
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity

from ..const import DOMAIN
from ..contract.limits import LimitUnit
from .allocator import Strategy
from .const import CONF_KIND, KIND_BUDGET
from .controller import BudgetController

#: What a budget entry forwards (vendor entries forward their descriptions' platforms).
BUDGET_PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]


def is_budget_entry(entry: ConfigEntry) -> bool:
    """Whether ``entry`` is a site power budget (not a vendor's entry)."""
    return bool(entry.data.get(CONF_KIND) == KIND_BUDGET)


class BudgetEntity(Entity):
    """An entity of the Site device, updated after every control step."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, controller: BudgetController, key: str) -> None:
        """Name it by translation key ``site_<key>``."""
        self.controller = controller
        entry_id = controller.entry.entry_id
        self._attr_unique_id = f"{entry_id}_{key}"
        self._attr_translation_key = f"site_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry_id}_site")},
            translation_key="site",
            name="Site",
        )

    async def async_added_to_hass(self) -> None:
        """Follow the control steps."""
        self.async_on_remove(self.controller.async_add_listener(self.async_write_ha_state))


@dataclass(frozen=True, slots=True)
class RuntimeSetting(ExtraStoredData):
    """A value set at run time (by an automation), and the configured one it replaced."""

    value: Any
    configured: Any

    def as_dict(self) -> dict[str, Any]:
        """What is stored across restarts."""
        return {"value": self.value, "configured": self.configured}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Self | None:
        """The stored setting; None if there is none or it is not one."""
        if not isinstance(data, dict) or "value" not in data or "configured" not in data:
            return None
        return cls(data["value"], data["configured"])


class RestoredSetting(BudgetEntity, RestoreEntity):
    """A setting an automation changes at run time, kept across restarts.

    The value set at run time is restored only while the configuration still says what it
    said when the value was set: a limit changed in the options applies after its reload.
    """

    #: The controller's attribute set at run time; ``configured_<it>`` is the configured one.
    _setting: str
    #: The stored value as the attribute's type.
    _parse: Callable[[Any], Any]

    def _configured(self) -> Any:
        return getattr(self.controller, f"configured_{self._setting}")

    @property
    def extra_restore_state_data(self) -> RuntimeSetting:
        """The value in force and the configured one."""
        return RuntimeSetting(getattr(self.controller, self._setting), self._configured())

    async def async_added_to_hass(self) -> None:
        """Take the value set before the restart (before the first control step)."""
        await super().async_added_to_hass()
        last = await self.async_get_last_extra_data()
        stored = RuntimeSetting.from_dict(None if last is None else last.as_dict())
        if stored is not None and stored.configured == self._configured():
            try:
                setattr(self.controller, self._setting, self._parse(stored.value))
            except (TypeError, ValueError):
                return


class BudgetLimit(RestoredSetting, NumberEntity):
    """The building's limit: an automation may lower or raise it (a tariff, solar)."""

    _attr_mode = NumberMode.BOX
    _attr_native_min_value = 0
    _attr_native_max_value = 10000
    _attr_native_step = 0.1
    _setting = "limit"
    _parse = float

    def __init__(self, controller: BudgetController) -> None:
        """In the unit the limit was configured in."""
        super().__init__(controller, "limit")
        if controller.limit_unit is LimitUnit.KILOWATT:
            self._attr_native_unit_of_measurement = UnitOfPower.KILO_WATT
            self._attr_device_class = NumberDeviceClass.POWER
        else:
            self._attr_native_unit_of_measurement = UnitOfElectricCurrent.AMPERE
            self._attr_device_class = NumberDeviceClass.CURRENT

    @property
    def native_value(self) -> float:
        """The limit in force."""
        return self.controller.limit

    async def async_set_native_value(self, value: float) -> None:
        """A new limit applies at once: a lower one is written in this step."""
        self.controller.limit = value
        await self.controller.async_step()


class BudgetStrategy(RestoredSetting, SelectEntity):
    """How the headroom is split."""

    _attr_options = [strategy.value for strategy in Strategy]
    _setting = "strategy"
    _parse = Strategy

    def __init__(self, controller: BudgetController) -> None:
        """Options: the strategies."""
        super().__init__(controller, "strategy")

    @property
    def current_option(self) -> str:
        """The strategy in force."""
        return self.controller.strategy.value

    async def async_select_option(self, option: str) -> None:
        """Split by ``option`` from this step on."""
        self.controller.strategy = Strategy(option)
        await self.controller.async_step()


class BudgetActive(BudgetEntity, SwitchEntity, RestoreEntity):
    """Off: the budget writes nothing (the limits last written stay); kept across restarts."""

    def __init__(self, controller: BudgetController) -> None:
        """On while the budget controls."""
        super().__init__(controller, "active")

    async def async_added_to_hass(self) -> None:
        """Stay off after a restart if it was off before."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and last.state == STATE_OFF:
            self.controller.active = False

    @property
    def is_on(self) -> bool:
        """Whether the budget controls."""
        return self.controller.active

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Control again, from this step on."""
        self.controller.active = True
        await self.controller.async_step()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop writing limits."""
        self.controller.active = False
        self.async_write_ha_state()


class BudgetPowerSensor(BudgetEntity, SensorEntity):
    """A power the control step computed, in W."""

    _attr_device_class = SensorDeviceClass.POWER
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = UnitOfPower.WATT
    _attr_suggested_display_precision = 0

    def __init__(
        self,
        controller: BudgetController,
        key: str,
        value_fn: Callable[[BudgetController], float | None],
        attributes_fn: Callable[[BudgetController], dict[str, Any]] | None = None,
    ) -> None:
        """``value_fn`` reads the controller."""
        super().__init__(controller, key)
        self._value_fn = value_fn
        self._attributes_fn = attributes_fn

    @property
    def native_value(self) -> float | None:
        """The value after the last step."""
        return self._value_fn(self.controller)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Per managed device, where the sensor has that."""
        return None if self._attributes_fn is None else self._attributes_fn(self.controller)


@dataclass(frozen=True, slots=True)
class StoredBoosts(ExtraStoredData):
    """The running boosts: until when (a UTC timestamp) per managed device id."""

    until: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        """What is stored across restarts."""
        return {"boosts": dict(self.until)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Self | None:
        """The stored boosts, without any entry that is not one; None if there are none."""
        boosts = data.get("boosts") if isinstance(data, dict) else None
        if not isinstance(boosts, dict):
            return None
        return cls(
            {
                key: float(until)
                for key, until in boosts.items()
                if isinstance(key, str)
                and isinstance(until, int | float)
                and not isinstance(until, bool)
                and math.isfinite(until)
            }
        )


class BudgetAllocated(BudgetPowerSensor, RestoreEntity):
    """The allocations in total, per device, and the running boosts (kept across restarts)."""

    def __init__(self, controller: BudgetController) -> None:
        """Its attributes list the allocations and boosts."""
        super().__init__(controller, "allocated", _allocated, _per_device)

    @property
    def extra_restore_state_data(self) -> StoredBoosts:
        """The boosts running now."""
        return StoredBoosts(dict(self.controller.boosts))

    async def async_added_to_hass(self) -> None:
        """Take the boosts that run on, for chargers still managed (before the first step)."""
        await super().async_added_to_hass()
        last = await self.async_get_last_extra_data()
        stored = StoredBoosts.from_dict(None if last is None else last.as_dict())
        if stored is not None:
            self.controller.restore_boosts(stored.until)


class BudgetWrites(BudgetEntity, SensorEntity):
    """Limits written in the last hour (a controller's flash and a cloud's rate limits)."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, controller: BudgetController) -> None:
        """A count."""
        super().__init__(controller, "writes_last_hour")

    @property
    def native_value(self) -> int:
        """The count."""
        return self.controller.writes_last_hour()


class BudgetDegraded(BudgetEntity, BinarySensorEntity):
    """On: measurement lost (failsafe), a charger not following, or a write refused."""

    _attr_device_class = BinarySensorDeviceClass.PROBLEM

    def __init__(self, controller: BudgetController) -> None:
        """A problem sensor."""
        super().__init__(controller, "degraded")

    @property
    def is_on(self) -> bool:
        """Whether the budget cannot do its job fully."""
        return self.controller.degraded

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Which reason holds."""
        decision = self.controller.decision
        return {
            "failsafe": decision is not None and decision.failsafe,
            "not_following": self.controller.not_following,
            "write_refused": self.controller.write_refused,
        }


def _available(controller: BudgetController) -> float | None:
    decision = controller.decision
    return None if decision is None else decision.available_w


def _allocated(controller: BudgetController) -> float | None:
    return None if controller.decision is None else round(controller.decision.total_w)


def _per_device(controller: BudgetController) -> dict[str, Any]:
    return {
        "allocations": {
            controller.names.get(key, key): round(watts)
            for key, watts in controller.allocations.items()
        },
        "boosted_until": controller.boosted_until(),
    }


def budget_diagnostics(entry: ConfigEntry) -> dict[str, Any]:
    """The last step of a budget entry (device ids, no personal data)."""
    controller: BudgetController = entry.runtime_data
    decision = controller.decision
    return {
        "limit": controller.limit,
        "limit_unit": controller.limit_unit.value,
        "strategy": controller.strategy.value,
        "active": controller.active,
        "measured_w": controller.measured_w,
        "available_w": None if decision is None else decision.available_w,
        "allocations_w": dict(controller.allocations),
        "not_following": controller.not_following,
        "write_refused": controller.write_refused,
        "writes_last_hour": controller.writes_last_hour(),
    }


def _entities(controller: BudgetController, platform: Platform) -> list[Entity]:
    if platform is Platform.NUMBER:
        return [BudgetLimit(controller)]
    if platform is Platform.SELECT:
        return [BudgetStrategy(controller)]
    if platform is Platform.SWITCH:
        return [BudgetActive(controller)]
    if platform is Platform.BINARY_SENSOR:
        return [BudgetDegraded(controller)]
    return [
        BudgetPowerSensor(controller, "measured", lambda c: c.measured_w),
        BudgetPowerSensor(controller, "available", _available),
        BudgetAllocated(controller),
        BudgetWrites(controller),
    ]


def async_setup_budget_platform(
    entry: ConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback, platform: Platform
) -> bool:
    """Add the Site device's entities of ``platform``; False for a vendor's entry."""
    if not is_budget_entry(entry):
        return False
    async_add_entities(_entities(entry.runtime_data, platform))
    return True
