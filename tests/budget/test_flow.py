"""The site power budget in the config flow menu, its options, and a charger not following."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from simulator.schneider_evce import EvceDevice

from ..common import get_device
from .test_evce_zones import (
    GRID,
    ZONE_MINIMUM_A,
    setup_budget,
    step,
    zone_device_ids,
    zone_limits,
)


async def test_budget_from_the_menu_and_options(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    """The menu offers it beside the vendors; the options change it and reload it."""
    hass.states.async_set(GRID, "0", {"unit_of_measurement": "kW"})
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "site_budget" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "site_budget"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "site_budget"
    devices = zone_device_ids(hass, loaded_entry)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "measurement": GRID,
            "limit": 69,
            "limit_unit": "kilowatt",
            "phases": "3",
            "margin": 0,
            "devices": devices,
            "strategy": "equal",
            "stale_after": 30,
            "write_budget": 12,
            "control_period": 10,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Site power budget"
    await hass.async_block_till_done(wait_background_tasks=True)
    budget = result["result"]
    # 69 kW: 100 A per phase for the two zones, 50 A each.
    assert zone_limits(hub) == [50.0, 50.0]
    site = get_device(hass, f"{budget.entry_id}_site")
    assert site.name == "Site"
    limit = hass.states.get("number.site_limit")
    assert limit.state == "69.0"
    assert limit.attributes["unit_of_measurement"] == "kW"

    result = await hass.config_entries.options.async_init(budget.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "site_budget"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "measurement": GRID,
            "limit": 34.5,
            "limit_unit": "kilowatt",
            "phases": "3",
            "margin": 0,
            "devices": devices,
            "priority_high": [devices[1]],
            "strategy": "priority",
            "stale_after": 30,
            "write_budget": 12,
            "control_period": 10,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("select.site_strategy").state == "priority"
    # 50 A: Parking B (high priority) all but Parking A's minimum.
    assert zone_limits(hub) == [ZONE_MINIMUM_A, 50 - ZONE_MINIMUM_A]

    # Vendor actions have nothing to act on in a budget entry.
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "get_sessions",
            {"config_entry_id": budget.entry_id},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "unknown_device"

    assert await hass.config_entries.async_unload(budget.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("number.site_limit").state == "unavailable"


async def test_strategy_switch_and_a_zone_that_does_not_follow(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A zone drawing above its allocation after it had time to follow is reported."""
    # The stations of both zones ignore the zones' set-points.
    for zone in hub.zones.values():
        zone.follows = False
    hass.states.async_set(GRID, "0", {"unit_of_measurement": "W"})
    await setup_budget(hass, loaded_entry)
    assert zone_limits(hub) == [50.0, 50.0]

    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.site_strategy", "option": "minimum_first"},
        blocking=True,
    )
    assert hass.states.get("select.site_strategy").state == "minimum_first"
    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.site_budget_active"}, blocking=True
    )
    assert hass.states.get("switch.site_budget_active").state == "off"
    await hass.services.async_call(
        "number", "set_value", {"entity_id": "number.site_limit", "value": 30}, blocking=True
    )
    # Inactive: nothing written.
    assert zone_limits(hub) == [50.0, 50.0]
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.site_budget_active"}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert zone_limits(hub) == [15.0, 15.0]

    # The hub reports the set-points but its stations keep their charging cycles (17.5 A and
    # 26.7 A per phase): once they had time to follow, both are reported.
    await step(hass, freezer, 70)
    await loaded_entry.runtime_data.coordinator.async_refresh()
    await step(hass, freezer, 10)
    assert [zone.setpoint_a for zone in hub.zones.values()] == [15.0, 15.0]
    degraded = hass.states.get("binary_sensor.site_budget_degraded")
    assert degraded.state == "on"
    assert degraded.attributes["not_following"] == ["Parking A", "Parking B"]
    assert degraded.attributes["failsafe"] is False


@pytest.mark.parametrize(
    ("field", "tags", "error"),
    [
        ("priority_tags_high", ["04A1B2C3D4E5F6", "x" * 65], "tag_too_long"),
        ("priority_tags_low", [f"card {number}" for number in range(201)], "too_many_tags"),
    ],
)
async def test_tag_groups_are_bounded(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    field: str,
    tags: list[str],
    error: str,
) -> None:
    """A tag of more than 64 characters or a group of more than 200 is refused; blank
    lines and the spaces around a tag do not count."""
    hass.states.async_set(GRID, "0", {"unit_of_measurement": "W"})
    budget = await setup_budget(hass, loaded_entry)
    form = {**budget.data, "strategy": "priority"}
    del form["kind"]
    result = await hass.config_entries.options.async_init(budget.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**form, field: tags}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}

    within = [f" {'x' * 64} ", "", *(f"card {number}" for number in range(199))]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**form, field: within}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert budget.options[field] == within
