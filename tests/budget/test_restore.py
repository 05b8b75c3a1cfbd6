"""What an automation set on the Site device survives a restart; a new configuration wins."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, State
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_restore_state_shutdown_restart,
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


@pytest.fixture
def stored() -> tuple[object, object, str]:
    """What was saved at shutdown: the limit, the limit configured then, the strategy."""
    return 40.0, 100, "minimum_first"


@pytest.fixture
def restored(hass: HomeAssistant, stored: tuple[object, object, str]) -> None:
    """The saved states, in place before any entry is set up (as at a start)."""
    restore(hass, *stored)


@pytest.fixture
def switched_off(hass: HomeAssistant) -> None:
    mock_restore_cache(hass, [State("switch.site_budget_active", "off")])


async def test_the_limit_and_strategy_set_at_run_time_are_restored(
    hass: HomeAssistant, restored: None, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    """Set to 40 A before the restart (configured: 100 A): 40 A from the first step on."""
    await setup_budget(hass, loaded_entry)

    assert hass.states.get("number.site_limit").state == "40.0"
    assert hass.states.get("select.site_strategy").state == "minimum_first"
    assert zone_limits(hub) == [20.0, 20.0]


@pytest.mark.parametrize("stored", [(40.0, 100, "priority")])
async def test_a_limit_changed_in_the_options_wins_over_the_restored_one(
    hass: HomeAssistant, restored: None, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    """Set to 40 A while 100 A was configured; now 80 A is: 80 A."""
    await setup_budget(hass, loaded_entry, limit=80)

    assert hass.states.get("number.site_limit").state == "80.0"
    assert hass.states.get("select.site_strategy").state == "priority"
    assert zone_limits(hub) == [40.0, 40.0]


@pytest.mark.parametrize("stored", [("forty", 100, "cheapest")])
async def test_a_stored_value_that_makes_no_sense_is_ignored(
    hass: HomeAssistant, restored: None, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    await setup_budget(hass, loaded_entry)

    assert hass.states.get("number.site_limit").state == "100.0"
    assert hass.states.get("select.site_strategy").state == "equal"
    assert zone_limits(hub) == [50.0, 50.0]


async def test_a_budget_switched_off_stays_off(
    hass: HomeAssistant,
    switched_off: None,
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    sim: SimServer,
) -> None:
    """Nothing is written after the restart: the zones keep what they had."""
    before = zone_limits(hub)
    await setup_budget(hass, loaded_entry)

    assert hass.states.get("switch.site_budget_active").state == "off"
    assert sim.requests(REDUCTION.format(7)) == 0
    assert zone_limits(hub) == before


async def test_a_limit_set_by_an_automation_survives_a_restart(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    """Set, saved at shutdown, read again when the entry is set up anew."""
    budget = await setup_budget(hass, loaded_entry)
    await hass.services.async_call(
        "number", "set_value", {"entity_id": "number.site_limit", "value": 60}, blocking=True
    )
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": "select.site_strategy", "option": "priority"},
        blocking=True,
    )
    # A restart: both entries stop, the states are saved and read again, both start.
    for entry in (budget, loaded_entry):
        assert await hass.config_entries.async_unload(entry.entry_id)
    await async_mock_restore_state_shutdown_restart(hass)
    for entry in (loaded_entry, budget):
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert hass.states.get("number.site_limit").state == "60.0"
    assert hass.states.get("select.site_strategy").state == "priority"
    assert zone_limits(hub) == [30.0, 30.0]
