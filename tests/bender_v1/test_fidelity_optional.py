"""v1: optional endpoints never fail a poll; a controller without a stated serial is named."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from custom_components.evse_bridge.api import (
    EvseDetailUnavailableError,
    EvseNotSupportedError,
)
from custom_components.evse_bridge.api.bender_v1 import BenderV1Client
from simulator.bender_v1 import DEFAULT_PASSWORD, DEFAULT_USERNAME, SERIAL, BenderV1Device
from simulator.clock import SimClock

from ..conftest import StartSimulator

OPTIONAL = {
    "/v1/logging": "logging",
    "/v1/transactions/summary": "transaction_summary",
    "/v1/transactions/active": "transaction_active",
}


async def _client(
    start_simulator: StartSimulator, device: BenderV1Device, http: aiohttp.ClientSession
) -> BenderV1Client:
    sim = await start_simulator(device)
    return BenderV1Client(http, sim.host, DEFAULT_USERNAME, DEFAULT_PASSWORD, timeout_s=0.5)


@pytest.mark.parametrize("mode", ["http_405", "http_500", "http_503", "timeout", "drop"])
@pytest.mark.parametrize("path", sorted(OPTIONAL))
async def test_an_optional_endpoint_failing_is_unknown_for_now(
    start_simulator: StartSimulator, caplog: pytest.LogCaptureFixture, path: str, mode: str
) -> None:
    device = BenderV1Device(SimClock(scale=0))
    device.faults.paths = {path: mode}
    async with aiohttp.ClientSession() as http:
        client = await _client(start_simulator, device, http)
        with caplog.at_level(logging.DEBUG):
            for _ in range(2):
                with pytest.raises(EvseDetailUnavailableError):
                    await getattr(client, OPTIONAL[path])()
            # What does not depend on the failing call is there.
            state = await client.system_state()
            info = await client.charge_point_info()
        assert state.connection is not None
        assert info.serial == SERIAL
        assert client.readings["unavailable"][path.removeprefix("/v1")]
        device.faults.paths = {}
        await getattr(client, OPTIONAL[path])()
        assert client.readings["unavailable"] == {}
    notes = [r for r in caplog.records if "for now" in r.getMessage()]
    assert len(notes) == 1  # logged once although it failed twice
    assert notes[0].levelno == logging.DEBUG
    assert not any(record.exc_info for record in caplog.records)


@pytest.mark.parametrize("path", sorted(OPTIONAL))
async def test_a_missing_optional_endpoint_is_not_supported(
    start_simulator: StartSimulator, path: str
) -> None:
    device = BenderV1Device(SimClock(scale=0))
    device.faults.paths = {path: "http_404"}
    async with aiohttp.ClientSession() as http:
        client = await _client(start_simulator, device, http)
        with pytest.raises(EvseNotSupportedError) as raised:
            await getattr(client, OPTIONAL[path])()
    assert not isinstance(raised.value, EvseDetailUnavailableError)


@pytest.mark.parametrize("status", ["http_405", "http_404"])
async def test_an_unprefixed_controller_found_after_any_refusal_of_v1_login(
    start_simulator: StartSimulator, status: str
) -> None:
    device = BenderV1Device(SimClock(scale=0), prefixed=False)
    device.faults.paths = {"/v1/login": status}
    async with aiohttp.ClientSession() as http:
        client = await _client(start_simulator, device, http)
        state = await client.system_state()
    assert state.connection is not None
    assert client.api_prefix == ""


@pytest.mark.parametrize(
    ("serial_at", "cp_id", "identifier", "source"),
    [
        ("info", "CP-1", SERIAL, "ChargePointInfo.chargePointSerialNumber"),
        ("settings", "CP-1", SERIAL, "settings.SerialNumber_hw"),
        ("none", "CP-1", "CP-1", "charge_point_id"),
        ("none", "", "host:127.0.0.1", "host"),
    ],
)
async def test_the_identifier_wherever_the_controller_states_it(
    start_simulator: StartSimulator, serial_at: str, cp_id: str, identifier: str, source: str
) -> None:
    device = BenderV1Device(SimClock(scale=0), serial_at=serial_at, charge_point_id=cp_id)
    async with aiohttp.ClientSession() as http:
        client = await _client(start_simulator, device, http)
        info = await client.charge_point_info()
    assert info.identifier == identifier
    assert info.identity_source == source
    assert info.serial == (None if serial_at == "none" else SERIAL)
    assert client.readings["identity_source"] == source
