"""Every reading of the Legacy document the simulator plays: set-up and a poll with values."""

from __future__ import annotations

import json
import math

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api import EvseAuthenticationError
from custom_components.evse_bridge.api.bender_common import (
    OcppState,
    offers_legacy_api,
    parse_body,
)
from custom_components.evse_bridge.api.bender_legacy import (
    AUTH_BASIC,
    AUTH_HEADERS,
    AUTH_NONE,
    BenderLegacyClient,
    MeterConfiguration,
    parse_full_state,
)
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.bender_legacy import (
    SERIAL,
    VARIANTS,
    LegacyDevice,
)
from simulator.clock import SimClock

from ..conftest import SimServer, StartSimulator
from .conftest import CHARGING_AT, binary_state, sensor_state


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("password", [None, "secret"])
async def test_every_variant_sets_up_and_polls(
    hass: HomeAssistant, start_simulator: StartSimulator, variant: str, password: str | None
) -> None:
    device = LegacyDevice(SimClock(scale=0, start=CHARGING_AT), variant=variant, password=password)
    sim = await start_simulator(device)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="+4983900000000001",
        unique_id=SERIAL,
        data={CONF_VENDOR: "bender_legacy", "host": sim.host}
        | ({"username": "operator", "password": password} if password else {}),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert sensor_state(hass, "conn_state").state == "vehicle_charging_type2"
    assert sensor_state(hass, "meter_wh").attributes["unit_of_measurement"] == "kWh"
    assert sensor_state(hass, "ocpp_meter_cfg").state == "internal_meter"
    assert binary_state(hass, "cable_attached").state == "on"
    if variant == "json_nonfinite":
        # What the encoder wrote as NaN/Infinity is unknown, never a number or a failure.
        assert sensor_state(hass, "power_w").state == STATE_UNKNOWN
        assert sensor_state(hass, "ambient_temp").state == STATE_UNKNOWN
        assert sensor_state(hass, "meter_wh").state == STATE_UNKNOWN
    else:
        assert sensor_state(hass, "power_w").state == "11.0"
        assert sensor_state(hass, "ambient_temp").state == "27.5"
        assert float(sensor_state(hass, "meter_wh").state) > 426.416
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    expected = AUTH_NONE
    if password:
        expected = AUTH_BASIC if variant == "basic_auth" else AUTH_HEADERS
    assert diagnostics["raw_payloads"]["client"] == {"auth_scheme": expected}
    assert "secret" not in json.dumps(diagnostics, default=str)


async def test_basic_auth_after_refused_headers_is_remembered(
    start_simulator: StartSimulator, session: aiohttp.ClientSession
) -> None:
    device = LegacyDevice(SimClock(scale=0, start=CHARGING_AT), variant="basic_auth")
    device.password = "secret"
    sim = await start_simulator(device)
    client = BenderLegacyClient(session, sim.host, username="manufacturer", password="secret")
    assert client.auth_scheme == AUTH_HEADERS
    await client.full_state()
    assert client.auth_scheme == AUTH_BASIC
    assert sim.requests("GET /rest/full_state") == 2
    await client.full_state()
    assert sim.requests("GET /rest/full_state") == 3  # straight to what worked
    # Both schemes refused: the credentials are wrong.
    with pytest.raises(EvseAuthenticationError):
        await BenderLegacyClient(session, sim.host, password="wrong").full_state()
    # A controller that goes back to the headers is followed.
    device.variant = "text"
    await client.full_state()
    assert client.auth_scheme == AUTH_HEADERS


def test_json_numbers_and_nonfinite_values() -> None:
    body = (
        '{"cc_serial_n": 1703512493, "meter_wh": 426416, "power_w": NaN,'
        ' "ambient_temp": -Infinity, "transaction_wh": 1e999, "time_since_charging_start": '
        + "9"
        * 30
        + ', "current_a": [14.0, NaN, 14.1], "max_current": 16.0, "ocpp_state": "Unavailable",'
        ' "ocpp_meter_cfg": "modbus_meter_garo_EM270", "errors": ["rcd_triggered", ""]}'
    )
    state = parse_full_state(parse_body(body))
    assert state.serial == "1703512493"
    assert state.meter_wh == 426416
    assert state.power_w is None
    assert state.ambient_temperature_c is None
    assert state.transaction_wh is None
    assert state.charging_duration_s is None
    assert state.currents_a == (14.0, None, 14.1)
    assert state.max_current_a == 16.0
    assert state.ocpp_state is OcppState.UNAVAILABLE
    assert state.meter_configuration is MeterConfiguration.MODBUS_METER_GARO_EM270
    assert state.errors == ("rcd_triggered",)
    assert not any(
        isinstance(value, float) and not math.isfinite(value) for value in parse_body(body).values()
    )


async def test_offers_legacy_api(
    sim: SimServer, device: LegacyDevice, session: aiohttp.ClientSession
) -> None:
    assert await offers_legacy_api(session, sim.host)
    device.password = "secret"
    assert await offers_legacy_api(session, sim.host)  # a refusal is a Legacy controller too
    device.faults.update({"mode": "garbage"})
    assert not await offers_legacy_api(session, sim.host)
    device.faults.update({"mode": "drop"})
    assert not await offers_legacy_api(session, sim.host)
    device.faults.update({"mode": "none"})
    device.rest_enabled = False
    assert not await offers_legacy_api(session, sim.host)


async def test_no_session_values_while_idle(
    hass: HomeAssistant, entry: MockConfigEntry, clock: SimClock, device: LegacyDevice
) -> None:
    """Between sessions: 0 W, 0 kWh, 0 s, whatever the controller leaves in its keys."""
    clock.advance(1100.0 - CHARGING_AT)  # the next cycle's idle start
    original = device.full_state

    def stale_session() -> dict[str, str]:
        state = original()
        state |= {"transaction_wh": "13500", "time_since_charging_start": "2127"}
        return state

    device.full_state = stale_session  # type: ignore[method-assign]
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert sensor_state(hass, "conn_state").state == "no_vehicle_connected"
    assert sensor_state(hass, "power_w").state == "0.0"
    assert sensor_state(hass, "transaction_wh").state == "0.0"
    assert sensor_state(hass, "time_since_charging_start").state == "0.0"
