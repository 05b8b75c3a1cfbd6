"""Readings the EVCE document leaves open, a configuration import, older entries."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.clock import SimClock
from simulator.schneider_evce import SERIAL, VARIANTS, EvceDevice

from ..common import entity_id, entity_state, find_entity_id, get_device
from ..conftest import StartSimulator
from .conftest import TITLE, ScriptedEvceDevice, entry_data, refresh

#: One hub per reading of every knob (the default reading of the others).
EVERY_READING = [f"{knob}={reading}" for knob, readings in VARIANTS.items() for reading in readings]


def entry_devices(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    return {
        device.id
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    }


def value(hass: HomeAssistant, platform: str, key: str) -> str:
    return entity_state(hass, platform, f"{SERIAL}_{key}").state


@pytest.mark.parametrize("variant", EVERY_READING)
async def test_every_reading_sets_up_polls_and_acts(
    hass: HomeAssistant, start_simulator: StartSimulator, variant: str
) -> None:
    hub = EvceDevice(SimClock(scale=0), variant=variant, command_delay=0)
    sim = await start_simulator(hub)
    unique_id = SERIAL if variant != "identity=none" else "cert-" + hub.certificate.fingerprint[:32]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=unique_id,
        data=entry_data(sim, hub),
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    hub.clock.advance(30)
    await refresh(hass, entry)
    prefix = f"{unique_id}_"
    evse = hub.station_status(hub.stations[101])["evses"][0]
    state = entity_state(hass, "sensor", f"{prefix}station_101_connector_1_status")
    assert state.state == evse["status"]
    values = {item["name"]: item for item in hub.pm_values(hub.pms[1234])["values"]}
    power = entity_state(hass, "sensor", f"{prefix}power_meter_1234_power").state
    energy = entity_state(hass, "sensor", f"{prefix}power_meter_1234_energy_import").state
    if variant == "pm_units=none":
        # No unit given: nothing is presented as fact.
        assert (power, energy) == ("unknown", "unknown")
    else:
        scale = 1000.0 if variant == "pm_units=base" else 1.0
        assert float(power) == pytest.approx(values["power_active"]["value"] / scale, abs=1e-3)
        assert float(energy) == pytest.approx(
            values["energy_active_import"]["value"] / scale, abs=1e-3
        )
    stations = entity_state(hass, "sensor", f"{prefix}zone_7_stations")
    assert stations.state == "2"
    assert stations.attributes["stations"] == ["Bay 1", "Bay 3"]
    assert entity_state(hass, "sensor", f"{prefix}station_102_zone").state == "Parking B"
    model = get_device(hass, f"{prefix}power_meter_1234").model
    assert model == (None if variant == "pm_models=missing" else "Schneider Electric PM5560")
    # An action on every reading: a connector's availability.
    await hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": entity_id(hass, "switch", f"{prefix}station_102_connector_2_availability")},
        blocking=True,
    )
    assert hub.stations[102].evses[1].frozen_at is not None
    readings = (await async_get_config_entry_diagnostics(hass, entry))["raw_payloads"]["readings"]
    if variant == "identity=none":
        assert readings["identity_fields"] == {}
    elif variant == "identity=infos":
        assert readings["identity_fields"]["serial"] == "product_infos.serial_number"
    else:
        assert readings["identity_fields"]["serial"] == "product_status.serial_number"
    assert readings["zone_stations"] == {"7": "listed", "8": "listed"}


async def test_diagnostics_record_the_readings(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    readings = diagnostics["raw_payloads"]["readings"]
    assert readings["unique_id_source"] == "serial"
    assert readings["power_meter_units"] == [
        "current_l1=A",
        "current_l2=A",
        "current_l3=A",
        "energy_active_import=kWh",
        "frequency=Hz",
        "power_active=kW",
        "voltage_l1=V",
        "voltage_l2=V",
        "voltage_l3=V",
    ]
    assert readings["power_meter_models"] == {"234": "named"}
    assert readings["device_keys"]["station_102"] == {"id": 102, "name": "Bay 2"}


async def test_a_configuration_import_keeps_every_device_and_entity(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    entities = er.async_get(hass)
    before_devices = entry_devices(hass, loaded_entry)
    before_entities = {
        item.entity_id
        for item in er.async_entries_for_config_entry(entities, loaded_entry.entry_id)
    }
    station = get_device(hass, f"{SERIAL}_station_102")
    switch = entity_id(hass, "switch", f"{SERIAL}_station_102_connector_2_availability")
    moved = hub.control("config_import", {})
    assert moved["stations"]["102"] == 105
    await refresh(hass, loaded_entry)
    # Same devices, same entities: the device keys follow the friendly names.
    assert entry_devices(hass, loaded_entry) == before_devices
    assert {
        item.entity_id
        for item in er.async_entries_for_config_entry(entities, loaded_entry.entry_id)
    } == before_entities
    assert get_device(hass, f"{SERIAL}_station_102").id == station.id
    assert value(hass, "sensor", "station_102_status") == "charging"
    # Commands go to the new ids.
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    assert hub.stations[105].evses[1].frozen_at is not None
    assert loaded_entry.data["device_keys"]["station_102"] == {"id": 105, "name": "Bay 2"}
    assert loaded_entry.data["device_keys"]["zone_7"]["id"] == 9
    assert value(hass, "sensor", "zone_7_stations") == "2"
    # After a restart too (the dictionary is kept in the entry).
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert entry_devices(hass, loaded_entry) == before_devices
    assert value(hass, "sensor", "station_102_status") == "charging"


async def test_a_rename_on_the_hub_keeps_the_device(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    station = get_device(hass, f"{SERIAL}_station_101")
    hub.control("rename_station", {"id": 101, "name": "Gate"})
    hub.control("add_station", {})  # the lists are read again
    await refresh(hass, loaded_entry)
    assert get_device(hass, f"{SERIAL}_station_101").id == station.id
    assert loaded_entry.data["device_keys"]["station_101"] == {"id": 101, "name": "Gate"}
    # A later import finds it under its new name.
    hub.control("config_import", {})
    await refresh(hass, loaded_entry)
    assert get_device(hass, f"{SERIAL}_station_101").id == station.id
    assert find_entity_id(hass, "sensor", f"{SERIAL}_station_105_status") is None


async def test_entry_of_version_1_1_is_migrated(
    hass: HomeAssistant, start_simulator: StartSimulator, hub: ScriptedEvceDevice
) -> None:
    sim = await start_simulator(hub)
    entry = MockConfigEntry(
        domain=DOMAIN, title=TITLE, unique_id=SERIAL, data=entry_data(sim, hub), minor_version=1
    )
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    old: dict[str, str] = {}
    for key in (
        "station_101_status",
        "station_101_power",
        "station_101_energy",
        "station_101_session_energy",
        "station_101_connector_1_status",
        "station_102_status",
        "station_102_power",
        "station_102_energy",
        "station_102_connector_2_status",
    ):
        old[key] = registry.async_get_or_create(
            "sensor", DOMAIN, f"{SERIAL}_{key}", config_entry=entry
        ).entity_id
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.minor_version == 2
    assert entry.data["hub_id"] == SERIAL
    assert entry.data["hub_id_source"] == "serial"
    # A one-connector station's values move to its connector, with their entity ids.
    for key in ("power", "energy", "session_energy"):
        assert (
            entity_id(hass, "sensor", f"{SERIAL}_station_101_connector_1_{key}")
            == old[f"station_101_{key}"]
        )
    assert (
        entity_id(hass, "sensor", f"{SERIAL}_station_101_connector_1_status")
        == (old["station_101_connector_1_status"])
    )
    # The sums of a two-connector station are gone.
    assert registry.async_get(old["station_102_power"]) is None
    assert registry.async_get(old["station_102_energy"]) is None
    assert float(value(hass, "sensor", "station_101_connector_1_energy")) > 0


async def test_entry_of_a_newer_version_is_refused(
    hass: HomeAssistant, start_simulator: StartSimulator, hub: ScriptedEvceDevice
) -> None:
    sim = await start_simulator(hub)
    entry = MockConfigEntry(
        domain=DOMAIN, title=TITLE, unique_id=SERIAL, data=entry_data(sim, hub), version=2
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
