"""No raw tag at rest: with "include tag ids" off, a card's UID is nowhere on disk.

A Bender v1 controller pairs a card and charges a session with another one while the
recorder writes to a database file; then the entry unloads and restore state is
written, as when Home Assistant stops, and the database, every store and the log
are searched for either UID.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import restore_state
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import RecorderInstanceContextManager

from custom_components.evse_bridge.const import DOMAIN
from simulator.bender_v1 import DEFAULT_TAG_ID

from .common import entity_state
from .test_sessions import Stepper
from .test_sessions_v1 import (  # noqa: F401 - the fixtures
    SERIAL,
    TAG,
    clock,
    device,
    entry,
    paced_by_simulated_time,
    sim,
    step,
)


@pytest.fixture
def persistent_database() -> bool:
    """The recorder writes to a file, as in a real installation."""
    return True


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(async_test_recorder: RecorderInstanceContextManager) -> None:
    """The recorder's database is prepared before Home Assistant starts."""


def _raw_spellings(*tags: str) -> list[bytes]:
    return [spelling.encode() for tag in tags for spelling in (tag, tag.upper(), tag.lower())]


async def test_no_raw_tag_in_database_store_or_log(
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
    # Pairing while idle, then a session charged with another card.
    await hass.services.async_call(
        DOMAIN, "start_pairing", {"config_entry_id": entry.entry_id}, blocking=True
    )
    scanned = entity_state(hass, "event", f"{SERIAL}_controller_tag_scanned")
    assert scanned.attributes["tag_id"].startswith("tag_")
    await step.to(600)
    await step.to(1050)
    await step.to(1110)
    session = entity_state(hass, "event", f"{SERIAL}_controller_session")
    assert session.attributes["event_type"] == "completed"
    assert session.attributes["tag"].startswith("tag_")
    # What stopping writes: the entities' last states (restore state), the sessions.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await restore_state.async_get(hass).async_dump_states()
    await async_wait_recording_done(hass)

    assert_no_raw_tag(recorder_db_url, hass_storage, caplog, "tag_scanned", TAG, DEFAULT_TAG_ID)


def assert_no_raw_tag(
    recorder_db_url: str,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    recorded: str,
    *tags: str,
) -> None:
    """None of ``tags``, in any letter case, in the database file, the stores or the log."""
    database = Path(recorder_db_url.removeprefix("sqlite:///"))
    assert database.is_file()
    on_disk = b"".join(path.read_bytes() for path in database.parent.glob(f"{database.name}*"))
    assert recorded.encode() in on_disk  # the events were recorded
    stores = json.dumps(hass_storage).encode()
    assert b"core.restore_state" in stores
    log = caplog.text.encode()
    for raw in _raw_spellings(*tags):
        assert raw not in on_disk, raw
        assert raw not in stores, raw
        assert raw not in log, raw
