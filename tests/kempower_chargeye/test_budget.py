"""A site power budget limiting ChargEye DC stations through the cloud's power limits."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN

from ..conftest import SimServer
from .conftest import commands, device_id

GRID = "sensor.grid_power"


async def test_two_dc_stations_share_the_headroom(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    """80 kW for two stations after 20 kW of other load: 40 kW each, one limit per station."""
    devices = loaded.runtime_data.coordinator.data.devices
    stations = ("station_KEMDC-0001", "station_KEMDC-0002")
    drawn = sum((devices[key].data.station.current_power_kw or 0) * 1000 for key in stations)
    hass.states.async_set(GRID, str(drawn + 20000), {"unit_of_measurement": "W"})
    budget = MockConfigEntry(
        domain=DOMAIN,
        title="Site power budget",
        data={
            "kind": "site_budget",
            "measurement": GRID,
            "limit": 100,
            "limit_unit": "kilowatt",
            "phases": "3",
            "margin": 0,
            "devices": [device_id(hass, key) for key in stations],
            "strategy": "equal",
            "stale_after": 30,
            "write_budget": 12,
            "control_period": 10,
        },
    )
    budget.add_to_hass(hass)
    assert await hass.config_entries.async_setup(budget.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    written = [c for c in commands(sim) if c["path"].endswith("/powerLimit")]
    assert sorted(c["path"] for c in written) == [
        "/chargingStations/KEMDC-0001/powerLimit",
        "/chargingStations/KEMDC-0002/powerLimit",
    ]
    assert [c["body"] for c in written] == [{"limit": {"dcMaxPowerKw": 40.0}}] * 2
    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert float(allocated.state) == 80000
