"""The ChargEye account in Home Assistant, against the simulated cloud over HTTP."""

from __future__ import annotations

import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.coordinator import STALE_AFTER_POLLS
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.clock import SimClock
from simulator.kempower_chargeye import (
    DEFAULT_ORGANIZATION,
    DEFAULT_REFRESH_TOKEN,
    ChargEyeDevice,
)

from ..common import entity_state, find_device, find_entity_id
from ..conftest import SimServer, StartSimulator
from .conftest import (
    AC,
    AC_PLUG,
    DC,
    DC_PLUG,
    EPOCH,
    START,
    advance,
    commands,
    device_id,
    eid,
)

AC_PLUG_2 = "connector_KEMAC-0001_2"
TOKEN_PATH = "GET /api/auth/refreshAccessToken"
STATIONS_PATH = "GET /api/stations"


@pytest.fixture
def clock() -> SimClock:
    """Simulated time, started where sessions are running."""
    return SimClock(scale=0, start=START)


def state(hass: HomeAssistant, entity_id: str) -> str:
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


# -- config flow ---------------------------------------------------------------------------


def _form(sim_url: str, token: str = DEFAULT_REFRESH_TOKEN, **extra: Any) -> dict[str, Any]:
    return {"refresh_token": token, **extra, "advanced": {"server_url": sim_url}}


async def test_config_flow(
    hass: HomeAssistant, sim: SimServer, start_simulator: StartSimulator
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "kempower_chargeye" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "kempower_chargeye"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "kempower_chargeye"
    # The server is ChargEye's own unless the user opens the section.
    assert result["data_schema"].schema["advanced"].options["collapsed"] is True
    flow_id = result["flow_id"]
    api = f"{sim.url}/api"

    result = await hass.config_entries.flow.async_configure(flow_id, _form(api, "wrong"))
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, _form(api, location_uid="loc-nowhere")
    )
    assert result["errors"] == {"location_uid": "no_stations"}
    result = await hass.config_entries.flow.async_configure(flow_id, _form(sim.url))
    assert result["errors"] == {"base": "not_chargeye"}
    result = await hass.config_entries.flow.async_configure(flow_id, _form("http://127.0.0.1:9"))
    assert result["errors"] == {"base": "cannot_connect_cloud"}
    # The refresh token travels only over HTTPS (plain HTTP only to this machine).
    before = sim.requests()
    for insecure in (
        "http://api.example.com/api",
        "http://192.168.1.20/api",
        "ftp://api.example.com",
        "https://user:pw@api.example.com",
        "https://",
        "api.example.com",
        "http://[::1",
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, _form(insecure))
        assert result["errors"] == {"base": "insecure_server_url"}, insecure
        # Shown again open, with the server the user typed.
        advanced = result["data_schema"].schema["advanced"]
        assert advanced.options["collapsed"] is False
    assert sim.requests() == before
    sim.device.control("rate_limit", {"seconds": 60})
    result = await hass.config_entries.flow.async_configure(flow_id, _form(api))
    assert result["errors"] == {"base": "rate_limited"}
    sim.device.control("rate_limit", {"seconds": 0})

    result = await hass.config_entries.flow.async_configure(
        flow_id, _form(f"{api}/", token=f"  {DEFAULT_REFRESH_TOKEN} ", location_uid="loc-office")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kempower ChargEye Office car park"
    data = dict(result["data"])
    # The probe's JWT is handed to the entry: adding the account costs one token exchange.
    assert data.pop("token").count(".") == 2
    assert data.pop("token_valid_until")
    assert data == {
        CONF_VENDOR: "kempower_chargeye",
        "refresh_token": DEFAULT_REFRESH_TOKEN,
        "server_url": api,
        "location_uid": "loc-office",
        "automatic_title": "Kempower ChargEye Office car park",
    }
    # The unique ID is the organisation named in the JWT, never the secret.
    assert result["result"].unique_id == DEFAULT_ORGANIZATION
    exchanges = sim.requests(TOKEN_PATH)
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert sim.requests(TOKEN_PATH) == exchanges
    await hass.async_block_till_done()

    # The same account again: refused.
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "kempower_chargeye"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(api))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    sim.device.control("set_refresh_token", {"token": "rotated-token"})
    sim.device.control("revoke_tokens", {})
    await advance(hass, frozen, clock, 60)
    assert state(hass, eid(hass, "sensor", DC, "output_power")) == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"refresh_token": "still-wrong"}
    )
    assert result["errors"] == {"refresh_token": "invalid_refresh_token"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"refresh_token": "rotated-token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded.data["refresh_token"] == "rotated-token"
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.LOADED
    assert state(hass, eid(hass, "sensor", DC, "output_power")) != STATE_UNAVAILABLE


async def test_reconfigure(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    start_simulator: StartSimulator,
    clock: SimClock,
) -> None:
    result = await loaded.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert "refresh_token" not in result["data_schema"].schema
    # Another organisation behind the new server: refused.
    other = await start_simulator(ChargEyeDevice(clock, organization_id="org-other", epoch=EPOCH))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"advanced": {"server_url": f"{other.url}/api"}}
    )
    # The stored refresh token never goes to another server unasked.
    assert result["step_id"] == "reconfigure_secret"
    assert other.requests() == 0
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"refresh_token": DEFAULT_REFRESH_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"

    result = await loaded.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"location_uid": "loc-office", "advanced": {"server_url": f"{sim.url}/api"}},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded.data["location_uid"] == "loc-office"
    await hass.async_block_till_done()
    assert state(hass, eid(hass, "sensor", AC, "output_power")) != STATE_UNAVAILABLE
    # The depot's stations are no longer part of this entry.
    for _ in range(STALE_AFTER_POLLS - 1):
        await loaded.runtime_data.coordinator.async_refresh()
    assert find_device(hass, f"{DEFAULT_ORGANIZATION}_station_KEMDC-0001") is None

    # Emptying the location brings back every station of the account.
    result = await loaded.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"advanced": {"server_url": f"{sim.url}/api"}}
    )
    assert result["reason"] == "reconfigure_successful"
    assert "location_uid" not in loaded.data
    await hass.async_block_till_done()
    assert state(hass, eid(hass, "sensor", DC, "output_power")) != STATE_UNAVAILABLE


# -- entities ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entity_values(hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer) -> None:
    assert state(hass, eid(hass, "sensor", DC, "station_status")) == "operative"
    assert state(hass, eid(hass, "binary_sensor", DC, "online")) == STATE_ON
    assert state(hass, eid(hass, "sensor", DC, "output_power")) == "180.0"
    assert state(hass, eid(hass, "sensor", DC, "input_current")) == "273.5"
    assert state(hass, eid(hass, "sensor", DC, "maximum_power")) == "300.0"
    assert state(hass, eid(hass, "sensor", DC_PLUG, "connector_status")) == "charging"
    assert state(hass, eid(hass, "sensor", DC_PLUG, "connector_type")) == "ccs"
    assert state(hass, eid(hass, "sensor", DC_PLUG, "power")) == "105.0"
    assert state(hass, eid(hass, "sensor", DC_PLUG, "session_energy")) == "53.188"
    assert state(hass, eid(hass, "sensor", DC_PLUG, "state_of_charge")) == "88"
    assert state(hass, eid(hass, "sensor", DC_PLUG, "transaction_status")) == "charging"
    assert state(hass, eid(hass, "switch", DC_PLUG, "available")) == STATE_ON
    # The running transaction's id is on the connector's status.
    status = entity_state(hass, "sensor", f"{DEFAULT_ORGANIZATION}_{DC_PLUG}_connector_status")
    assert status.attributes["transaction_id"] == "TX-KEMDC-0001-1-1"
    assert status.name == "Depot charger 1 connector 1 Connector status"
    phase = entity_state(hass, "sensor", f"{DEFAULT_ORGANIZATION}_{DC_PLUG}_transaction_status")
    assert phase.name == "Depot charger 1 connector 1 Session phase"
    # The vehicle's state of charge: named for the vehicle, no battery badge.
    soc = entity_state(hass, "sensor", f"{DEFAULT_ORGANIZATION}_{DC_PLUG}_state_of_charge")
    assert soc.name == "Depot charger 1 connector 1 Vehicle state of charge"
    assert "device_class" not in soc.attributes
    # No limit set: the limit reads as the rating (the maximum), marked as not limited.
    power_limit = entity_state(hass, "number", f"{DEFAULT_ORGANIZATION}_{DC}_power_limit")
    assert power_limit.state == "300.0"
    assert power_limit.attributes["limited"] is False
    assert power_limit.name == "Depot charger 1 Power limit"
    assert power_limit.attributes["unit_of_measurement"] == "kW"
    assert power_limit.attributes["max"] == 300.0
    plug_power_limit = entity_state(hass, "number", f"{DEFAULT_ORGANIZATION}_{DC_PLUG}_power_limit")
    assert (plug_power_limit.state, plug_power_limit.attributes["limited"]) == ("200.0", False)
    assert state(hass, eid(hass, "sensor", DC_PLUG, "maximum_power")) == "200.0"
    # The session limit is there while a transaction runs, at the connector's rating.
    session_limit = entity_state(
        hass, "number", f"{DEFAULT_ORGANIZATION}_{DC_PLUG}_session_power_limit"
    )
    assert (session_limit.state, session_limit.attributes["limited"]) == ("200.0", False)
    # AC: limits in A, named for what they are; no state of charge.
    ac_limit = entity_state(hass, "number", f"{DEFAULT_ORGANIZATION}_{AC}_power_limit")
    assert ac_limit.name == "Office charger 1 Current limit"
    assert ac_limit.attributes["unit_of_measurement"] == "A"
    assert ac_limit.attributes["max"] == 64.0
    plug_limit = entity_state(hass, "number", f"{DEFAULT_ORGANIZATION}_{AC_PLUG}_power_limit")
    assert plug_limit.attributes["max"] == 32.0
    assert plug_limit.attributes["unit_of_measurement"] == "A"
    assert (
        find_entity_id(hass, "sensor", f"{DEFAULT_ORGANIZATION}_{AC_PLUG}_state_of_charge") is None
    )
    assert state(hass, eid(hass, "sensor", AC_PLUG, "connector_type")) == "type2"
    # The second DC station's first connector finished its session: session values 0,
    # the ended transaction's phase shown, no SoC, no session limit.
    ended = "connector_KEMDC-0002_connector1"
    assert state(hass, eid(hass, "sensor", ended, "connector_status")) == "available"
    assert state(hass, eid(hass, "sensor", ended, "transaction_status")) == "ended"
    assert state(hass, eid(hass, "sensor", ended, "session_energy")) == "0.0"
    assert state(hass, eid(hass, "sensor", ended, "state_of_charge")) == STATE_UNKNOWN
    assert state(hass, eid(hass, "sensor", ended, "power")) == "0.0"
    assert state(hass, eid(hass, "number", ended, "session_power_limit")) == STATE_UNAVAILABLE
    ended_status = entity_state(hass, "sensor", f"{DEFAULT_ORGANIZATION}_{ended}_connector_status")
    assert ended_status.attributes["transaction_id"] is None

    station = dr.async_get(hass).async_get(device_id(hass, "station_KEMDC-0001"))
    assert station is not None
    assert station.manufacturer == "Kempower"
    assert station.model == "Kempower Satellite S-Series"
    assert station.serial_number == "KP2300017"
    plug = dr.async_get(hass).async_get(device_id(hass, "connector_KEMDC-0001_connector1"))
    assert plug is not None
    assert plug.via_device_id == station.id
    # The station's ChargEye location becomes the devices' area.
    assert station.area_id == "bus_depot"
    assert plug.area_id == "bus_depot"


async def test_polling_uses_one_token(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    for _ in range(60):
        await advance(hass, frozen, clock, 60)
    # An hour of polling: 61 polls of one request each, the power groups read at set-up and
    # every 5 minutes, one token exchange.
    assert sim.requests(STATIONS_PATH) == 61
    assert sim.requests("GET /api/loadBalancing/powerGroups") == 13
    assert sim.requests(TOKEN_PATH) == 1
    assert sim.requests() == 75


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_power_limit_numbers(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": eid(hass, "number", DC, "power_limit"), "value": 150},
        blocking=True,
    )
    assert commands(sim)[-1]["path"] == "/chargingStations/KEMDC-0001/powerLimit"
    assert commands(sim)[-1]["body"] == {"limit": {"dcMaxPowerKw": 150.0}}
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": eid(hass, "number", AC_PLUG, "power_limit"), "value": 16},
        blocking=True,
    )
    assert commands(sim)[-1]["path"] == "/chargingStations/KEMAC-0001/evses/1/powerLimit"
    assert commands(sim)[-1]["body"] == {"limit": {"acMaxPowerA": 16.0}}
    await advance(hass, frozen, clock, 60)
    assert state(hass, eid(hass, "number", DC, "power_limit")) == "150.0"
    limited = entity_state(hass, "number", f"{DEFAULT_ORGANIZATION}_{DC}_power_limit")
    assert limited.attributes["limited"] is True
    assert state(hass, eid(hass, "number", AC_PLUG, "power_limit")) == "16.0"
    # 16 A on three phases of 230 V is about 11 kW: the simulated car now draws less.
    assert float(state(hass, eid(hass, "sensor", AC_PLUG, "power"))) <= 11.04

    sim.device.control("reject", {"operations": ["power_limit"]})
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": eid(hass, "number", DC, "power_limit"), "value": 90},
            blocking=True,
        )
    assert info.value.translation_key == "command_rejected"
    assert info.value.translation_placeholders["target"] == "Depot charger 1"
    assert state(hass, eid(hass, "number", DC, "power_limit")) == "150.0"
    await advance(hass, frozen, clock, 60)
    assert state(hass, eid(hass, "number", DC, "power_limit")) == "150.0"

    # The limits survive a restart of Home Assistant (the API does not report them).
    assert loaded.data["limits"] == {DC: 150.0, AC_PLUG: 16.0}
    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert state(hass, eid(hass, "number", DC, "power_limit")) == "150.0"

    # Clearing: the "Remove limit" button, or the action; the numbers go back to the rating.
    sim.device.control("reject", {"operations": []})
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": eid(hass, "button", DC, "clear_power_limit")},
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "clear_power_limit",
        {"device_id": device_id(hass, "connector_KEMAC-0001_1")},
        blocking=True,
    )
    assert [(c["method"], c["path"]) for c in commands(sim)[-2:]] == [
        ("DELETE", "/chargingStations/KEMDC-0001/powerLimit"),
        ("DELETE", "/chargingStations/KEMAC-0001/evses/1/powerLimit"),
    ]
    await advance(hass, frozen, clock, 60)
    cleared = entity_state(hass, "number", f"{DEFAULT_ORGANIZATION}_{DC}_power_limit")
    assert (cleared.state, cleared.attributes["limited"]) == ("300.0", False)
    assert state(hass, eid(hass, "number", AC_PLUG, "power_limit")) == "32.0"
    assert "limits" not in loaded.data
    # The maximum stays the rating whatever the limit.
    assert state(hass, eid(hass, "sensor", DC_PLUG, "maximum_power")) == "200.0"
    sim.device.control("reject", {"operations": ["clear_power_limit"]})
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": eid(hass, "number", DC_PLUG, "power_limit"), "value": 50},
        blocking=True,
    )
    # Writes to one target are at least the write interval apart (safe writes).
    await advance(hass, frozen, clock, 60)
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN,
            "clear_power_limit",
            {"device_id": device_id(hass, "connector_KEMDC-0001_connector1")},
            blocking=True,
        )
    assert info.value.translation_key == "command_rejected"
    await advance(hass, frozen, clock, 60)
    assert state(hass, eid(hass, "number", DC_PLUG, "power_limit")) == "50.0"


async def test_availability_switch(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": eid(hass, "switch", AC_PLUG, "available")},
        blocking=True,
    )
    assert commands(sim)[-1]["path"] == "/chargingStations/KEMAC-0001/evses/1/availability"
    assert commands(sim)[-1]["body"] == {"type": "Inoperative"}
    await hass.async_block_till_done()
    assert state(hass, eid(hass, "switch", AC_PLUG, "available")) == STATE_OFF
    assert state(hass, eid(hass, "sensor", AC_PLUG, "connector_status")) == "inoperative"
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": eid(hass, "switch", AC_PLUG, "available")}, blocking=True
    )
    assert commands(sim)[-1]["body"] == {"type": "Operative"}
    await hass.async_block_till_done()
    assert state(hass, eid(hass, "switch", AC_PLUG, "available")) == STATE_ON
    sim.device.control("reject", {"operations": ["availability"]})
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            "switch",
            "turn_off",
            {"entity_id": eid(hass, "switch", AC_PLUG, "available")},
            blocking=True,
        )
    assert info.value.translation_key == "command_rejected"
    assert state(hass, eid(hass, "switch", AC_PLUG, "available")) == STATE_ON


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_restart(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    last_command = eid(hass, "sensor", DC, "last_command")
    assert state(hass, last_command) == "unknown"
    await hass.services.async_call(
        "button", "press", {"entity_id": eid(hass, "button", DC, "restart")}, blocking=True
    )
    assert commands(sim)[-1]["path"] == "/chargingStations/KEMDC-0001/reset"
    assert commands(sim)[-1]["body"] == {"type": "OnIdle"}
    # The station's answer shows on the device page.
    assert state(hass, last_command) == "accepted"
    assert hass.states.get(last_command).attributes["command"] == "Restart when idle"
    await hass.services.async_call(
        DOMAIN,
        "restart_station",
        {"device_id": device_id(hass, "station_KEMAC-0001"), "immediate": True},
        blocking=True,
    )
    assert commands(sim)[-1]["path"] == "/chargingStations/KEMAC-0001/reset"
    assert commands(sim)[-1]["body"] == {"type": "Immediate"}
    # The press asked for a refresh just before: this one waits for the next poll.
    await advance(hass, frozen, clock, 20)
    assert state(hass, eid(hass, "binary_sensor", AC, "online")) == STATE_OFF
    assert state(hass, eid(hass, "sensor", AC_PLUG, "connector_status")) == "status_unknown"
    assert state(hass, eid(hass, "switch", AC_PLUG, "available")) == "unknown"
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN,
            "restart_station",
            {"device_id": device_id(hass, "connector_KEMAC-0001_1")},
            blocking=True,
        )
    assert validation.value.translation_key == "wrong_target"
    sim.device.control("reject", {"operations": ["reset"]})
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            "button", "press", {"entity_id": eid(hass, "button", DC, "restart")}, blocking=True
        )
    assert info.value.translation_key == "command_rejected"
    assert state(hass, last_command) == "refused"
    # A connector's own button answers on the connector.
    plug_command = eid(hass, "sensor", DC_PLUG, "last_command")
    sim.device.control("reject", {"operations": []})
    await hass.services.async_call(
        "button",
        "press",
        {"entity_id": eid(hass, "button", DC_PLUG, "clear_power_limit")},
        blocking=True,
    )
    assert state(hass, plug_command) == "accepted"
    assert hass.states.get(plug_command).attributes["command"] == "Remove limit"
    assert state(hass, last_command) == "refused"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_start_and_stop_actions(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    plug = device_id(hass, "connector_KEMAC-0001_2")
    await hass.services.async_call(
        DOMAIN, "start_transaction", {"device_id": plug, "id_token": "APP-42"}, blocking=True
    )
    assert commands(sim)[-1]["path"] == "/chargingStations/KEMAC-0001/evses/2/transactions"
    assert commands(sim)[-1]["body"] == {"idToken": "APP-42", "idTokenType": "APP_USER"}
    await hass.services.async_call(
        DOMAIN,
        "start_transaction",
        {"device_id": plug, "id_token": "04A1B2C3", "id_token_type": "RFID"},
        blocking=True,
    )
    assert commands(sim)[-1]["body"] == {"idToken": "04A1B2C3", "idTokenType": "RFID"}
    # The document allows a start without a token (null).
    await hass.services.async_call(
        DOMAIN, "start_transaction", {"device_id": plug, "id_token": "  "}, blocking=True
    )
    assert commands(sim)[-1]["body"] == {"idToken": None}
    await hass.services.async_call(DOMAIN, "start_transaction", {"device_id": plug}, blocking=True)
    assert commands(sim)[-1]["body"] == {"idToken": None}

    # Stop the running session of a connector.
    await hass.services.async_call(DOMAIN, "stop_transaction", {"device_id": plug}, blocking=True)
    assert commands(sim)[-1]["path"] == "/transactions/TX-KEMAC-0001-2-3/stop"
    await advance(hass, frozen, clock, 60)
    assert state(hass, eid(hass, "sensor", AC_PLUG_2, "transaction_status")) == "ended"
    assert state(hass, eid(hass, "sensor", AC_PLUG_2, "power")) == "0.0"
    # No session runs any more: a translated validation error, nothing sent.
    sent = len(commands(sim))
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN, "stop_transaction", {"device_id": plug}, blocking=True
        )
    assert validation.value.translation_key == "no_running_transaction"
    assert len(commands(sim)) == sent
    # By transaction ID on the account.
    await hass.services.async_call(
        DOMAIN,
        "stop_transaction",
        {"config_entry_id": loaded.entry_id, "transaction_id": "TX-KEMDC-0001-1-1"},
        blocking=True,
    )
    assert commands(sim)[-1]["path"] == "/transactions/TX-KEMDC-0001-1-1/stop"
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN, "stop_transaction", {"config_entry_id": loaded.entry_id}, blocking=True
        )
    assert validation.value.translation_key == "transaction_or_connector_required"
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN,
            "start_transaction",
            {"device_id": device_id(hass, "station_KEMAC-0001"), "id_token": "x"},
            blocking=True,
        )
    assert validation.value.translation_key == "wrong_target"

    sim.device.control("reject", {"operations": ["start", "stop"]})
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN, "start_transaction", {"device_id": plug, "id_token": "APP-42"}, blocking=True
        )
    assert info.value.translation_key == "command_rejected"
    assert info.value.translation_placeholders["target"] == "Office charger 1 connector 2"
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN,
            "stop_transaction",
            {"device_id": device_id(hass, "connector_KEMDC-0001_connector2")},
            blocking=True,
        )
    assert info.value.translation_key == "command_rejected"
    assert info.value.translation_placeholders["target"] == "Depot charger 1 connector 2"
    # A transaction the entry never saw: refused before the cloud is asked.
    sim.device.control("reject", {"operations": []})
    before = sim.requests()
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN,
            "stop_transaction",
            {"config_entry_id": loaded.entry_id, "transaction_id": "TX-none"},
            blocking=True,
        )
    assert validation.value.translation_key == "chargeye_unknown_transaction"
    assert sim.requests() == before


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_stations_appear_and_disappear(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": eid(hass, "number", "station_KEMDC-0002", "power_limit"), "value": 120},
        blocking=True,
    )
    sim.device.control("add_station", {"kind": "dc"})
    sim.device.control("remove_station", {"station_id": "KEMDC-0002"})
    for _ in range(STALE_AFTER_POLLS):
        await advance(hass, frozen, clock, 60)
    assert state(hass, eid(hass, "sensor", "station_KEMDC-0003", "station_status")) == "operative"
    assert (
        state(hass, eid(hass, "sensor", "connector_KEMDC-0003_connector1", "connector_type"))
        == "ccs"
    )
    for key in ("station_KEMDC-0002", "connector_KEMDC-0002_connector1"):
        assert find_device(hass, f"{DEFAULT_ORGANIZATION}_{key}") is None
    assert (
        find_entity_id(hass, "sensor", f"{DEFAULT_ORGANIZATION}_station_KEMDC-0002_station_status")
        is None
    )
    # The removed station's limit is forgotten with it.
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded)
    assert diagnostics["raw_payloads"]["limits_set"] == {}


async def test_faults_unavailable_then_recover(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.evse_bridge")
    sim.device.faults.update({"mode": "http_500"})
    await advance(hass, frozen, clock, 60)
    assert state(hass, eid(hass, "sensor", DC, "output_power")) == STATE_UNAVAILABLE
    for _ in range(4):
        await advance(hass, frozen, clock, 60)
    # Five polls due, one not sent: after three failures the client waits 120 s.
    assert sim.requests(STATIONS_PATH) == 1 + 4
    failures = [r for r in caplog.records if "ChargEye server error" in r.getMessage()]
    assert len(failures) == 1
    sim.device.faults.update({"mode": "none"})
    # Four failures: the next poll is sent 240 s after the last one, and recovers.
    await advance(hass, frozen, clock, 60)
    assert state(hass, eid(hass, "sensor", DC, "output_power")) == STATE_UNAVAILABLE
    await advance(hass, frozen, clock, 180)
    assert sim.requests(STATIONS_PATH) == 6
    assert state(hass, eid(hass, "sensor", DC, "output_power")) != STATE_UNAVAILABLE
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_rate_limited_poll(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    power = eid(hass, "sensor", DC, "output_power")
    before = state(hass, power)
    sim.device.control("rate_limit", {"seconds": 150})
    await advance(hass, frozen, clock, 60)
    assert sim.requests(STATIONS_PATH) == 2
    # A single 429 keeps the last data: nothing goes unavailable.
    assert state(hass, power) == before
    # The next poll waits the 90 s of Retry-After left, not the 60 s interval.
    await advance(hass, frozen, clock, 60)
    assert sim.requests(STATIONS_PATH) == 2
    await advance(hass, frozen, clock, 60)
    assert sim.requests(STATIONS_PATH) == 3
    assert state(hass, power) != STATE_UNAVAILABLE


async def test_rate_limited_twice_in_a_row(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    power = eid(hass, "sensor", DC, "output_power")
    sim.device.control("rate_limit", {"seconds": 90})
    await advance(hass, frozen, clock, 60)
    assert sim.requests(STATIONS_PATH) == 2
    assert state(hass, power) != STATE_UNAVAILABLE
    # Retry-After (30 s) is shorter than the interval: the next poll comes at the interval.
    sim.device.control("rate_limit", {"seconds": 200})
    await advance(hass, frozen, clock, 60)
    assert sim.requests(STATIONS_PATH) == 3
    # The second 429 in a row fails the update; the next poll waits its 140 s Retry-After.
    assert state(hass, power) == STATE_UNAVAILABLE
    for _ in range(2):
        await advance(hass, frozen, clock, 60)
        assert sim.requests(STATIONS_PATH) == 3
    await advance(hass, frozen, clock, 30)
    assert sim.requests(STATIONS_PATH) == 4
    assert state(hass, power) != STATE_UNAVAILABLE


async def test_diagnostics(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded)
    assert diagnostics["entry"]["data"]["refresh_token"] == "**REDACTED**"
    raw = diagnostics["raw_payloads"]
    assert raw["token_exchanges"] == 1
    assert set(raw["token_exchange"]) == {"validUntil"}
    assert raw["stations"]["stations"][0]["location"]["address"] == "**REDACTED**"
    assert DEFAULT_REFRESH_TOKEN not in str(diagnostics)
    assert "station_KEMDC-0001" in diagnostics["devices"]


async def test_unload(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.NOT_LOADED


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_action_targets_and_failures(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    station = device_id(hass, "station_KEMDC-0001")
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(DOMAIN, "restart_station", {}, blocking=True)
    assert validation.value.translation_key == "no_target"
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN, "restart_station", {"device_id": "not-a-device"}, blocking=True
        )
    assert validation.value.translation_key == "unknown_device"
    # The cloud fails: a translated communication error.
    sim.device.faults.update({"mode": "http_500"})
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN, "restart_station", {"device_id": station}, blocking=True
        )
    assert info.value.translation_key == "command_failed"
    sim.device.faults.update({"mode": "none"})
    # The refresh token was revoked: the action fails and reauthentication starts.
    sim.device.control("set_refresh_token", {"token": "rotated-token"})
    sim.device.control("revoke_tokens", {})
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            "button", "press", {"entity_id": eid(hass, "button", DC, "restart")}, blocking=True
        )
    assert info.value.translation_key == "authentication_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    # An unloaded entry takes no actions.
    assert await hass.config_entries.async_unload(loaded.entry_id)
    with pytest.raises(ServiceValidationError) as validation:
        await hass.services.async_call(
            DOMAIN, "restart_station", {"device_id": station}, blocking=True
        )
    assert validation.value.translation_key == "entry_not_loaded"
