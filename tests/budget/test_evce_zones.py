"""A site power budget managing the simulated EVCE hub's two zones over HTTPS."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from simulator.schneider_evce import EvceDevice

from ..common import GRID, add_site_budget, find_device
from ..conftest import SimServer

REDUCTION = "PUT /api/v2/em/zones/{}/reduction"
ZONE_MAX_A = 125.0
#: Each of the simulated hub's zones has two sessions (its clock stands still): 6 A each.
ZONE_MINIMUM_A = 12.0


def zone_device_ids(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    site = entry.runtime_data.site
    return [
        device.id
        for key in ("zone_7", "zone_8")
        if (device := find_device(hass, site.registry_identifier(key)[1])) is not None
    ]


async def setup_budget(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, **config: Any
) -> MockConfigEntry:
    devices = zone_device_ids(hass, loaded_entry)
    assert len(devices) == 2
    return await add_site_budget(hass, devices, **{"limit_unit": "ampere", **config})


def zones_power(entry: MockConfigEntry) -> float:
    """What the zones draw, as the entry last polled it (W)."""
    devices = entry.runtime_data.coordinator.data.devices
    return sum(devices[key].data.status.power_w or 0 for key in ("zone_7", "zone_8"))


def amps(value: float) -> float:
    """A three-phase current as power (W)."""
    return value * 230 * 3


def zone_limits(hub: EvceDevice) -> list[float]:
    return [hub.zones[zone_id].setpoint_a for zone_id in (7, 8)]


async def step(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float = 10,
    *,
    report: bool = True,
    entry: MockConfigEntry | None = None,
) -> None:
    """Time passes; the meter reports its value again (unless ``report`` is False).

    With ``entry``, the hub is polled and the meter shows what the zones draw now (the
    simulated hub shares each zone's set-point among its sessions).
    """
    freezer.tick(seconds)
    grid = hass.states.get(GRID)
    if entry is not None:
        await entry.runtime_data.coordinator.async_refresh()
        hass.states.async_set(GRID, str(zones_power(entry)), {"unit_of_measurement": "W"})
    elif report and grid is not None:
        hass.states.async_set(GRID, grid.state, grid.attributes)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_zones_share_the_limit_one_reduction_each(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: EvceDevice
) -> None:
    """20 A of uncontrolled load under 100 A: 80 A for two zones, one reduction per zone."""
    zone_draw = zones_power(loaded_entry)
    hass.states.async_set(GRID, str(amps(20) + zone_draw), {"unit_of_measurement": "W"})
    await setup_budget(hass, loaded_entry)

    assert zone_limits(hub) == [40.0, 40.0]
    assert sim.requests(REDUCTION.format(7)) == 1
    assert sim.requests(REDUCTION.format(8)) == 1
    # The hub shares the zone out: nothing is written to a station.
    assert not any(
        path.startswith(("PUT", "POST")) and "/stations" in path for path in hub.stats.by_path
    )
    assert float(hass.states.get("sensor.site_available_for_charging").state) == amps(80)
    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert float(allocated.state) == round(amps(80))
    assert allocated.attributes["allocations"] == {
        "Parking A": round(amps(40)),
        "Parking B": round(amps(40)),
    }
    assert hass.states.get("binary_sensor.site_budget_degraded").state == "off"
    assert hass.states.get("sensor.site_limit_writes_in_the_last_hour").state == "2"


async def test_a_lower_limit_is_written_at_once_a_higher_one_ramps(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    hub: EvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Lowering bypasses the 30 s write interval; raising waits for the increase delay."""
    zone_draw = zones_power(loaded_entry)
    hass.states.async_set(GRID, str(zone_draw), {"unit_of_measurement": "W"})
    await setup_budget(hass, loaded_entry)
    assert zone_limits(hub) == [50.0, 50.0]

    await hass.services.async_call(
        "number", "set_value", {"entity_id": "number.site_limit", "value": 40}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    # Within the same second as the first write: coalescing would have deferred it.
    assert zone_limits(hub) == [20.0, 20.0]
    assert sim.requests(REDUCTION.format(7)) == 2

    await hass.services.async_call(
        "number", "set_value", {"entity_id": "number.site_limit", "value": 100}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert zone_limits(hub) == [20.0, 20.0]
    await step(hass, freezer, 10, entry=loaded_entry)
    assert zone_limits(hub) == [20.0, 20.0]
    await step(hass, freezer, 25, entry=loaded_entry)
    await step(hass, freezer, 5, entry=loaded_entry)
    assert zone_limits(hub) == [50.0, 50.0]


async def test_failsafe_on_a_lost_measurement_and_recovery(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unavailable, then stale: every zone at its minimum (6 A a session); back once it reports."""
    hass.states.async_set(GRID, "0", {"unit_of_measurement": "W"})
    await setup_budget(hass, loaded_entry)
    assert zone_limits(hub) == [50.0, 50.0]

    hass.states.async_set(GRID, STATE_UNAVAILABLE)
    await step(hass, freezer, 10)
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ZONE_MINIMUM_A]
    degraded = hass.states.get("binary_sensor.site_budget_degraded")
    assert degraded.state == "on"
    assert degraded.attributes["failsafe"] is True
    assert hass.states.get("sensor.site_available_for_charging").state == "unknown"

    hass.states.async_set(GRID, "1000", {"unit_of_measurement": "W"})
    await step(hass, freezer, 10)
    assert hass.states.get("binary_sensor.site_budget_degraded").state == "off"
    # Back up only after the increase delay (30 s).
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ZONE_MINIMUM_A]
    await step(hass, freezer, 20)
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ZONE_MINIMUM_A]
    await step(hass, freezer, 10)
    assert all(limit > 40 for limit in zone_limits(hub))

    # A sensor that stops reporting goes stale after 30 s.
    await step(hass, freezer, 40, report=False)
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ZONE_MINIMUM_A]
    assert hass.states.get("binary_sensor.site_budget_degraded").state == "on"


async def test_the_write_budget_holds_for_increases(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    hub: EvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With 2 increases per zone and hour, a third is not written; a decrease is."""
    hass.states.async_set(GRID, "0", {"unit_of_measurement": "W"})
    await setup_budget(hass, loaded_entry, write_budget=2, limit=40)
    assert zone_limits(hub) == [20.0, 20.0]
    for limit in (60, 80, 100):
        await hass.services.async_call(
            "number", "set_value", {"entity_id": "number.site_limit", "value": limit}, blocking=True
        )
        await step(hass, freezer, 31)
        await step(hass, freezer, 1)
    # The first write, then two increases (to 30 A, 40 A): the budget of 2 is spent.
    assert zone_limits(hub) == [40.0, 40.0]
    assert sim.requests(REDUCTION.format(7)) == 3
    await hass.services.async_call(
        "number", "set_value", {"entity_id": "number.site_limit", "value": 30}, blocking=True
    )
    assert zone_limits(hub) == [15.0, 15.0]
    # Per zone: the first write, two increases, the decrease.
    assert hass.states.get("sensor.site_limit_writes_in_the_last_hour").state == "8"


async def test_diagnostics_show_the_last_step(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
) -> None:
    """Limit, allocations per managed device, writes."""
    hass.states.async_set(GRID, "0", {"unit_of_measurement": "W"})
    budget = await setup_budget(hass, loaded_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, budget)
    assert diagnostics["limit"] == 100
    assert diagnostics["strategy"] == "equal"
    assert sorted(diagnostics["allocations_w"]) == sorted(zone_device_ids(hass, loaded_entry))
    assert diagnostics["writes_last_hour"] == 2
    assert diagnostics["not_following"] == []
