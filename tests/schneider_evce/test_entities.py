"""Entities and devices of an EVCE hub, against the simulator over HTTPS."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.coordinator import STALE_AFTER_POLLS
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.schneider_evce import PASSWORD, SERIAL

from ..common import entity_state, find_device, find_entity_id, get_device
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


def state(hass: HomeAssistant, entity_id: str) -> str:
    item = hass.states.get(entity_id)
    assert item is not None, entity_id
    return item.state


def hub_evse(hub: ScriptedEvceDevice, station_id: int, evse: int) -> dict[str, float]:
    station = hub.station_status(hub.stations[station_id])
    return next(item for item in station["evses"] if item["id"] == evse)


def uid_state(hass: HomeAssistant, platform: str, key: str) -> str:
    """State of the entity ``{SERIAL}_{key}``."""
    return entity_state(hass, platform, f"{SERIAL}_{key}").state


async def test_station_and_connector_values(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    bay2_1 = hub_evse(hub, 102, 1)
    bay2_2 = hub_evse(hub, 102, 2)
    assert uid_state(hass, "sensor", "station_102_status") == "charging"
    assert uid_state(hass, "sensor", "station_102_ocpp_status") == "connected"
    # Status, power and session energy per connector, never summed per station.
    for key, evse in (("station_102_connector_1", bay2_1), ("station_102_connector_2", bay2_2)):
        status = entity_state(hass, "sensor", f"{SERIAL}_{key}_status")
        assert status.state == evse["status"]
        assert status.attributes["transaction_id"] == evse.get("transaction_id")
        power = entity_state(hass, "sensor", f"{SERIAL}_{key}_power")
        assert power.attributes["unit_of_measurement"] == "kW"
        expected_power = evse["power_w"] if evse["status"] == "charging" else 0
        assert float(power.state) == pytest.approx(expected_power / 1000, abs=0.01)
        energy = entity_state(hass, "sensor", f"{SERIAL}_{key}_energy")
        assert energy.attributes["state_class"] == "total_increasing"
        assert float(energy.state) == pytest.approx(evse["energy_wh"] / 1000, abs=0.01)
        session = float(uid_state(hass, "sensor", f"{key}_session_energy"))
        in_session = "transaction_id" in evse
        expected = evse["session_energy_wh"] / 1000 if in_session else 0.0
        assert session == pytest.approx(expected, abs=0.01)
    for key in ("power", "energy", "session_energy"):
        assert find_entity_id(hass, "sensor", f"{SERIAL}_station_102_{key}") is None
    # A station with several connectors has a switch per connector besides its own.
    assert uid_state(hass, "switch", "station_102_connector_2_availability") == "on"
    assert find_entity_id(hass, "switch", f"{SERIAL}_station_101_connector_1_availability") is None
    assert uid_state(hass, "switch", "station_101_availability") == "on"
    assert uid_state(hass, "button", "station_101_restart") == "unknown"
    assert uid_state(hass, "sensor", "hub_stations_connected") == "3"


async def test_between_sessions_power_and_session_energy_are_zero(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    evse = hub.stations[101].evses[0]
    evse.jump(hub.clock.now(), 0)  # the start of the idle phase
    await refresh(hass, loaded_entry)
    assert uid_state(hass, "sensor", "station_101_connector_1_status") == "available"
    assert float(uid_state(hass, "sensor", "station_101_connector_1_power")) == 0
    assert float(uid_state(hass, "sensor", "station_101_connector_1_session_energy")) == 0
    status = entity_state(hass, "sensor", f"{SERIAL}_station_101_connector_1_status")
    assert status.attributes["transaction_id"] is None
    assert status.attributes["session_start"] is None
    hub.clock.advance(evse.cycle.times.idle + evse.cycle.times.connected + 60)
    await refresh(hass, loaded_entry)
    status = entity_state(hass, "sensor", f"{SERIAL}_station_101_connector_1_status")
    assert status.state == "charging"
    assert status.attributes["transaction_id"] == hub_evse(hub, 101, 1)["transaction_id"]
    assert status.attributes["session_start"] is not None


async def test_zone_and_meter_values(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    zone = hub.zone_status(hub.zones[7])
    for index in range(3):
        assert (
            float(state(hass, f"sensor.parking_a_current_phase_{index + 1}"))
            == (zone["current_a"][index])
        )
    assert float(state(hass, "sensor.parking_a_power")) == pytest.approx(
        zone["power_w"] / 1000, abs=0.01
    )
    assert state(hass, "sensor.parking_a_current_set_point") == "125.0"
    reduction = hass.states.get("number.parking_a_current_reduction")
    assert reduction is not None
    assert reduction.state == "0.0"
    assert reduction.attributes["unit_of_measurement"] == "A"
    assert reduction.attributes["max"] == 125
    assert reduction.attributes["min"] == 0
    power_reduction = hass.states.get("number.parking_a_power_reduction")
    assert power_reduction is not None
    assert power_reduction.state == "0.0"
    assert power_reduction.attributes["unit_of_measurement"] == "kW"
    # No reduction in force: the mode says so, and nothing lapses.
    assert state(hass, "sensor.parking_a_reduction_mode") == "no_reduction"
    assert state(hass, "sensor.parking_a_reduction_ends") == "unknown"
    assert "duration_s" not in hass.states.get("sensor.parking_a_reduction_mode").attributes
    values = {item["name"]: item["value"] for item in hub.pm_values(hub.pms[1234])["values"]}
    assert float(state(hass, "sensor.pm001_voltage_phase_1")) == values["voltage_l1"]
    assert float(state(hass, "sensor.pm001_voltage_phase_3")) == values["voltage_l3"]
    assert float(state(hass, "sensor.pm001_current_phase_2")) == values["current_l2"]
    assert float(state(hass, "sensor.pm001_power")) == values["power_active"]
    assert float(state(hass, "sensor.pm001_frequency")) == values["frequency"]
    energy = hass.states.get("sensor.pm001_imported_energy")
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
        assert get_device(hass, f"{SERIAL}_{key}").via_device_id == hub.id, key
    station = get_device(hass, f"{SERIAL}_station_102")
    assert station.name == "Bay 2"
    assert station.serial_number == "EVB1A22P4KI00102"
    connector = get_device(hass, f"{SERIAL}_station_102_connector_2")
    assert connector.via_device_id == station.id
    assert connector.name == "Bay 2 connector 2"
    # The power meter shows its model's name (documented /pms/models/{id}), not its id.
    assert get_device(hass, f"{SERIAL}_power_meter_1234").model == "Schneider Electric PM5560"


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
    # Per poll: all stations in one request, status and reduction per zone, values per
    # meter, the hub's ongoing session records while a session runs, and its ended
    # records of a station once, when a session there ends.
    assert sim.requests("GET /api/v2/transactions/ongoing") == 5
    final_records = sum(
        count for path, count in hub.stats.by_path.items() if path.endswith("/ended")
    )
    assert final_records <= 3
    assert sim.requests() == 5 * (1 + 2 * 2 + 1 + 1) + final_records
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
    assert state(hass, f"sensor.bay_{new_id - 100}_status") in {"available", "charging"}
    assert find_device(hass, f"{SERIAL}_station_{new_id}")
    hub.control("remove_station", {"id": 102})
    for _ in range(STALE_AFTER_POLLS):
        await refresh(hass, loaded_entry)
    assert find_device(hass, f"{SERIAL}_station_102") is None
    # Its entities go with the device.
    assert hass.states.get("sensor.bay_2_status") is None
    hub.control("remove_zone", {"id": 8})
    hub.control("remove_pm", {"id": 1234})
    zone_id = hub.control("add_zone", {})["id"]
    await refresh(hass, loaded_entry)
    await refresh(hass, loaded_entry)  # the zone list is read again after the 404s
    assert find_device(hass, f"{SERIAL}_zone_{zone_id}")
    for _ in range(STALE_AFTER_POLLS - 2):
        await refresh(hass, loaded_entry)
    assert find_device(hass, f"{SERIAL}_zone_8") is None
    assert find_device(hass, f"{SERIAL}_power_meter_1234") is None


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
    assert uid_state(hass, "sensor", "station_101_connector_1_power") == STATE_UNAVAILABLE
    assert state(hass, "number.parking_a_current_reduction") == STATE_UNAVAILABLE
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    hub.faults.update({"mode": "none"})
    hub.stats.by_path.clear()
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor.bay_1_status") != STATE_UNAVAILABLE
    assert "recovered" in caplog.text
    # Reconnected: the lists are read again.
    assert sim.requests("GET /api/v2/stations/") == 1


async def test_offline_station(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.control("station_online", {"id": 101, "online": False})
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor.bay_1_ocpp_connection") == "disconnected"
    # Offline is the station's state, not an unknown one; its controls cannot reach it.
    assert state(hass, "sensor.bay_1_status") == "offline"
    assert state(hass, "switch.bay_1_available_for_charging") == "unavailable"
    assert state(hass, "sensor.evce_stations_connected") == "2"


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
    assert uid_state(hass, "sensor", "station_101_connector_1_session_energy") == "unknown"
    assert find_entity_id(hass, "sensor", f"{SERIAL}_station_101_connector_1_energy")


@pytest.mark.parametrize(
    ("language", "name"), [("en", "Bay 2 connector 2"), ("de", "Bay 2 Anschluss 2")]
)
async def test_connector_device_names_are_translated(
    hass: HomeAssistant, entry: MockConfigEntry, language: str, name: str
) -> None:
    await hass.config.async_update(language=language)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert get_device(hass, f"{SERIAL}_station_102_connector_2").name == name
    assert get_device(hass, f"{SERIAL}_station_102").name == "Bay 2"
