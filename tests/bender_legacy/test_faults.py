"""A controller that fails: entities go unavailable, one log line each way, recovery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.evse_bridge.coordinator import STALE_AFTER_POLLS
from simulator.bender_legacy import LegacyDevice
from simulator.clock import SimClock

from ..common import get_device
from .conftest import binary_state, sensor_state


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(timedelta(seconds=15))
    async_fire_time_changed(hass)
    # The coordinator polls in a background task.
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize("mode", ["http_500", "garbage", "truncated", "drop"])
async def test_fault_makes_entities_unavailable_then_recovers(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: LegacyDevice,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    assert sensor_state(hass, "power_w").state == "11.0"
    device.faults.update({"mode": mode})
    with caplog.at_level(logging.INFO, logger="custom_components.evse_bridge"):
        for _ in range(3):
            await _poll(hass, freezer)
            assert sensor_state(hass, "power_w").state == STATE_UNAVAILABLE
        device.faults.update({"mode": "none"})
        await _poll(hass, freezer)
        await _poll(hass, freezer)
    assert sensor_state(hass, "power_w").state == "11.0"
    failures = [r for r in caplog.records if "Error fetching" in r.getMessage()]
    recoveries = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(failures) == 1
    assert len(recoveries) == 1
    assert not hass.config_entries.flow.async_progress()  # no reauth for a fault


async def test_timeout_is_a_fault(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: LegacyDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    device.faults.update({"latency": 30})
    freezer.tick(timedelta(seconds=15))
    async_fire_time_changed(hass)
    for _ in range(5):  # let the request reach the simulator, which now waits
        await asyncio.sleep(0)
    freezer.tick(timedelta(seconds=11))  # past the client's 10 s timeout
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sensor_state(hass, "power_w").state == STATE_UNAVAILABLE


async def test_refused_credentials_start_reauth(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: LegacyDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    device.password = "changed"
    await _poll(hass, freezer)
    assert sensor_state(hass, "power_w").state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_unreachable_at_start_retries_setup(
    hass: HomeAssistant, entry: MockConfigEntry, device: LegacyDevice
) -> None:
    device.faults.update({"mode": "http_500"})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_values_follow_the_cycle(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    energy = float(sensor_state(hass, "meter_wh").state)
    clock.advance(700)  # near the end of charging: tapering
    await _poll(hass, freezer)
    assert 1.1 <= float(sensor_state(hass, "power_w").state) < 11.0
    assert float(sensor_state(hass, "meter_wh").state) > energy
    clock.advance(300)  # the car has left
    await _poll(hass, freezer)
    assert sensor_state(hass, "power_w").state == "0.0"
    assert sensor_state(hass, "conn_state").state == "no_vehicle_connected"
    assert binary_state(hass, "cable_attached").state == "off"


async def test_unparsable_value_is_unknown_unlisted_state_is_other(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: LegacyDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    original = device.full_state

    def broken() -> dict[str, str]:
        state = original()
        state["power_w"] = "n/a"
        state["ocpp_state"] = "teleporting"
        return state

    device.full_state = broken  # type: ignore[method-assign]
    await _poll(hass, freezer)
    assert sensor_state(hass, "power_w").state == STATE_UNKNOWN
    ocpp = sensor_state(hass, "ocpp_state")
    assert ocpp.state == "other"
    assert ocpp.attributes["raw_value"] == "teleporting"
    assert sensor_state(hass, "meter_wh").state != STATE_UNKNOWN


async def test_stale_device_is_removed(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    registry = dr.async_get(hass)
    stale = registry.async_get_or_create(
        config_entry_id=loaded_entry.entry_id, identifiers={("evse_bridge", "gone_station_1")}
    )
    current = get_device(hass, "1703512493/b94060007_controller")
    from custom_components.evse_bridge import async_remove_config_entry_device

    assert await async_remove_config_entry_device(hass, loaded_entry, stale)
    assert not await async_remove_config_entry_device(hass, loaded_entry, current)
    for _ in range(STALE_AFTER_POLLS):
        await _poll(hass, freezer)
    assert registry.async_get(stale.id) is None
    assert registry.async_get(current.id) is not None
