"""The simulated v1 controller's own rules: options, tokens, sessions, knobs."""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp
import pytest

from custom_components.evse_bridge.api.bender_v1 import BenderV1Client
from simulator.__main__ import parse_spec
from simulator.bender_v1 import DEFAULT_PASSWORD, BenderV1Device
from simulator.clock import SimClock
from simulator.registry import create_device

from ..conftest import StartSimulator


def test_options_from_the_command_line() -> None:
    kind, port, options = parse_spec(
        "bender_v1:18200,password=pw,prefix=none,tag=none,tag_delay=3,offset=130,serial=S1"
    )
    device = create_device(kind, SimClock(scale=0), options)
    assert isinstance(device, BenderV1Device)
    assert port == 18200
    assert device.password == "pw"
    assert not device.prefixed
    assert device.tag_id is None
    assert device.tag_delay_s == 3.0
    assert device.serial == "S1"
    assert device.system_state()["systemState"] == "connected"
    with pytest.raises(ValueError, match="unknown bender_v1 options"):
        BenderV1Device.from_options(SimClock(scale=0), {"colour": "red"})


async def test_tokens_die_when_used_or_superseded(start_simulator: StartSimulator) -> None:
    device = BenderV1Device(SimClock(scale=0))
    sim = await start_simulator(device)

    async def token(http: aiohttp.ClientSession) -> str:
        async with http.get(f"{sim.url}/v1/login") as response:
            value: str = (await response.json())["token"]
            return value

    async def login(http: aiohttp.ClientSession, token: str, body: Any = None) -> int:
        digest = hashlib.sha256((DEFAULT_PASSWORD + token).encode()).hexdigest()
        payload = body if body is not None else {"username": "operator", "password": digest}
        async with http.post(f"{sim.url}/v1/login", json=payload) as response:
            return response.status

    async with aiohttp.ClientSession() as http:
        first = await token(http)
        second = await token(http)
        assert first != second
        assert await login(http, first) == 401  # superseded by the second
        assert await login(http, second) == 401  # the failed attempt used it up
        fresh = await token(http)
        assert await login(http, fresh) == 200
        assert await login(http, fresh) == 401  # used
        assert await login(http, await token(http), body=["not", "an", "object"]) == 400
        async with http.post(f"{sim.url}/v1/login", data=b"{not json") as response:
            assert response.status == 400
        async with http.get(f"{sim.url}/v1/transactions/summary") as response:
            assert response.status == 401
        async with http.get(f"{sim.url}/_sim/state") as response:
            state = await response.json()
    assert state["logins"] == 1
    assert state["refused_logins"] == 3
    assert state["session_active"] is True
    assert state["pairing_active"] is False


async def test_knobs(start_simulator: StartSimulator) -> None:
    device = BenderV1Device(SimClock(scale=0))
    sim = await start_simulator(device)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sim.url}/_sim/action/unknown", json={}) as response:
            assert response.status == 404
        async with http.post(
            f"{sim.url}/_sim/action/configure",
            json={"rest": "off", "tag": "beef", "tag_type": "NFC", "tag_delay": 1},
        ) as response:
            assert response.status == 200
        assert (device.tag_id, device.tag_type, device.tag_delay_s) == ("beef", "NFC", 1.0)
        for path in ("/v1/login", "/v1/system_state"):
            async with http.get(f"{sim.url}{path}") as response:
                assert response.status == 404
        async with http.post(f"{sim.url}/v1/login", json={}) as response:
            assert response.status == 404


async def test_settings_params_select_keys(start_simulator: StartSimulator) -> None:
    device = BenderV1Device(SimClock(scale=0))
    sim = await start_simulator(device)
    async with aiohttp.ClientSession() as http:
        client = BenderV1Client(http, sim.host, "operator", DEFAULT_PASSWORD)
        await client.login()
        session_id = device._session_id
        assert session_id is not None
        async with http.get(
            f"{sim.url}/v1/settings",
            params={"params": "Enabled_wlan"},
            headers={"Authorization": session_id},
        ) as response:
            body = await response.json()
    assert body["result"] == {"Enabled_wlan": "off"}
    assert body["ChargePointInfo"]["chargePointSerialNumber"] == device.serial


def test_pairing_window_closes_without_a_tag() -> None:
    clock = SimClock(scale=0)
    device = BenderV1Device(clock, tag_id=None)
    device._pairing_started = 0.0
    clock.advance(30)
    assert device.describe()["pairing_active"] is True
    clock.advance(31)
    assert device.describe()["pairing_active"] is False
