"""Diagnostics of an EVCE entry with badge-tagged sessions, in two readings of the hub's API.

Shown: firmware, states, session records' readings and how each was read. Hidden: the
login, the password and the hub's token, every badge id, serial numbers, meter addresses.
"""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.clock import SimClock
from simulator.schneider_evce import LOGIN, PASSWORD, SERIAL, SESSION_CARDS, STATION_FIRMWARE

from .conftest import ScriptedEvceDevice, refresh
from .test_sessions import Step, step  # noqa: F401 - the fixture


@pytest.fixture(params=["snake+endpoint", "alternate+properties"])
def hub(clock: SimClock, request: pytest.FixtureRequest) -> ScriptedEvceDevice:
    """A hub in one reading of its session records and its stations' firmware."""
    transactions, firmware = request.param.split("+")
    return ScriptedEvceDevice(
        clock, variant=f"transactions={transactions}+station_firmware={firmware}"
    )


async def test_diagnostics_show_readings_not_secrets(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    step: Step,  # noqa: F811
) -> None:
    hub.stations[101].evses[0].jump(hub.clock.now(), 100)  # idle, 20 s before a car arrives
    await refresh(hass, loaded_entry)
    await step(loaded_entry, 35)  # plug in, charge, finish, unplug
    response: Any = await hass.services.async_call(
        DOMAIN,
        "get_sessions",
        {"config_entry_id": loaded_entry.entry_id},
        blocking=True,
        return_response=True,
    )
    assert response["sessions"]
    token = loaded_entry.data["token"]
    meters = [meter.address for meter in hub.pms.values()]
    serials = [station.serial for station in hub.stations.values()]

    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)

    text = json.dumps(diagnostics, default=str)
    for secret in (LOGIN, PASSWORD, token, *SESSION_CARDS, SERIAL, *meters, *serials):
        assert secret not in text, secret
    assert diagnostics["entry"]["data"]["token"] == "**REDACTED**"
    raw = diagnostics["raw_payloads"]
    assert raw["product_status"]["firmware_version"] == "6.0.2"
    assert STATION_FIRMWARE in json.dumps(
        {key: value for key, value in raw.items() if key.startswith("station_101_")}
    )
    statuses = raw["stations_statuses"]
    assert {item["ocpp_status"] for item in statuses} == {"connected"}
    assert "charging" in {evse["status"] for item in statuses for evse in item["evses"]}
    ended = json.dumps(raw["transactions_ended"])
    assert "EVDisconnected" in ended
    assert "**REDACTED**" in ended  # the badge's key stays, its value does not
    hub_data = diagnostics["devices"]["hub"]
    assert hub_data["identity"]["sw_version"] == "6.0.2"
    assert hub_data["data"]["info"]["firmware"] == "6.0.2"
    connector = diagnostics["devices"]["station_101_connector_1"]["data"]
    assert connector["state"]["status"] in ("charging", "available", "occupied")
    readings = raw["readings"]["devices"]["station_101_connector_1"]
    assert readings["final_session"] == "ended records"
