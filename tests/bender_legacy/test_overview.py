"""A Legacy controller is one charge point: its summary, its Problem status, its alert."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from simulator.bender_legacy import LegacyDevice

from ..common import find_entity_id
from .conftest import SERIAL, binary_state, sensor_state

STATUSES = ("available", "occupied", "charging", "faulted", "offline", "unavailable")


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
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


async def test_summary_that_repeats_the_controller_is_disabled_by_default(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The one controller is the site: its counts and total power repeat its own sensors."""
    registry = er.async_get(hass)
    repeats = [f"charge_points_{status}" for status in STATUSES] + ["site_power"]
    for key in repeats:
        item = registry.async_get(find_entity_id(hass, "sensor", f"{SERIAL}_controller_{key}"))
        assert item is not None
        assert item.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert float(sensor_state(hass, "energy_today").state) > 0  # new information: enabled
