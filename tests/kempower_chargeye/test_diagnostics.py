"""Diagnostics of a ChargEye account with carded sessions, a limit and a remote start.

Shown: stations' and connectors' states, power, transactions' readings, the commands'
answers, how each field was read. Hidden: refresh token and JWT, every card (in each
way the service may send it), serial numbers, the locations' ids and addresses.
"""

from __future__ import annotations

import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.clock import SimClock
from simulator.kempower_chargeye import DEFAULT_REFRESH_TOKEN, SIM_CARDS, ChargEyeDevice

from .conftest import AC_PLUG, DC_PLUG, advance, device_id, eid

REMOTE_TAG = "CAFE0001BEEF42"


@pytest.mark.parametrize("tag_reading", ["string", "object", "id_tag", "authorization_token"])
async def test_diagnostics_show_readings_not_secrets(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: ChargEyeDevice,
    clock: SimClock,
    frozen: FrozenDateTimeFactory,
    tag_reading: str,
) -> None:
    device.tag_reading = tag_reading
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": eid(hass, "number", DC_PLUG, "power_limit"), "value": 40},
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "start_transaction",
        {"device_id": device_id(hass, "connector_KEMAC-0001_2"), "id_token": REMOTE_TAG},
        blocking=True,
    )
    for _ in range(10):  # sessions of the simulated cards complete and start
        await advance(hass, frozen, clock, 60)
    token = entry.data["token"]
    locations = [
        str(station.location.get(key))
        for station in device.stations.values()
        for key in ("locationUid", "address")
    ]
    serials = [station.serial for station in device.stations.values()]

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)

    text = json.dumps(diagnostics, default=str)
    for secret in (DEFAULT_REFRESH_TOKEN, token, *SIM_CARDS, REMOTE_TAG, *locations, *serials):
        assert secret not in text, secret
    raw = diagnostics["raw_payloads"]
    station = raw["stations"]["stations"][0]
    assert station["status"] == "Operative"
    assert station["location"]["name"] == "Bus depot"
    assert station["location"]["address"] == "**REDACTED**"
    assert station["connectors"][0]["latestTransaction"]["chargedEnergyKwh"] > 0
    assert raw["token_exchange"]["validUntil"]
    readings = raw["readings"]["connectors"]
    assert {item["card_field"] for item in readings.values()} != {"not stated"}
    connector = diagnostics["devices"][AC_PLUG]["data"]["connector"]
    assert connector["status"] in ("charging", "available", "occupied")
    assert connector["latest_transaction"]["id_token"] in (None, "**REDACTED**")
    assert diagnostics["devices"][DC_PLUG]["data"]["power_limit"] == 40
