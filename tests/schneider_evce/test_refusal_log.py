"""A refused command is one log line naming what the user pressed; no answer is a failure."""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from simulator.schneider_evce import SERIAL

from ..common import entity_id
from .conftest import ScriptedEvceDevice


async def _press_restart(hass: HomeAssistant, hass_ws_client: WebSocketGenerator) -> dict:
    """Press Bay 2's Restart as the frontend does: over the websocket API."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "call_service",
            "domain": "button",
            "service": "press",
            "target": {"entity_id": entity_id(hass, "button", f"{SERIAL}_station_102_restart")},
        }
    )
    answer: dict = await client.receive_json()
    await hass.async_block_till_done()
    return answer


async def test_refused_restart_is_one_line_without_traceback(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub.control("commands", {"mode": "reject"})
    caplog.clear()
    answer = await _press_restart(hass, hass_ws_client)
    message = "Bay 2 refused Restart: the station answered rejected to reset"
    assert answer["success"] is False
    assert answer["error"]["code"] == "service_validation_error"
    # The toast reads Home Assistant's prefix ("Validation error: ") and our message.
    assert answer["error"]["message"].endswith(message)
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    # Home Assistant's one line, from its websocket API.
    assert len(errors) == 1
    assert errors[0].getMessage().endswith(message)
    # No traceback above debug level.
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and r.exc_info]


async def test_unanswered_restart_stays_a_failure(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub.control("commands", {"mode": "timeout"})
    caplog.clear()
    answer = await _press_restart(hass, hass_ws_client)
    assert answer["success"] is False
    assert answer["error"]["code"] == "home_assistant_error"
    assert answer["error"]["message"] == (
        "Bay 2 gave no final answer to Restart in time; check its state before trying again"
    )
    # Nothing of the integration's own: Home Assistant reports the failed action.
    ours = [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.evse_bridge")
        and record.levelno >= logging.WARNING
    ]
    assert ours == []
