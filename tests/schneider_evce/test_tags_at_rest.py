"""No raw tag at rest for EVCE sessions (see tests/test_tags_at_rest).

The hub names each session's badge in its ongoing and ended records; a session
completes while the recorder writes to a database file, then the entry unloads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import logging
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import restore_state
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from simulator.schneider_evce import SERIAL, SESSION_CARDS

from ..common import entity_state
from ..test_tags_at_rest import (  # noqa: F401 - the fixtures
    assert_no_raw_tag,
    mock_recorder_before_hass,
    persistent_database,
)
from .conftest import ScriptedEvceDevice, refresh
from .test_sessions import Step, step  # noqa: F401 - the fixture


async def test_no_raw_tag_of_an_evce_session(
    recorder_mock: Recorder,
    recorder_db_url: str,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    fake_sleep: Callable[[float], Awaitable[None]],
    step: Step,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entry.runtime_data.site.client.sleep = fake_sleep
    hub.stations[101].evses[0].jump(hub.clock.now(), 100)  # idle, 20 s before a car arrives
    await refresh(hass, entry)
    await step(entry, 35)  # plug in, charge, finish, unplug
    session = entity_state(hass, "event", f"{SERIAL}_station_101_connector_1_session")
    assert session.attributes["event_type"] == "completed"
    assert session.attributes["tag"].startswith("tag_")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await restore_state.async_get(hass).async_dump_states()
    await async_wait_recording_done(hass)
    assert_no_raw_tag(
        recorder_db_url, hass_storage, caplog, "evse_bridge_session_completed", *SESSION_CARDS
    )
