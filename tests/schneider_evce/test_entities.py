"""Entities and devices of an EVCE hub, against the simulator over HTTPS."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.schneider_evce import PASSWORD, SERIAL

from ..common import entity_id, entity_state, find_device, find_entity_id, get_device
from ..conftest import SimServer
from .conftest import (
    LOGIN_PATH,
    STATUSES_PATH,
    TITLE,
    MakeClient,
    ScriptedEvceDevice,
    entry_data,
    refresh,
)


def eid(hass: HomeAssistant, platform: str, key: str) -> str:
    """The entity ID of the entry's ``platform`` entity ``{device key}_{description key}``."""
    return entity_id(hass, platform, f"{SERIAL}_{key}")


def state(hass: HomeAssistant, platform: str, key: str) -> str:
    """The state of the entry's ``platform`` entity ``{device key}_{description key}``."""
    return entity_state(hass, platform, f"{SERIAL}_{key}").state


def hub_evse(hub: ScriptedEvceDevice, station_id: int, evse: int) -> dict[str, float]:
    station = hub.station_status(hub.stations[station_id])
    return next(item for item in station["evses"] if item["id"] == evse)


async def test_station_values(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    bay2_1 = hub_evse(hub, 102, 1)
    bay2_2 = hub_evse(hub, 102, 2)
    assert state(hass, "sensor", "station_102_status") == "charging"
    assert state(hass, "sensor", "station_102_connector_1_status") == bay2_1["status"]
    assert state(hass, "sensor", "station_102_connector_2_status") == bay2_2["status"]
    assert state(hass, "sensor", "station_102_ocpp_status") == "connected"
    power = hass.states.get(eid(hass, "sensor", "station_102_power"))
    assert power is not None
    assert power.attributes["unit_of_measurement"] == "kW"
    assert float(power.state) == pytest.approx(
        (bay2_1["power_w"] + bay2_2["power_w"]) / 1000, abs=0.01
    )
    energy = hass.states.get(eid(hass, "sensor", "station_102_energy"))
    assert energy is not None
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["device_class"] == "energy"
    assert float(energy.state) == pytest.approx(
        (bay2_1["energy_wh"] + bay2_2["energy_wh"]) / 1000, abs=0.01
    )
    session = hub_evse(hub, 101, 1)["session_energy_wh"]
    assert float(state(hass, "sensor", "station_101_session_energy")) == pytest.approx(
        session / 1000, abs=0.01
    )
    # A single-socket station has one connector sensor.
    assert find_entity_id(hass, "sensor", f"{SERIAL}_station_101_connector_2_status") is None
    assert state(hass, "switch", "station_101_availability") == "on"
    assert state(hass, "button", "station_101_restart") == "unknown"
    assert state(hass, "sensor", "hub_stations_connected") == "3"


async def test_zone_and_meter_values(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    zone = hub.zone_status(hub.zones[7])
    for index in range(3):
        assert (
            float(state(hass, "sensor", f"zone_7_current_phase_{index + 1}"))
            == (zone["current_a"][index])
        )
    assert float(state(hass, "sensor", "zone_7_power")) == pytest.approx(
        zone["power_w"] / 1000, abs=0.01
    )
    assert state(hass, "sensor", "zone_7_setpoint") == "125.0"
    reduction = hass.states.get(eid(hass, "number", "zone_7_reduction"))
    assert reduction is not None
    assert reduction.state == "0.0"
    assert reduction.attributes["unit_of_measurement"] == "A"
    assert reduction.attributes["max"] == 125
    assert reduction.attributes["min"] == 0
    values = {item["name"]: item["value"] for item in hub.pm_values(hub.pms[1234])["values"]}
    assert float(state(hass, "sensor", "power_meter_1234_voltage_phase_1")) == values["voltage_l1"]
    assert float(state(hass, "sensor", "power_meter_1234_voltage_phase_3")) == values["voltage_l3"]
    assert float(state(hass, "sensor", "power_meter_1234_current_phase_2")) == values["current_l2"]
    assert float(state(hass, "sensor", "power_meter_1234_power")) == values["power_active"]
    assert float(state(hass, "sensor", "power_meter_1234_frequency")) == values["frequency"]
    energy = hass.states.get(eid(hass, "sensor", "power_meter_1234_energy_import"))
    assert energy is not None
    assert float(energy.state) == values["energy_active_import"]
    assert energy.attributes["state_class"] == "total_increasing"


async def test_devices(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    hub = get_device(hass, f"{SERIAL}_hub")
    assert hub.manufacturer == "Schneider Electric"
    assert hub.model == "HMIBSCEA53D1EDB"
    assert hub.serial_number == SERIAL
    assert hub.sw_version == "6.0.2"
    for key in ("station_101", "station_102", "zone_7", "zone_8", "power_meter_1234"):
        device = get_device(hass, f"{SERIAL}_{key}")
        assert device.via_device_id == hub.id
    station = get_device(hass, f"{SERIAL}_station_102")
    assert station.name == "Bay 2"
    assert station.serial_number == "EVB1A22P4KI00102"
    entity = er.async_get(hass).async_get(eid(hass, "sensor", "station_102_power"))
    assert entity is not None
    assert entity.unique_id == f"{SERIAL}_station_102_power"


async def test_one_login_and_few_requests(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    hub: ScriptedEvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert sim.requests(LOGIN_PATH) == 1
    assert loaded_entry.data["token"]
    hub.stats.by_path.clear()
    for _ in range(5):
        hub.clock.advance(30)
        await refresh(hass, loaded_entry)
    # Per poll: all stations in one request, status and reduction per zone, values per meter.
    assert sim.requests() == 5 * (1 + 2 * 2 + 1)
    assert sim.requests(STATUSES_PATH) == 5
    assert sim.requests("GET /api/v2/stations/") == 0
    # Every 10 minutes the lists are read again.
    freezer.tick(timedelta(minutes=10))
    await refresh(hass, loaded_entry)
    assert sim.requests("GET /api/v2/stations/") == 1
    assert sim.requests("GET /api/v2/em/zones") == 1
    assert sim.requests("GET /api/v2/pms") == 1
    assert sim.requests(LOGIN_PATH) == 0
    # Unloading releases the hub's single connection.
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert sim.requests("POST /api/v2/login/logout") == 1
    assert hub.tokens == {}
    assert "token" not in loaded_entry.data


async def test_stored_token_is_reused_after_a_restart(
    hass: HomeAssistant, sim: SimServer, hub: ScriptedEvceDevice, make_client: MakeClient
) -> None:
    earlier = make_client()
    await earlier.login()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=SERIAL,
        data=entry_data(sim, hub, token=earlier.token),
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert sim.requests(LOGIN_PATH) == 1  # the earlier run's, none for this one
    # A token the hub forgot (it rebooted) costs exactly one login.
    hub.reboot()
    await refresh(hass, entry)
    assert sim.requests(LOGIN_PATH) == 2
    assert entry.data["token"] != earlier.token
    # After that reconnection the lists are read again, once.
    lists = sim.requests("GET /api/v2/stations/")
    await refresh(hass, entry)
    await refresh(hass, entry)
    assert sim.requests("GET /api/v2/stations/") == lists + 1


async def test_stations_zones_and_meters_come_and_go(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    new_id = hub.control("add_station", {})["id"]
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor", f"station_{new_id}_status") in {"available", "charging"}
    assert get_device(hass, f"{SERIAL}_station_{new_id}")
    hub.control("remove_station", {"id": 102})
    await refresh(hass, loaded_entry)
    assert find_device(hass, f"{SERIAL}_station_102") is None
    # Its entities go with the device.
    assert find_entity_id(hass, "sensor", f"{SERIAL}_station_102_status") is None
    hub.control("remove_zone", {"id": 8})
    hub.control("remove_pm", {"id": 1234})
    await refresh(hass, loaded_entry)
    assert find_device(hass, f"{SERIAL}_zone_8") is None
    assert find_device(hass, f"{SERIAL}_power_meter_1234") is None
    zone_id = hub.control("add_zone", {})["id"]
    await refresh(hass, loaded_entry)  # the zone list is read again after the 404s
    assert get_device(hass, f"{SERIAL}_zone_{zone_id}")


async def test_fault_makes_entities_unavailable_then_recovers(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    sim: SimServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    hub.faults.update({"mode": "http_500"})
    await refresh(hass, loaded_entry)
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor", "station_101_power") == STATE_UNAVAILABLE
    assert state(hass, "number", "zone_7_reduction") == STATE_UNAVAILABLE
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    hub.faults.update({"mode": "none"})
    hub.stats.by_path.clear()
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor", "station_101_status") != STATE_UNAVAILABLE
    assert "recovered" in caplog.text
    # Reconnected: the lists are read again.
    assert sim.requests("GET /api/v2/stations/") == 1


async def test_offline_station(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.control("station_online", {"id": 101, "online": False})
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor", "station_101_ocpp_status") == "disconnected"
    assert state(hass, "sensor", "station_101_status") == "unknown"
    assert state(hass, "switch", "station_101_availability") == "unknown"
    assert state(hass, "sensor", "hub_stations_connected") == "2"


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    text = repr(diagnostics)
    assert PASSWORD not in text
    assert loaded_entry.data["token"] not in text
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["token"] == "**REDACTED**"
    assert "stations_statuses" in diagnostics["raw_payloads"]
    assert "pm_1234" in diagnostics["raw_payloads"]


async def test_measurements_only_where_the_hub_reports_them(
    hass: HomeAssistant, entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    statuses = [hub.station_status(station) for station in hub.stations.values()]
    for status in statuses:
        for evse in status["evses"]:
            del evse["session_energy_wh"]
    hub.scripted[STATUSES_PATH] = (200, statuses)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert find_entity_id(hass, "sensor", f"{SERIAL}_station_101_session_energy") is None
    assert hass.states.get(eid(hass, "sensor", "station_101_energy")) is not None
