"""Diagnostics of a Legacy entry: readings and states shown, password, RFID UID and serials not."""

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

#: What the simulated controller sends that is personal or identifies the unit.
SECRETS = ("s3cret-pass", "046e453af012ca3", SERIAL, "1703512493", "65465484ds")


async def test_diagnostics_show_readings_not_secrets(
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
    for secret in SECRETS:
        assert secret not in text, secret
    data = diagnostics["entry"]["data"]
    assert data["password"] == "**REDACTED**"
    assert data["username"] == "**REDACTED**"
    assert data["host"] == sim.host
    raw = diagnostics["raw_payloads"]["/rest/full_state"]
    # Every key the controller sent stays, the unvetted ones with their values hidden.
    assert raw["auth_uid"] == "**REDACTED**"
    assert raw["cc_serial_n"] == "**REDACTED**"
    assert raw["power_w"] == "11000"
    assert raw["firmware_ver"] == "5.33.5-20112"
    assert raw["conn_state"] == "vehicle_charging_type2"
    assert raw["auth_state"] == "authorized_for_charging"
    controller = diagnostics["devices"]["controller"]
    assert controller["kind"] == "controller"
    assert controller["identity"]["sw_version"] == "5.33.5-20112"
    assert controller["identity"]["serial_number"] == "**REDACTED**"
    assert controller["data"]["power_w"] == 11000.0
    assert controller["data"]["authorization_state"] == "authorized_for_charging"
    # Which fields the controller sent: their names, the UID's too.
    assert "auth_uid" in controller["data"]["present"]
    assert diagnostics["raw_payloads"]["readings"]["controller"]["name_source"] == "cp_id"
