"""A poll writes only what changed, on every platform: switches, numbers, buttons, events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from simulator.kempower_chargeye import ChargEyeDevice

from .conftest import AC_PLUG, eid

CONTROLS = ("switch", "number", "button", "event")


@pytest.fixture
def writes(hass: HomeAssistant, loaded: MockConfigEntry) -> list[str]:
    """The entity id of every state write of the entry's controls after set-up."""
    registry = er.async_get(hass)
    ours = {
        item.entity_id
        for item in er.async_entries_for_config_entry(registry, loaded.entry_id)
        if item.domain in CONTROLS
    }
    written: list[str] = []

    @callback
    def is_ours(data: Mapping[str, Any]) -> bool:
        return data["entity_id"] in ours

    @callback
    def collect(event: Event) -> None:
        written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, collect, event_filter=is_ours)
    hass.bus.async_listen(EVENT_STATE_REPORTED, collect, event_filter=is_ours)
    return written


async def _poll(hass: HomeAssistant, frozen: FrozenDateTimeFactory) -> None:
    # The simulated clock stands still: the account answers as before unless a test changes it.
    frozen.tick(timedelta(seconds=60))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_controls_are_written_only_when_their_state_changed(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    device: ChargEyeDevice,
    writes: list[str],
    frozen: FrozenDateTimeFactory,
) -> None:
    await _poll(hass, frozen)
    assert writes == []

    (connector,) = (
        connector
        for station in device.stations.values()
        for connector in station.connectors
        if AC_PLUG.endswith(f"{station.station_id}_{connector.local_id}")
    )
    connector.operative = False
    await _poll(hass, frozen)
    # Out of service ends the connector's session: its event and its session limit follow.
    shown = {entity_id: hass.states.get(entity_id) for entity_id in writes}
    assert len(writes) == len(shown) == 3
    assert shown[eid(hass, "switch", AC_PLUG, "available")].state == "off"
    assert shown[eid(hass, "event", AC_PLUG, "session")].attributes["event_type"] == "completed"
    assert shown[eid(hass, "number", AC_PLUG, "session_power_limit")].state == "unavailable"
    writes.clear()
    await _poll(hass, frozen)
    assert writes == []
