"""Entities of a Bender Legacy controller, against the simulator over HTTP."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.bender_legacy import SERIAL, LegacyDevice

from ..common import entity_id, get_device
from .conftest import binary_state, sensor_state


async def test_values_while_charging(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    power = sensor_state(hass, "power_w")
    assert power is not None
    assert power.state == "11.0"  # 11000 W shown in the suggested kW
    assert power.attributes["unit_of_measurement"] == "kW"
    energy = sensor_state(hass, "meter_wh")
    assert energy is not None
    assert energy.attributes["device_class"] == "energy"
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["unit_of_measurement"] == "kWh"
    assert float(energy.state) > 426.416
    assert sensor_state(hass, "conn_state").state == "vehicle_charging_type2"
    assert sensor_state(hass, "auth_state").state == "authorized_for_charging"
    assert sensor_state(hass, "ocpp_state").state == "charging"
    assert sensor_state(hass, "type2_state").state == "c"
    assert sensor_state(hass, "type2_proximity").state == "32"
    assert sensor_state(hass, "ambient_temp").state == "27.5"
    assert sensor_state(hass, "max_current").state == "16.0"
    assert sensor_state(hass, "errors").state == "0"
    assert binary_state(hass, "errors_problem").state == "off"
    assert binary_state(hass, "cable_attached").state == "on"
    assert binary_state(hass, "wlan_state").state == "on"


async def test_device_and_registry(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    device = get_device(hass, f"{SERIAL}_controller")
    assert device.manufacturer == "Bender GmbH Co. KG"
    assert device.model == "CC613_2M3PR"
    assert device.serial_number == "1703512493/b94060007"
    assert device.sw_version == "5.33.5-20112"
    assert device.configuration_url is not None
    registry = er.async_get(hass)
    phase = registry.async_get(entity_id(hass, "sensor", f"{SERIAL}_controller_current_phase_1"))
    assert phase is not None
    assert phase.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert phase.entity_category is not None
    # auth_uid (an RFID UID) and display_text never become entities.
    unique_ids = {
        item.unique_id
        for item in er.async_entries_for_config_entry(registry, loaded_entry.entry_id)
    }
    assert not any("auth_uid" in uid or "display_text" in uid for uid in unique_ids)


async def test_unload(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert sensor_state(hass, "power_w").state == STATE_UNAVAILABLE


async def test_old_firmware_creates_no_entity_for_missing_keys(
    hass: HomeAssistant, entry: MockConfigEntry, device: LegacyDevice
) -> None:
    device.firmware = "old"
    device.lang = "de"
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    unique_ids = {
        item.unique_id for item in er.async_entries_for_config_entry(registry, entry.entry_id)
    }
    assert not any("voltage" in uid or "wlan" in uid for uid in unique_ids)
    assert any("current_phase_1" in uid for uid in unique_ids)
    # "keine_fehler" from a German UI means no errors.
    assert sensor_state(hass, "errors").state == "0"
    assert binary_state(hass, "errors_problem").state == "off"


async def test_active_errors_reported(hass: HomeAssistant, entry: MockConfigEntry, device) -> None:
    device.errors = ["plug_locking_failed", "rfid_reader_not_communicating"]
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    errors = sensor_state(hass, "errors")
    assert errors.state == "2"
    assert errors.attributes["errors"] == ["plug_locking_failed", "rfid_reader_not_communicating"]
    problem = binary_state(hass, "errors_problem")
    assert problem.state == "on"
    assert problem.attributes["device_class"] == "problem"
