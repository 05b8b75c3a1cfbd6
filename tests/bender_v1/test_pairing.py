"""The ``evse_bridge.start_pairing`` action against the simulated controller."""

from __future__ import annotations

import logging
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api import EvseCommandRejectedError
from custom_components.evse_bridge.api.bender_v1 import BenderV1Client
from custom_components.evse_bridge.const import CONF_INCLUDE_TAG_IDS, DOMAIN
from simulator.bender_v1 import DEFAULT_TAG_ID, SERIAL, BenderV1Device

from ..common import entity_id, get_device
from ..conftest import SimServer
from .conftest import uid


def controller_id(hass: HomeAssistant) -> str:
    return get_device(hass, f"{SERIAL}_controller").id


async def test_pairing_returns_and_fires_the_tag(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await hass.services.async_call(
        DOMAIN,
        "start_pairing",
        {"device_id": controller_id(hass)},
        blocking=True,
        return_response=True,
    )
    assert response == {"result": "tag_scanned", "id": DEFAULT_TAG_ID, "tag_type": "RFID"}
    event = hass.states.get(entity_id(hass, "event", uid("tag_scanned")))
    assert event is not None
    assert event.attributes["event_type"] == "tag_scanned"
    # The event (kept in restore state) shows the card as its sessions do.
    assert event.attributes["tag_id"] == loaded_entry.runtime_data.sessions.pseudonym(
        DEFAULT_TAG_ID
    )
    assert event.attributes["tag_type"] == "RFID"
    assert sim.requests("POST /v1/whitelist/pairing") == 1
    # Tag read 5 s after the start, polled every 2 s.
    assert sim.requests("GET /v1/whitelist/pairing") == 3
    # The entry's session served the action: no extra login.
    assert sim.requests("POST /v1/login") == 1
    assert DEFAULT_TAG_ID not in caplog.text


async def test_pairing_by_config_entry_without_response(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    await hass.services.async_call(
        DOMAIN, "start_pairing", {"config_entry_id": loaded_entry.entry_id}, blocking=True
    )
    event = hass.states.get(entity_id(hass, "event", uid("tag_scanned")))
    assert event is not None
    assert event.attributes["tag_id"].startswith("tag_")
    # With tag ids shown, the event has the id (upper case, as sessions show it).
    hass.config_entries.async_update_entry(loaded_entry, options={CONF_INCLUDE_TAG_IDS: True})
    await hass.services.async_call(
        DOMAIN, "start_pairing", {"config_entry_id": loaded_entry.entry_id}, blocking=True
    )
    event = hass.states.get(entity_id(hass, "event", uid("tag_scanned")))
    assert event is not None
    assert event.attributes["tag_id"] == DEFAULT_TAG_ID.upper()


async def test_pairing_times_out_without_a_tag(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, device: BenderV1Device, sim: SimServer
) -> None:
    device.control("configure", {"tag": "none"})
    response = await hass.services.async_call(
        DOMAIN,
        "start_pairing",
        {"device_id": controller_id(hass)},
        blocking=True,
        return_response=True,
    )
    assert response == {"result": "no_tag_scanned", "id": None, "tag_type": None}
    assert hass.states.get(entity_id(hass, "event", uid("tag_scanned"))).state == "unknown"  # type: ignore[union-attr]
    assert sim.requests("GET /v1/whitelist/pairing") == 30


@pytest.mark.parametrize("start_at", [440.0])
async def test_pairing_refused_while_charging(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "start_pairing",
            {"device_id": controller_id(hass)},
            blocking=True,
            return_response=True,
        )
    assert caught.value.translation_key == "pairing_not_idle"
    assert sim.requests("POST /v1/whitelist/pairing") == 0


async def test_pairing_refused_by_the_controller(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A car arriving between the idle check and the request: the controller says no."""
    with (
        patch.object(
            BenderV1Client, "start_pairing", side_effect=EvseCommandRejectedError("not idle")
        ),
        pytest.raises(ServiceValidationError) as caught,
    ):
        await hass.services.async_call(
            DOMAIN,
            "start_pairing",
            {"device_id": controller_id(hass)},
            blocking=True,
            return_response=True,
        )
    assert caught.value.translation_key == "pairing_not_idle"


async def test_pairing_when_the_controller_is_unreachable(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, device: BenderV1Device
) -> None:
    device.faults.update({"mode": "http_500"})
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN,
            "start_pairing",
            {"device_id": controller_id(hass)},
            blocking=True,
            return_response=True,
        )
    assert caught.value.translation_key == "command_failed"
