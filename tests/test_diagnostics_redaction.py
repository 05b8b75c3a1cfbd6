"""Diagnostics hide every key whose name says credential or RFID tag, at any depth."""

from __future__ import annotations

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.diagnostics import redact
from simulator.bender_legacy import SERIAL, LegacyDevice
from simulator.clock import SimClock

from .conftest import StartSimulator


def test_keys_are_redacted_by_their_words() -> None:
    payload = {
        "auth_uid": "046e453af012ca3",
        "voltage": 230,
        "stage": "charging",
        "transactions": [
            {"authorizationToken": {"idToken": "DEADBEEF", "type": "RFID"}, "energy": 3.2},
            {"IdTag": "CAFE0001", "meterStart": 10},
        ],
        "OcppServerPassword_ocpp": "backend-secret",
        "clientSecret": "s",
        "refresh_token": "r",
        "emptyToken": "",
        "noPassword": None,
        "token_exchanges": 3,
        "address": {"street": "Depot road 1"},
    }
    assert redact(payload, {"address"}) == {
        "auth_uid": REDACTED,
        "voltage": 230,
        "stage": "charging",
        "transactions": [
            {"authorizationToken": {"idToken": REDACTED, "type": "RFID"}, "energy": 3.2},
            {"IdTag": REDACTED, "meterStart": 10},
        ],
        "OcppServerPassword_ocpp": REDACTED,
        "clientSecret": REDACTED,
        "refresh_token": REDACTED,
        # Nothing to hide: an empty or missing value stays what it is, as in core.
        "emptyToken": "",
        "noPassword": None,
        # A count is no secret.
        "token_exchanges": 3,
        "address": REDACTED,
    }


async def test_legacy_full_state_keeps_no_tag(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(LegacyDevice(SimClock(scale=0, start=200)))
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="CC613",
        unique_id=SERIAL,
        data={CONF_VENDOR: "bender_legacy", "host": sim.host, "password": "s3cret-pass"},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    raw = diagnostics["raw_payloads"]["/rest/full_state"]
    assert raw["auth_uid"] == REDACTED
    assert raw["power_w"] == "11000"
    assert diagnostics["entry"]["data"]["password"] == REDACTED
