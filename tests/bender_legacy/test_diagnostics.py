"""Diagnostics of a Legacy entry: raw payload kept, password and RFID UID redacted."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.bender_legacy import SERIAL, LegacyDevice

from ..conftest import SimServer


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: SimServer,
    device: LegacyDevice,
) -> None:
    device.password = "s3cret-pass"
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="CC613",
        unique_id=SERIAL,
        data={
            CONF_VENDOR: "bender_legacy",
            "host": sim.host,
            "username": "operator",
            "password": "s3cret-pass",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    assert "s3cret-pass" not in text
    assert "046e453af012ca3" not in text  # the RFID UID the simulator sends
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["host"] == sim.host
    raw = diagnostics["raw_payloads"]["/rest/full_state"]
    assert raw["auth_uid"] == "**REDACTED**"
    assert raw["power_w"] == "11000"
    controller = diagnostics["devices"]["controller"]
    assert controller["kind"] == "controller"
    assert controller["data"]["power_w"] == 11000.0
    assert controller["identity"]["serial_number"] == SERIAL
