"""Stale devices: removed when a list read says so or after several polls, not on one failure."""

from __future__ import annotations

import dataclasses

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge import async_remove_config_entry_device
from custom_components.evse_bridge.contract.site import SiteData
from custom_components.evse_bridge.coordinator import STALE_AFTER_POLLS
from simulator.schneider_evce import SERIAL

from ..common import entity_id, find_device, get_device
from .conftest import ScriptedEvceDevice, refresh

ZONE_STATUS = "GET /api/v2/em/zones/8/status"
METER_VALUES = "GET /api/v2/pms/1234/values"
ZONE_NUMBER = f"{SERIAL}_zone_8_reduction"
METER_SENSOR = f"{SERIAL}_power_meter_1234_power"


def rename(hass: HomeAssistant) -> tuple[str, str]:
    """Give the zone's number and the meter's sensor names of the user's own."""
    registry = er.async_get(hass)
    number = entity_id(hass, "number", ZONE_NUMBER)
    sensor = entity_id(hass, "sensor", METER_SENSOR)
    registry.async_update_entity(number, name="Car park reduction")
    registry.async_update_entity(sensor, name="Grid power")
    return number, sensor


def assert_kept(hass: HomeAssistant, device_ids: tuple[str, str]) -> None:
    assert get_device(hass, f"{SERIAL}_zone_8").id == device_ids[0]
    assert get_device(hass, f"{SERIAL}_power_meter_1234").id == device_ids[1]
    registry = er.async_get(hass)
    number = registry.async_get(entity_id(hass, "number", ZONE_NUMBER))
    sensor = registry.async_get(entity_id(hass, "sensor", METER_SENSOR))
    assert number is not None
    assert sensor is not None
    assert number.name == "Car park reduction"
    assert sensor.name == "Grid power"


def device_ids(hass: HomeAssistant) -> tuple[str, str]:
    return (
        get_device(hass, f"{SERIAL}_zone_8").id,
        get_device(hass, f"{SERIAL}_power_meter_1234").id,
    )


@pytest.mark.parametrize("status", [404, 500])
async def test_one_failed_status_keeps_the_device_and_its_settings(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice, status: int
) -> None:
    number, sensor = rename(hass)
    kept = device_ids(hass)
    hub.scripted[ZONE_STATUS] = (status, {"error": "not found"})
    hub.scripted[METER_VALUES] = (status, {"error": "not found"})
    await refresh(hass, loaded_entry)
    assert_kept(hass, kept)
    assert hass.states.get(number).state == STATE_UNAVAILABLE
    assert hass.states.get(sensor).state == STATE_UNAVAILABLE
    hub.scripted.clear()
    await refresh(hass, loaded_entry)
    assert_kept(hass, kept)
    assert hass.states.get(number).state != STATE_UNAVAILABLE
    assert float(hass.states.get(sensor).state) >= 0
    # Back, the missed polls are forgotten: another failure starts the count again.
    for _ in range(STALE_AFTER_POLLS - 1):
        hub.scripted[ZONE_STATUS] = (404, {})
        await refresh(hass, loaded_entry)
        hub.scripted.clear()
    await refresh(hass, loaded_entry)
    assert_kept(hass, kept)


async def test_a_device_absent_from_several_polls_is_removed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.scripted[METER_VALUES] = (404, {})
    for _ in range(STALE_AFTER_POLLS - 1):
        await refresh(hass, loaded_entry)
    assert find_device(hass, f"{SERIAL}_power_meter_1234") is not None
    await refresh(hass, loaded_entry)
    assert find_device(hass, f"{SERIAL}_power_meter_1234") is None
    assert er.async_get(hass).async_get_entity_id("sensor", "evse_bridge", METER_SENSOR) is None
    # It answers again: a device again, with its entities.
    hub.scripted.clear()
    await refresh(hass, loaded_entry)
    assert find_device(hass, f"{SERIAL}_power_meter_1234") is not None
    assert float(hass.states.get(entity_id(hass, "sensor", METER_SENSOR)).state) >= 0


def with_inventory(entry: MockConfigEntry, inventory: set[str], missing: set[str]) -> None:
    """Make the site say which devices its list read confirmed, and report ``missing`` not."""
    site = entry.runtime_data.site
    fetch = site.async_fetch

    async def fetch_with_inventory() -> SiteData:
        data = await fetch()
        devices = {key: value for key, value in data.devices.items() if key not in missing}
        return dataclasses.replace(data, devices=devices, inventory=frozenset(inventory))

    site.async_fetch = fetch_with_inventory  # type: ignore[method-assign]


async def test_an_inventory_without_the_device_removes_it_at_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    keys = set(loaded_entry.runtime_data.coordinator.data.devices)
    with_inventory(loaded_entry, keys - {"zone_8"}, {"zone_8"})
    await refresh(hass, loaded_entry)
    assert find_device(hass, f"{SERIAL}_zone_8") is None
    assert find_device(hass, f"{SERIAL}_zone_7") is not None


async def test_an_inventory_with_the_device_keeps_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    keys = set(loaded_entry.runtime_data.coordinator.data.devices)
    with_inventory(loaded_entry, keys, {"zone_8"})
    for _ in range(STALE_AFTER_POLLS + 1):
        await refresh(hass, loaded_entry)
    assert find_device(hass, f"{SERIAL}_zone_8") is not None
    assert hass.states.get(entity_id(hass, "number", ZONE_NUMBER)).state == STATE_UNAVAILABLE


async def test_devices_of_an_entry_not_loaded_may_be_removed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    current = get_device(hass, f"{SERIAL}_zone_8")
    assert not await async_remove_config_entry_device(hass, loaded_entry, current)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert await async_remove_config_entry_device(hass, loaded_entry, current)
