"""A v1 controller's entry: entities, polling cadence, sessions, faults, diagnostics."""

from __future__ import annotations

import logging

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.bender_v1 import DEFAULT_PASSWORD, SERIAL, BenderV1Device
from simulator.clock import SimClock

from ..common import entity_id, entity_state, find_entity_id, get_device
from ..conftest import SimServer
from .conftest import TITLE, uid

# 300 s into the first charging phase (which starts at 140 s).
CHARGING_AT = 440.0


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: SimClock, seconds: float = 15
) -> None:
    """Move Home Assistant's and the simulator's time together and let the poll run."""
    clock.advance(seconds)
    freezer.tick(seconds)
    async_fire_time_changed(hass)
    # The coordinator polls in a background task.
    await hass.async_block_till_done(wait_background_tasks=True)


def state_of(hass: HomeAssistant, platform: str, key: str) -> str:
    return entity_state(hass, platform, uid(key)).state


async def test_values_while_idle(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert state_of(hass, "sensor", "system") == "idle"
    assert state_of(hass, "sensor", "connection") == "no_vehicle_connected"
    assert state_of(hass, "sensor", "authorization") == "not_authorized_for_charging"
    assert state_of(hass, "sensor", "ocpp") == "available"
    assert state_of(hass, "sensor", "type2") == "a"
    assert state_of(hass, "sensor", "ambient_temperature") == "23.5"
    # No session runs: 0 W, 0 kWh, 0 s, never unknown.
    assert state_of(hass, "sensor", "session_energy") == "0.0"
    assert state_of(hass, "sensor", "power") == "0.0"
    assert state_of(hass, "sensor", "transaction_duration") == "0.0"
    assert state_of(hass, "binary_sensor", "charging") == "off"
    assert state_of(hass, "binary_sensor", "problem") == "off"
    assert state_of(hass, "sensor", "messages") == "0"
    assert state_of(hass, "sensor", "transaction_count") == "12"
    # The summary's units are not established yet: no lifetime meter, no total duration.
    assert find_entity_id(hass, "sensor", uid("total_energy")) is None
    assert find_entity_id(hass, "sensor", uid("total_duration")) is None
    # systemState as sent, no invented value set.
    system = entity_state(hass, "sensor", uid("system"))
    assert "options" not in system.attributes
    assert "device_class" not in system.attributes
    assert state_of(hass, "event", "tag_scanned") == STATE_UNKNOWN


@pytest.mark.parametrize("start_at", [CHARGING_AT])
async def test_values_while_charging(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    assert state_of(hass, "sensor", "system") == "charging"
    assert state_of(hass, "sensor", "connection") == "vehicle_charging_type2"
    assert state_of(hass, "sensor", "authorization") == "authorized_for_charging"
    assert state_of(hass, "sensor", "ocpp") == "charging"
    assert state_of(hass, "sensor", "type2") == "c"
    assert state_of(hass, "sensor", "ambient_temperature") == "27.5"
    assert state_of(hass, "sensor", "power") == "11.0"
    assert state_of(hass, "sensor", "session_energy") == "0.917"
    duration = entity_state(hass, "sensor", uid("transaction_duration"))
    assert duration is not None
    assert duration.state == "5.0"
    assert duration.attributes["unit_of_measurement"] == "min"
    assert state_of(hass, "binary_sensor", "charging") == "on"


async def test_errors_and_warnings(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    device.control(
        "messages",
        {
            "messages": [
                {"type": "error", "message": "rcd_triggered"},
                {"type": "warning", "message": "backend_not_connected"},
            ]
        },
    )
    # Logging is read every 60 s; the system state is shown as sent.
    await tick(hass, freezer, clock)
    assert state_of(hass, "sensor", "system") == "error"
    assert state_of(hass, "binary_sensor", "problem") == "off"
    assert state_of(hass, "sensor", "messages") == "0"
    for _ in range(3):
        await tick(hass, freezer, clock)
    assert state_of(hass, "binary_sensor", "problem") == "on"
    messages = entity_state(hass, "sensor", uid("messages"))
    assert messages is not None
    assert messages.state == "2"
    assert messages.attributes["errors"] == ["rcd_triggered"]
    assert messages.attributes["warnings"] == ["backend_not_connected"]
    problem = entity_state(hass, "binary_sensor", uid("problem"))
    assert problem is not None
    assert problem.attributes["errors"] == ["rcd_triggered"]


async def test_warnings_alone_are_no_problem(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    device.control("messages", {"messages": [{"type": "warning", "message": "hot"}]})
    for _ in range(4):
        await tick(hass, freezer, clock)
    assert state_of(hass, "binary_sensor", "problem") == "off"
    assert state_of(hass, "sensor", "messages") == "1"


async def test_device_and_unique_ids(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    device = get_device(hass, f"{SERIAL}_controller")
    assert device.name == TITLE
    assert device.manufacturer == "Bender GmbH Co. KG"
    assert device.model == "CC613_2M3PR"
    assert device.serial_number == SERIAL
    assert device.sw_version == "5.33.5-20112"
    assert device.configuration_url is not None
    registry = er.async_get(hass)
    entity = registry.async_get(entity_id(hass, "sensor", uid("system")))
    assert entity is not None
    assert entity.unique_id == f"{SERIAL}_controller_system"


async def test_healthy_hour_one_login(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    device: BenderV1Device,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """State every 15 s, logging every 60 s, summary and current limit every 5 min: one session.

    The first watched transaction establishes the summary's units; the entry reloads
    once for the entities they allow, which costs one more login.
    """
    for _ in range(240):
        await tick(hass, freezer, clock)
    assert device.logins == 2
    assert sim.requests("POST /v1/login") == 2
    assert sim.requests("POST /v1/logout") == 1
    assert sim.requests("GET /v1/system_state") == 242
    assert loaded_entry.data["summary_units"] == {"energy": "kWh", "duration": "min"}
    # The simulated hour completed three charging sessions.
    assert state_of(hass, "sensor", "transaction_count") == "15"
    assert float(state_of(hass, "sensor", "total_energy")) > 148 + 2 * 2.4


async def test_web_ui_login_costs_one_relogin(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    device.control("web_login", {})
    for _ in range(8):
        await tick(hass, freezer, clock)
        assert state_of(hass, "sensor", "system") != STATE_UNAVAILABLE
    assert device.logins == 2
    assert device.refused_logins == 0
    assert not hass.config_entries.flow.async_progress()


async def test_outage_goes_unavailable_logs_once_and_recovers(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    device: BenderV1Device,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    device.faults.update({"mode": "http_500"})
    for _ in range(5):
        await tick(hass, freezer, clock)
    assert state_of(hass, "sensor", "system") == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor", "charging") == STATE_UNAVAILABLE
    failures = [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR and "evse_bridge" in record.getMessage()
    ]
    assert len(failures) == 1
    device.faults.update({"mode": "none"})
    await tick(hass, freezer, clock)
    assert state_of(hass, "sensor", "system") == "idle"
    # 75 s without a successful call expired the session: one new login, no reauth.
    assert device.logins == 2
    assert not hass.config_entries.flow.async_progress()


async def test_changed_password_starts_reauth_once(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    device.control("configure", {"password": "changed-on-the-controller"})
    device.control("web_login", {})
    await tick(hass, freezer, clock)
    flows = hass.config_entries.flow.async_progress()
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert device.refused_logins == 2
    # No login storm while the user has not answered.
    for _ in range(8):
        await tick(hass, freezer, clock)
    assert device.refused_logins == 2


class FirmwareWithoutLogging(BenderV1Device):
    """A controller whose firmware has neither logging nor a transaction summary."""

    async def _logging(self, request: web.Request) -> web.Response:
        return web.Response(status=404)

    async def _summary(self, request: web.Request) -> web.Response:
        return web.Response(status=404)


@pytest.mark.parametrize("device_class", [FirmwareWithoutLogging])
async def test_unsupported_endpoints_create_no_entities(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert state_of(hass, "sensor", "system") == "idle"
    assert find_entity_id(hass, "sensor", uid("messages")) is None
    assert find_entity_id(hass, "sensor", uid("transaction_count")) is None
    assert find_entity_id(hass, "sensor", uid("total_energy")) is None
    assert state_of(hass, "binary_sensor", "problem") == STATE_UNKNOWN
    # Not asked again.
    for _ in range(20):
        await tick(hass, freezer, clock)
    assert sim.requests("GET /v1/logging") == 1
    assert sim.requests("GET /v1/transactions/summary") == 1


async def test_unload_logs_out(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, device: BenderV1Device
) -> None:
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert sim.requests("POST /v1/logout") == 1
    assert not device.session_active


@pytest.mark.parametrize("start_at", [CHARGING_AT])
async def test_diagnostics_redacted(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    raw = diagnostics["raw_payloads"]
    assert raw["system_state"]["transaction"]["idTag"] == "**REDACTED**"
    # The serial identifies the unit, not what its firmware sends: only its key is shown.
    assert raw["settings"]["ChargePointInfo"]["chargePointSerialNumber"] == "**REDACTED**"
    assert raw["client"] == {
        "api_prefix": "/v1",
        "session_id_location": "session.id",
        "serial_key": "chargePointSerialNumber",
        "pairing_method": "POST",
        "identity_source": "ChargePointInfo.chargePointSerialNumber",
        "unavailable": {},
        "logins": 1,
        "summary_units": {
            "energy": None,
            "duration": None,
            "how": "growth of the summary compared with transactions watched to their end",
        },
    }
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    text = repr(diagnostics)
    for secret in (DEFAULT_PASSWORD, "046e453af012ca3", "backend-secret"):
        assert secret not in text
    assert diagnostics["devices"]["controller"]["data"]["state"]["system"] == "charging"
