"""The site power budget's form, shared by the config and the options flow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    DeviceFilterSelectorConfig,
    DeviceSelector,
    DeviceSelectorConfig,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
)
import voluptuous as vol

from ..const import DOMAIN
from ..contract.descriptions import EvseBridgeNumberEntityDescription
from ..contract.limits import LimitUnit
from ..contract.site import device_model_id
from ..vendors import VENDORS
from .allocator import Strategy
from .const import (
    CONF_CONTROL_PERIOD,
    CONF_DEVICES,
    CONF_FAILSAFE_TOTAL,
    CONF_LIMIT,
    CONF_LIMIT_UNIT,
    CONF_MARGIN,
    CONF_MEASUREMENT,
    CONF_PHASE_CURRENTS,
    CONF_PHASES,
    CONF_PRIORITY_HIGH,
    CONF_PRIORITY_LOW,
    CONF_PRIORITY_TAGS_HIGH,
    CONF_PRIORITY_TAGS_LOW,
    CONF_STALE_S,
    CONF_STRATEGY,
    CONF_WRITE_BUDGET,
    DEFAULT_CONTROL_PERIOD_S,
    DEFAULT_STALE_S,
    DEFAULT_WRITE_BUDGET,
    MAX_GROUP_TAGS,
    MAX_TAG_LENGTH,
)


def controllable_models() -> list[DeviceFilterSelectorConfig]:
    """Devices whose vendor declares a limit the budget may write (by registry model ID)."""
    models = sorted(
        {
            device_model_id(vendor.label, description.device_kind)
            for vendor in VENDORS.values()
            for description in vendor.descriptions
            if isinstance(description, EvseBridgeNumberEntityDescription)
            and description.limit_control is not None
        }
    )
    return [DeviceFilterSelectorConfig(integration=DOMAIN, model_id=model) for model in models]


def _number(minimum: float, maximum: float, step: float, unit: str | None = None) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=step,
            mode=NumberSelectorMode.BOX,
            **({} if unit is None else {"unit_of_measurement": unit}),
        )
    )


def _optional(defaults: Mapping[str, Any], key: str) -> vol.Optional:
    """An optional field, suggesting what ``defaults`` has (it can be emptied again)."""
    if defaults.get(key):
        return vol.Optional(key, description={"suggested_value": defaults[key]})
    return vol.Optional(key)


def budget_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with the form: one measurement, a current sensor per phase."""
    currents = user_input.get(CONF_PHASE_CURRENTS) or []
    if bool(user_input.get(CONF_MEASUREMENT)) == bool(currents):
        return {"base": "one_measurement"}
    if currents and len(currents) != int(user_input[CONF_PHASES]):
        return {CONF_PHASE_CURRENTS: "one_current_per_phase"}
    for key in (CONF_PRIORITY_TAGS_HIGH, CONF_PRIORITY_TAGS_LOW):
        tags = [tag.strip() for tag in user_input.get(key) or [] if tag.strip()]
        if len(tags) > MAX_GROUP_TAGS:
            return {key: "too_many_tags"}
        if any(len(tag) > MAX_TAG_LENGTH for tag in tags):
            return {key: "tag_too_long"}
    return {}


def budget_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The form, pre-filled with ``defaults`` (an entry's configuration)."""

    def default(key: str, fallback: Any) -> Any:
        return defaults.get(key, fallback)

    failsafe = (
        vol.Optional(
            CONF_FAILSAFE_TOTAL, description={"suggested_value": defaults[CONF_FAILSAFE_TOTAL]}
        )
        if defaults.get(CONF_FAILSAFE_TOTAL) is not None
        else vol.Optional(CONF_FAILSAFE_TOTAL)
    )
    return vol.Schema(
        {
            _optional(defaults, CONF_MEASUREMENT): EntitySelector(
                EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.POWER)
            ),
            _optional(defaults, CONF_PHASE_CURRENTS): EntitySelector(
                EntitySelectorConfig(
                    domain="sensor", device_class=SensorDeviceClass.CURRENT, multiple=True
                )
            ),
            vol.Required(CONF_LIMIT, default=default(CONF_LIMIT, vol.UNDEFINED)): _number(
                0, 10000, 0.1
            ),
            vol.Required(
                CONF_LIMIT_UNIT, default=default(CONF_LIMIT_UNIT, LimitUnit.KILOWATT.value)
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[unit.value for unit in LimitUnit], translation_key="limit_unit"
                )
            ),
            vol.Required(CONF_PHASES, default=default(CONF_PHASES, "3")): SelectSelector(
                SelectSelectorConfig(options=["3", "1"], translation_key="phases")
            ),
            vol.Required(CONF_MARGIN, default=default(CONF_MARGIN, 0)): _number(0, 1000, 0.1),
            vol.Required(CONF_DEVICES, default=default(CONF_DEVICES, vol.UNDEFINED)): (
                DeviceSelector(DeviceSelectorConfig(multiple=True, filter=controllable_models()))
            ),
            vol.Optional(CONF_PRIORITY_HIGH, default=default(CONF_PRIORITY_HIGH, [])): (
                DeviceSelector(DeviceSelectorConfig(multiple=True, filter=controllable_models()))
            ),
            vol.Optional(CONF_PRIORITY_LOW, default=default(CONF_PRIORITY_LOW, [])): (
                DeviceSelector(DeviceSelectorConfig(multiple=True, filter=controllable_models()))
            ),
            vol.Optional(CONF_PRIORITY_TAGS_HIGH, default=default(CONF_PRIORITY_TAGS_HIGH, [])): (
                TextSelector(TextSelectorConfig(multiple=True))
            ),
            vol.Optional(CONF_PRIORITY_TAGS_LOW, default=default(CONF_PRIORITY_TAGS_LOW, [])): (
                TextSelector(TextSelectorConfig(multiple=True))
            ),
            vol.Required(
                CONF_STRATEGY, default=default(CONF_STRATEGY, Strategy.EQUAL.value)
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[strategy.value for strategy in Strategy], translation_key="strategy"
                )
            ),
            vol.Required(CONF_STALE_S, default=default(CONF_STALE_S, DEFAULT_STALE_S)): _number(
                5, 3600, 1, "s"
            ),
            failsafe: _number(0, 10000, 0.1),
            vol.Required(
                CONF_WRITE_BUDGET, default=default(CONF_WRITE_BUDGET, DEFAULT_WRITE_BUDGET)
            ): _number(1, 360, 1),
            vol.Required(
                CONF_CONTROL_PERIOD, default=default(CONF_CONTROL_PERIOD, DEFAULT_CONTROL_PERIOD_S)
            ): _number(5, 300, 1, "s"),
        }
    )


class BudgetOptionsFlow(OptionsFlow):
    """Change everything the budget was set up with."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The budget's own form (vendor entries' ``init`` is about sessions and writes)."""
        return await self.async_step_site_budget()

    async def async_step_site_budget(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The same form as the config flow's, pre-filled."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = budget_errors(user_input)
            if not errors:
                return self.async_create_entry(data=user_input)
        entry = self.config_entry
        return self.async_show_form(
            step_id="site_budget",
            data_schema=budget_schema(user_input or {**entry.data, **entry.options}),
            errors=errors,
        )
