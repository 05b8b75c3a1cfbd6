"""No raw tag at rest for Kempower ChargEye sessions (see test_tags_at_rest)."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import restore_state
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from simulator.clock import SimClock
from simulator.kempower_chargeye import SIM_CARDS, ChargEyeDevice

from .test_sessions_chargeye import (  # noqa: F401 - the fixtures
    clock,
    device,
    entry,
    sim,
)
from .test_tags_at_rest import (  # noqa: F401 - the fixtures
    assert_no_raw_tag,
    mock_recorder_before_hass,
    persistent_database,
)


async def test_no_raw_tag_of_chargeye_sessions(
    recorder_mock: Recorder,
    recorder_db_url: str,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,  # noqa: F811
    device: ChargEyeDevice,  # noqa: F811
    clock: SimClock,  # noqa: F811
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    device.control("tag_reading", {"reading": "string"})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    # Only the cards the stations report: an id token a user passes to an action is stored
    # by Home Assistant's recorder with the call itself (README "Security").
    for _ in range(32):  # sessions of the simulated cards complete
        clock.advance(60)
        freezer.tick(timedelta(seconds=60))
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
        await hass.async_block_till_done(wait_background_tasks=True)
    history = await entry.runtime_data.sessions.async_history(
        dt_util.utcnow() - timedelta(days=1), dt_util.utcnow()
    )
    pseudonyms = {entry.runtime_data.sessions.pseudonym(card) for card in SIM_CARDS}
    assert history
    assert {item["tag"] for item in history} <= pseudonyms
    assert await hass.config_entries.async_unload(entry.entry_id)
    await restore_state.async_get(hass).async_dump_states()
    await async_wait_recording_done(hass)
    assert_no_raw_tag(
        recorder_db_url,
        hass_storage,
        caplog,
        "evse_bridge_session_completed",
        *SIM_CARDS,
    )
