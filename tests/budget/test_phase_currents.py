"""A budget measured by a current sensor per phase, with its limit in A per phase."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from simulator.schneider_evce import EvceDevice

from .test_evce_zones import (
    GRID,
    ZONE_MINIMUM_A,
    setup_budget,
    step,
    zone_device_ids,
    zone_limits,
    zones_power,
)

PHASES = ["sensor.grid_l1", "sensor.grid_l2", "sensor.grid_l3"]


def set_currents(hass: HomeAssistant, entry: MockConfigEntry, *other_a: float) -> None:
    """The meter: the zones' draw on every phase plus ``other_a`` per phase (L2 in mA)."""
    zones_a = zones_power(entry) / (230 * 3)
    for entity_id, other in zip(PHASES, other_a, strict=True):
        if entity_id == PHASES[1]:
            hass.states.async_set(
                entity_id, str((zones_a + other) * 1000), {"unit_of_measurement": "mA"}
            )
        else:
            hass.states.async_set(entity_id, str(zones_a + other), {"unit_of_measurement": "A"})


def form(devices: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "limit": 100,
        "limit_unit": "ampere",
        "phases": "3",
        "margin": 0,
        "devices": devices,
        "strategy": "equal",
        "stale_after": 30,
        "write_budget": 12,
        "control_period": 10,
        **fields,
    }


async def test_the_most_loaded_phase_decides(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    """30 A of other load on L1 (20 A, 10 A on the others) under 100 A: 70 A for the zones."""
    devices = zone_device_ids(hass, loaded_entry)
    set_currents(hass, loaded_entry, 30, 20, 10)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "site_budget"}
    )
    flow_id = result["flow_id"]
    # Neither measurement, or both: one is needed.
    for fields in ({}, {"measurement": GRID, "phase_currents": PHASES}):
        result = await hass.config_entries.flow.async_configure(flow_id, form(devices, **fields))
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "one_measurement"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, form(devices, phase_currents=PHASES[:2])
    )
    assert result["errors"] == {"phase_currents": "one_current_per_phase"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, form(devices, phase_currents=PHASES)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)

    assert zone_limits(hub) == [35.0, 35.0]
    measured = hass.states.get("sensor.site_grid_power_measured")
    # The most loaded phase, L1, as power on three phases.
    assert float(measured.state) == pytest.approx(zones_power(loaded_entry) + 30 * 690, abs=1)

    # Options: the per-phase sensors are checked there too.
    budget = result["result"]
    result = await hass.config_entries.options.async_init(budget.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], form(devices, phase_currents=PHASES, measurement=GRID)
    )
    assert result["errors"] == {"base": "one_measurement"}


async def test_a_lost_phase_engages_the_failsafe(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    set_currents(hass, loaded_entry, 0, 0, 0)
    await setup_budget(hass, loaded_entry, measurement=None, phase_currents=PHASES)
    assert zone_limits(hub) == [50.0, 50.0]

    hass.states.async_set(PHASES[2], STATE_UNAVAILABLE)
    await step(hass, freezer, 10)
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ZONE_MINIMUM_A]
    assert hass.states.get("binary_sensor.site_budget_degraded").attributes["failsafe"] is True
