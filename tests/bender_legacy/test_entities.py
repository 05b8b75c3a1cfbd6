"""Entities of a Bender Legacy controller, against the simulator over HTTP."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.bender_legacy import LegacyDevice

ENTITY = "sensor.cc613_2m3pr_1703512493"


async def test_values_while_charging(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    power = hass.states.get(f"{ENTITY}_power")
    assert power is not None
    assert power.state == "11.0"  # 11000 W shown in the suggested kW
    assert power.attributes["unit_of_measurement"] == "kW"
    energy = hass.states.get(f"{ENTITY}_energy_meter")
    assert energy is not None
    assert energy.attributes["device_class"] == "energy"
    assert energy.attributes["state_class"] == "total_increasing"
    assert energy.attributes["unit_of_measurement"] == "kWh"
    assert float(energy.state) > 426.416
    assert hass.states.get(f"{ENTITY}_connection_state").state == "vehicle_charging_type2"
    assert hass.states.get(f"{ENTITY}_authorization").state == "authorized_for_charging"
    assert hass.states.get(f"{ENTITY}_ocpp_status").state == "charging"
    assert hass.states.get(f"{ENTITY}_control_pilot_state").state == "c"
    assert hass.states.get(f"{ENTITY}_cable_rating").state == "32"
    assert hass.states.get(f"{ENTITY}_ambient_temperature").state == "27.5"
    assert hass.states.get(f"{ENTITY}_maximum_current").state == "16.0"
    assert hass.states.get(f"{ENTITY}_active_errors").state == "0"
    assert hass.states.get("binary_sensor.cc613_2m3pr_1703512493_problem").state == "off"
    assert hass.states.get("binary_sensor.cc613_2m3pr_1703512493_cable").state == "on"
    assert hass.states.get("binary_sensor.cc613_2m3pr_1703512493_wi_fi").state == "on"


async def test_device_and_registry(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    device = dr.async_get(hass).async_get_device(
        identifiers={("evse_bridge", "1703512493/b94060007_controller")}
    )
    assert device is not None
    assert device.manufacturer == "Bender GmbH Co. KG"
    assert device.model == "CC613_2M3PR"
    assert device.serial_number == "1703512493/b94060007"
    assert device.sw_version == "5.33.5-20112"
    assert device.configuration_url is not None
    registry = er.async_get(hass)
    phase = registry.async_get(f"{ENTITY}_current_phase_1")
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
    assert hass.states.get(f"{ENTITY}_power").state == STATE_UNAVAILABLE


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
    assert hass.states.get(f"{ENTITY}_active_errors").state == "0"
    assert hass.states.get("binary_sensor.cc613_2m3pr_1703512493_problem").state == "off"


async def test_active_errors_reported(hass: HomeAssistant, entry: MockConfigEntry, device) -> None:
    device.errors = ["plug_locking_failed", "rfid_reader_not_communicating"]
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    errors = hass.states.get(f"{ENTITY}_active_errors")
    assert errors.state == "2"
    assert errors.attributes["errors"] == ["plug_locking_failed", "rfid_reader_not_communicating"]
    problem = hass.states.get("binary_sensor.cc613_2m3pr_1703512493_problem")
    assert problem.state == "on"
    assert problem.attributes["device_class"] == "problem"
