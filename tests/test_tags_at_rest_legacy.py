"""No raw tag at rest for a Bender Legacy controller's sessions (see test_tags_at_rest)."""

from __future__ import annotations

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

from .common import entity_state
from .test_sessions import (  # noqa: F401 - the fixtures
    SESSION_UID,
    TAG,
    Stepper,
    clock,
    device,
    entry,
    sim,
    step,
)
from .test_tags_at_rest import (  # noqa: F401 - the fixtures
    assert_no_raw_tag,
    mock_recorder_before_hass,
    persistent_database,
)


async def test_no_raw_tag_of_a_legacy_session(
    recorder_mock: Recorder,
    recorder_db_url: str,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,  # noqa: F811
    step: Stepper,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for sim_time in (130, 600, 1050, 1110, 1125):
        await step.to(sim_time)
    session = entity_state(hass, "event", SESSION_UID)
    assert session.attributes["event_type"] == "completed"
    assert session.attributes["tag"].startswith("tag_")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await restore_state.async_get(hass).async_dump_states()
    await async_wait_recording_done(hass)
    assert_no_raw_tag(recorder_db_url, hass_storage, caplog, "evse_bridge_session_completed", TAG)
