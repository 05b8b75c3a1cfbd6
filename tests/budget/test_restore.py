"""What an automation set on the Site device survives a restart; a new configuration wins."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, State
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache,
    mock_restore_cache_with_extra_data,
)

from simulator.schneider_evce import EvceDevice

from ..conftest import SimServer
from .test_evce_zones import GRID, REDUCTION, setup_budget, zone_limits


def restore(hass: HomeAssistant, limit: object, configured: object, strategy: str) -> None:
    mock_restore_cache_with_extra_data(
        hass,
        [
            (State("number.site_limit", str(limit)), {"value": limit, "configured": configured}),
            (
                State("select.site_strategy", strategy),
                {"value": strategy, "configured": "equal"},
            ),
        ],
    )


@pytest.fixture(autouse=True)
def no_other_load(hass: HomeAssistant) -> None:
    hass.states.async_set(GRID, "0", {"unit_of_measurement": "W"})


async def test_the_limit_and_strategy_set_at_run_time_are_restored(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    """Set to 40 A before the restart (configured: 100 A): 40 A from the first step on."""
    restore(hass, 40.0, 100, "minimum_first")
    await setup_budget(hass, loaded_entry)

    assert hass.states.get("number.site_limit").state == "40.0"
    assert hass.states.get("select.site_strategy").state == "minimum_first"
    assert zone_limits(hub) == [20.0, 20.0]


async def test_a_limit_changed_in_the_options_wins_over_the_restored_one(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    """Set to 40 A while 100 A was configured; now 80 A is: 80 A."""
    restore(hass, 40.0, 100, "priority")
    await setup_budget(hass, loaded_entry, limit=80)

    assert hass.states.get("number.site_limit").state == "80.0"
    assert hass.states.get("select.site_strategy").state == "priority"
    assert zone_limits(hub) == [40.0, 40.0]


async def test_a_stored_value_that_makes_no_sense_is_ignored(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    restore(hass, "forty", 100, "cheapest")
    await setup_budget(hass, loaded_entry)

    assert hass.states.get("number.site_limit").state == "100.0"
    assert hass.states.get("select.site_strategy").state == "equal"
    assert zone_limits(hub) == [50.0, 50.0]


async def test_a_budget_switched_off_stays_off(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice, sim: SimServer
) -> None:
    """Nothing is written after the restart: the zones keep what they had."""
    mock_restore_cache(hass, [State("switch.site_budget_active", "off")])
    before = zone_limits(hub)
    await setup_budget(hass, loaded_entry)

    assert hass.states.get("switch.site_budget_active").state == "off"
    assert sim.requests(REDUCTION.format(7)) == 0
    assert zone_limits(hub) == before
