"""Attributes new on every poll or command, with nothing to add to history, are not recorded.

Home Assistant shows them on the live state; the recorder leaves them out of the states
it stores (``_unrecorded_attributes``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import RecorderInstanceContextManager

from custom_components.evse_bridge.const import DOMAIN
from simulator.schneider_evce import SERIAL

from ..common import entity_id, get_device
from .conftest import ScriptedEvceDevice, refresh


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(async_test_recorder: RecorderInstanceContextManager) -> None:
    """The recorder's database is prepared before Home Assistant starts."""


async def _recorded(hass: HomeAssistant, entity: str, since: datetime) -> list[State]:
    await async_wait_recording_done(hass)
    # Every recorded state, also those where only an attribute changed.
    states = await get_instance(hass).async_add_executor_job(
        lambda: get_significant_states(
            hass, since, None, [entity], significant_changes_only=False, minimal_response=False
        )
    )
    return [state for state in states.get(entity, []) if isinstance(state, State)]


async def test_seconds_left_of_a_reduction_are_not_recorded(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Seconds left, new on every poll, are shown; "Reduction ends" records when it ends."""
    hub.variant["reduction"] = "remaining"
    since = dt_util.utcnow()
    zone = get_device(hass, f"{SERIAL}_zone_7").id
    await hass.services.async_call(
        DOMAIN,
        "set_zone_reduction",
        {"device_id": zone, "value": 30, "duration": {"minutes": 15}},
        blocking=True,
    )
    await hass.async_block_till_done()
    mode = entity_id(hass, "sensor", f"{SERIAL}_zone_7_reduction_mode")
    left = []
    for _ in range(3):
        hub.clock.advance(60)
        freezer.tick(timedelta(seconds=60))
        await refresh(hass, loaded_entry)
        live = hass.states.get(mode)
        assert live is not None
        assert live.state == "temporary"
        left.append(live.attributes["duration_s"])
    assert left == [840, 780, 720]
    recorded = await _recorded(hass, mode, since)
    temporary = [state for state in recorded if state.state == "temporary"]
    # The polls wrote the state (its attribute changed); what is recorded lacks it.
    assert len(temporary) >= 3
    assert all("duration_s" not in state.attributes for state in temporary)
    assert all(state.attributes["friendly_name"] for state in temporary)


async def test_time_of_the_last_command_is_not_recorded(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each press is recorded (its own time), the command's name with it; the attribute not."""
    since = dt_util.utcnow()
    last = entity_id(hass, "sensor", f"{SERIAL}_station_102_last_command")
    button = entity_id(hass, "button", f"{SERIAL}_station_102_restart")
    for _ in range(2):
        freezer.tick(timedelta(seconds=90))
        await hass.services.async_call(
            "button", SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
        )
        await hass.async_block_till_done()
    live = hass.states.get(last)
    assert live is not None
    assert (live.state, live.attributes["command"]) == ("accepted", "Restart")
    assert live.attributes["time"] is not None
    recorded = [state for state in await _recorded(hass, last, since) if state.state == "accepted"]
    assert len(recorded) == 2
    assert [state.attributes["command"] for state in recorded] == ["Restart", "Restart"]
    assert all("time" not in state.attributes for state in recorded)
    assert recorded[1].last_updated - recorded[0].last_updated == timedelta(seconds=90)
