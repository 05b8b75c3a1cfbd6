"""A Legacy controller is one charge point: its summary, its Problem status, its alert."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from simulator.bender_legacy import LegacyDevice

from .conftest import binary_state, sensor_state

STATUSES = ("available", "occupied", "charging", "faulted", "offline", "unavailable")


async def test_controller_counts_itself_and_alerts_when_it_stops_answering(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: LegacyDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    counts = {status: sensor_state(hass, f"charge_points_{status}").state for status in STATUSES}
    assert sum(int(value) for value in counts.values()) == 1
    shown = binary_state(hass, "errors_problem").attributes["status"]
    assert counts[shown] == "1"

    coordinator = loaded_entry.runtime_data.coordinator
    device.faults.update({"mode": "http_500"})
    await coordinator.async_refresh()
    freezer.tick(timedelta(minutes=16))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    issue_id = f"charge_point_{loaded_entry.entry_id}_controller"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "charge_point_offline"

    device.faults.update({"mode": "none"})
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
