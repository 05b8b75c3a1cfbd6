"""A site power budget managing a simulated v1 controller through its current-limit setting."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.evse_bridge.const import DOMAIN
from simulator.bender_v1 import BenderV1Device
from simulator.bender_v1_controls import CURRENT_LIMIT_KEY, NO_CURRENT_LIMIT

from ..common import GRID, add_site_budget, entity_state, get_device
from ..conftest import SimServer
from .conftest import uid

#: Into the simulated cycle's charging phase (idle 120 s, connected 20 s, then 900 s).
CHARGING_AT = 300.0


@pytest.fixture
def start_at() -> float:
    """The controller charges (11 kW) when the test starts."""
    return CHARGING_AT


def controller_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    site = entry.runtime_data.site
    return get_device(hass, site.registry_identifier("controller")[1]).id


async def setup_budget(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, other_load_w: float, **config: Any
) -> MockConfigEntry:
    """A budget of 10 kW over the controller, the meter showing it and ``other_load_w``."""
    drawn = loaded_entry.runtime_data.coordinator.data.devices["controller"].data
    assert drawn.state.transaction is not None
    power = drawn.state.transaction.power_w
    hass.states.async_set(GRID, str(power + other_load_w), {"unit_of_measurement": "W"})
    return await add_site_budget(
        hass, [controller_id(hass, loaded_entry)], **{"limit": 10, **config}
    )


async def set_limit(hass: HomeAssistant, value: float) -> None:
    await hass.services.async_call(
        "number", "set_value", {"entity_id": "number.site_limit", "value": value}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def step(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, device: BenderV1Device, seconds: float
) -> None:
    """Time passes; the meter reports what the controller draws now (no other load)."""
    # The controller's last poll is as fresh as the meter: a meter newer than the poll reads
    # the controller's own raise as other load, and the budget lowers the limit for a step.
    controller = next(
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get("kind") != "site_budget"
    )
    await controller.runtime_data.coordinator.async_refresh()
    freezer.tick(seconds)
    hass.states.async_set(
        GRID, str(device.system_state()["transaction"]["power"]), {"unit_of_measurement": "W"}
    )
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_the_controller_gets_its_share_in_whole_amperes(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, device: BenderV1Device
) -> None:
    """6 kW left after 4 kW of other load: 8 A at three phases (8.7 rounded down)."""
    assert device.settings.value(CURRENT_LIMIT_KEY) == 32
    await setup_budget(hass, loaded_entry, other_load_w=4000)

    assert device.settings.value(CURRENT_LIMIT_KEY) == 8
    # The simulated controller follows: 8 A at 231 V on three phases.
    assert device.system_state()["transaction"]["power"] == 8 * 231 * 3
    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert allocated is not None
    assert float(allocated.state) == 6000
    assert hass.states.get("binary_sensor.site_budget_degraded").state == "off"
    # The controller's own number shows the limit in force.
    assert entity_state(hass, "number", uid("charging_current_limit")).state == "8.0"


async def test_the_controller_is_never_written_below_its_range(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, device: BenderV1Device, sim: SimServer
) -> None:
    """Its setting starts at 6 A: it keeps 6 A (never 0, which it would refuse)."""
    await setup_budget(hass, loaded_entry, other_load_w=9000)

    assert device.settings.value(CURRENT_LIMIT_KEY) == 6
    assert hass.states.get("binary_sensor.site_budget_degraded").state == "off"
    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert float(allocated.state) == 6 * 230 * 3


async def test_increases_keep_to_the_controllers_flash_budget(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Four writes an hour, whatever the budget's own allowance; a decrease always."""
    await setup_budget(hass, loaded_entry, other_load_w=0, limit=5, write_budget=60)
    assert device.settings.value(CURRENT_LIMIT_KEY) == 7
    # The meter shows the controller following.
    await step(hass, freezer, device, 5)
    seen = []
    for limit in (6, 7, 8, 9, 10):
        await set_limit(hass, limit)
        await step(hass, freezer, device, 31)
        await step(hass, freezer, device, 31)
        seen.append(device.settings.value(CURRENT_LIMIT_KEY))
    # The first write and three increases: the fourth and fifth wait for the next hour.
    assert seen == [8, 10, 11, 11, 11]
    await set_limit(hass, 4)
    assert device.settings.value(CURRENT_LIMIT_KEY) == 6
    assert hass.states.get("sensor.site_limit_writes_in_the_last_hour").state == "5"


@pytest.mark.parametrize("variant", [NO_CURRENT_LIMIT])
async def test_a_controller_without_a_writable_limit_is_not_managed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, device: BenderV1Device
) -> None:
    """Its meta names no writable current limit: it counts as uncontrolled load."""
    await setup_budget(hass, loaded_entry, other_load_w=4000)

    assert device.settings.writes == 0
    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert allocated.attributes["allocations"] == {}
