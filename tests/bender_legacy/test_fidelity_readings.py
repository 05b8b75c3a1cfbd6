"""Legacy readings of real controllers: an unlisted meter value, a single-phase installation."""

from __future__ import annotations

import logging

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api.bender_legacy import BenderLegacyClient
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.bender_legacy import SERIAL, LegacyDevice
from simulator.clock import SimClock

from ..common import entity_id
from ..conftest import StartSimulator
from .conftest import CHARGING_AT, TITLE, sensor_state

REAL_METER = "modbus_meter_nzr_ecocount_s85_or_sl85"


async def test_an_unlisted_meter_value_is_kept_as_sent(
    start_simulator: StartSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    device = LegacyDevice(SimClock(scale=0, start=CHARGING_AT), meter_cfg=REAL_METER)
    sim = await start_simulator(device)
    async with aiohttp.ClientSession() as session:
        client = BenderLegacyClient(session, sim.host)
        with caplog.at_level(logging.DEBUG):
            state = await client.full_state()
            await client.full_state()
    assert state.meter_configuration is None
    assert state.unlisted == {"ocpp_meter_cfg": REAL_METER}
    assert state.power_w is not None
    assert state.power_w > 0
    notes = [record for record in caplog.records if REAL_METER in record.getMessage()]
    assert len(notes) <= 1  # once per process: an earlier test may have logged it already
    assert all(record.levelno == logging.DEBUG for record in notes)


async def test_an_unlisted_value_shows_other_with_the_value_as_sent(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
    device = LegacyDevice(SimClock(scale=0, start=CHARGING_AT), meter_cfg=REAL_METER)
    sim = await start_simulator(device)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=SERIAL,
        data={CONF_VENDOR: "bender_legacy", "host": sim.host},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    meter = sensor_state(hass, "ocpp_meter_cfg")
    assert meter.state == "other"
    assert meter.attributes["raw_value"] == REAL_METER
    assert "other" in meter.attributes["options"]
    # a listed value reads as before, with no raw value beside it
    connection = sensor_state(hass, "conn_state")
    assert connection.state == "vehicle_charging_type2"
    assert "raw_value" not in connection.attributes
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    readings = diagnostics["raw_payloads"]["readings"]["controller"]
    assert readings["unlisted_values"] == {"ocpp_meter_cfg": REAL_METER}
    assert readings["auth_scheme"] == "none"


async def test_single_phase_leaves_phases_two_and_three_absent(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
    device = LegacyDevice(SimClock(scale=0, start=CHARGING_AT), phases=1, meter_cfg=REAL_METER)
    sim = await start_simulator(device)
    async with aiohttp.ClientSession() as session:
        state = await BenderLegacyClient(session, sim.host).full_state()
    assert len(state.currents_a) == 1
    assert state.currents_a[0] is not None
    assert state.currents_a[0] > 0
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=SERIAL,
        data={CONF_VENDOR: "bender_legacy", "host": sim.host},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    registry = er.async_get(hass)
    for phase in (1, 2, 3):
        registry.async_update_entity(
            entity_id(hass, "sensor", f"{SERIAL}_controller_current_phase_{phase}"),
            disabled_by=None,
        )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert float(sensor_state(hass, "current_phase_1").state) > 0
    assert sensor_state(hass, "current_phase_2").state == "unknown"
    assert sensor_state(hass, "current_phase_3").state == "unknown"
    assert float(sensor_state(hass, "power_w").state) > 0
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["raw_payloads"]["readings"]["controller"]["phases_sent"] == 1
