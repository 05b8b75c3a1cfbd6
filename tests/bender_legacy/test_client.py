"""The Legacy REST client against the simulated controller over HTTP."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from custom_components.evse_bridge.api import (
    EvseAuthenticationError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from custom_components.evse_bridge.api.bender_common import (
    ConnectionState,
    OcppState,
    base_url,
    parse_body,
)
from custom_components.evse_bridge.api.bender_legacy import (
    BenderLegacyClient,
    Type2Proximity,
    parse_full_state,
)
from simulator.bender_legacy import (
    LegacyDevice,
)

from ..conftest import SimServer


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def test_plain_text_answer(sim: SimServer, session: aiohttp.ClientSession) -> None:
    client = BenderLegacyClient(session, sim.host)
    state = await client.full_state()
    assert state.serial == "1703512493/b94060007"
    assert state.connection_state is ConnectionState.VEHICLE_CHARGING_TYPE2
    assert state.ocpp_state is OcppState.CHARGING
    assert state.type2_proximity is Type2Proximity.A32
    assert state.power_w == 11000.0
    assert state.currents_a == pytest.approx((15.87, 16.19, 15.56), abs=0.01)
    assert state.voltages_v == (231.0, 232.0, 232.0)
    assert state.rcmb_max_ma == (0.0, 0.0)
    assert state.ambient_temperature_c == 27.5
    assert state.errors == ()
    assert state.wlan_connected is True
    assert state.slave_state is None  # sent empty
    assert "auth_uid" in state.present
    assert state.auth_uid == "046e453af012ca3"  # for the session record only
    assert "046e453af012ca3" not in repr(state)
    assert sim.requests("GET /rest/full_state") == 1


async def test_json_answer_gives_the_same_state(
    sim: SimServer, session: aiohttp.ClientSession
) -> None:
    text_state = await BenderLegacyClient(session, sim.host).full_state()
    async with session.get(f"{sim.url}/rest/full_state?format=json") as response:
        body = await response.text()
    assert body.startswith("{")
    assert parse_full_state(parse_body(body)) == text_state


async def test_old_firmware_and_german_ui(
    sim: SimServer, device: LegacyDevice, session: aiohttp.ClientSession
) -> None:
    device.firmware = "old"
    device.lang = "de"
    state = await BenderLegacyClient(session, sim.host).full_state()
    assert "voltage_v" not in state.present
    assert "wlan_state" not in state.present
    assert state.voltages_v == ()
    assert state.wlan_connected is None
    assert state.errors == ()  # keine_fehler means no errors


async def test_active_errors(
    sim: SimServer, device: LegacyDevice, session: aiohttp.ClientSession
) -> None:
    device.errors = ["plug_locking_failed", "", "rfid_reader_not_communicating"]
    state = await BenderLegacyClient(session, sim.host).full_state()
    assert state.errors == ("plug_locking_failed", "rfid_reader_not_communicating")


async def test_credentials_sent_as_documented(
    sim: SimServer, device: LegacyDevice, session: aiohttp.ClientSession
) -> None:
    device.password = "secret"
    with pytest.raises(EvseAuthenticationError):
        await BenderLegacyClient(session, sim.host).full_state()
    with pytest.raises(EvseAuthenticationError):
        await BenderLegacyClient(session, sim.host, password="wrong").full_state()
    state = await BenderLegacyClient(
        session, sim.host, username="manufacturer", password="secret"
    ).full_state()
    assert state.serial


async def test_rest_disabled_is_not_supported(
    sim: SimServer, device: LegacyDevice, session: aiohttp.ClientSession
) -> None:
    device.rest_enabled = False
    with pytest.raises(EvseNotSupportedError):
        await BenderLegacyClient(session, sim.host).full_state()


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("http_500", EvseResponseError),
        ("http_401", EvseAuthenticationError),
        ("garbage", EvseResponseError),
        ("truncated", EvseConnectionError),
        ("drop", EvseConnectionError),
    ],
)
async def test_faults(
    sim: SimServer,
    device: LegacyDevice,
    session: aiohttp.ClientSession,
    mode: str,
    error: type[Exception],
) -> None:
    device.faults.mode = mode
    with pytest.raises(error):
        await BenderLegacyClient(session, sim.host).full_state()


async def test_timeout(
    sim: SimServer, device: LegacyDevice, session: aiohttp.ClientSession
) -> None:
    device.faults.latency = 0.5
    with pytest.raises(EvseConnectionError, match="timeout"):
        await BenderLegacyClient(session, sim.host, timeout_s=0.05).full_state()


async def test_unreachable(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    with pytest.raises(EvseConnectionError):
        await BenderLegacyClient(session, "127.0.0.1:9").full_state()


def test_tolerant_parsing(caplog: pytest.LogCaptureFixture) -> None:
    body = (
        "cc_serial_n: 42/x\nconn_state:VEHICLE_CHARGING_TYPE2\npower_w:abc\n"
        "ocpp_state:dancing\nmeter_wh:+1200\ncable_attached:maybe\n\ngarbage line\n"
        "current_a:1.5,,x\nrcmb_max:0.1, 0.2\nerrors:\n"
    )
    with caplog.at_level(logging.DEBUG):
        state = parse_full_state(parse_body(body))
        parse_full_state(parse_body(body))
    assert state.serial == "42/x"
    assert state.connection_state is ConnectionState.VEHICLE_CHARGING_TYPE2
    assert state.power_w is None
    assert state.ocpp_state is None
    # A value outside the document's list is kept as sent (the lists are not complete).
    assert state.unlisted == {"ocpp_state": "dancing"}
    assert state.meter_wh == 1200
    assert state.cable_attached is None
    assert state.currents_a == (1.5, None, None)
    assert state.rcmb_max_ma == (0.1, 0.2)
    assert state.errors == ()
    # Each bad value is logged once, not once per poll.
    assert caplog.text.count("'abc'") == 1
    assert caplog.text.count("'dancing'") == 1
    assert caplog.text.count("'maybe'") == 1
    unlisted = [record for record in caplog.records if "'dancing'" in record.getMessage()]
    assert unlisted[0].levelno == logging.DEBUG


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", "just text", '{"conn_state": "available"}'],
)
def test_not_a_controller(body: str) -> None:
    with pytest.raises(EvseResponseError):
        parse_full_state(parse_body(body))


def test_base_url() -> None:
    assert base_url(" 192.168.1.5:8080/ ") == "http://192.168.1.5:8080"
    assert base_url("https://wallbox.local") == "https://wallbox.local"
