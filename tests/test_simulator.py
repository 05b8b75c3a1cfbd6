"""The simulator's shared machinery: clock, charging cycle, fault knobs, control API."""

from __future__ import annotations

import aiohttp
import pytest

from simulator.__main__ import parse_spec
from simulator.bender_legacy import LegacyDevice
from simulator.charging import ChargingCycle, CycleTimes, Phase
from simulator.clock import SimClock

from .conftest import StartSimulator


def test_cycle_energy_rises_by_what_was_charged() -> None:
    cycle = ChargingCycle(max_power_w=3600.0, phases=1, times=CycleTimes(10, 10, 100, 10))
    start = cycle.reading(0)
    assert start.phase is Phase.IDLE
    charging = cycle.reading(10 + 10 + 50)
    assert charging.phase is Phase.CHARGING
    assert charging.power_w == 3600.0
    assert charging.session_wh == pytest.approx(50.0)
    assert charging.meter_wh == pytest.approx(start.meter_wh + 50.0)
    finished = cycle.reading(125)
    assert finished.phase is Phase.FINISHED
    next_cycle = cycle.reading(130 + 5)
    assert next_cycle.phase is Phase.IDLE
    assert next_cycle.meter_wh == pytest.approx(finished.meter_wh)
    assert next_cycle.meter_wh > start.meter_wh


def test_clock_frozen_and_advanced() -> None:
    clock = SimClock(scale=0)
    assert clock.now() == 0
    assert clock.advance(42) == 42


def test_parse_spec() -> None:
    assert parse_spec("bender_legacy:8081,firmware=old") == (
        "bender_legacy",
        8081,
        {"firmware": "old"},
    )


async def test_control_api_sets_faults_and_counts(start_simulator: StartSimulator) -> None:
    sim = await start_simulator(LegacyDevice(SimClock(scale=0)))
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{sim.url}/_sim/faults", json={"mode": "http_500"}) as resp:
            assert resp.status == 200
        async with session.get(f"{sim.url}/rest/full_state") as resp:
            assert resp.status == 500
        async with session.post(f"{sim.url}/_sim/faults", json={"mode": "bogus"}) as resp:
            assert resp.status == 400
        async with session.post(f"{sim.url}/_sim/faults", json={"mode": "none"}) as resp:
            assert resp.status == 200
        async with session.post(f"{sim.url}/_sim/advance?seconds=200") as resp:
            assert (await resp.json())["now"] == 200
        async with session.get(f"{sim.url}/rest/power_w", params={"format": "json"}) as resp:
            assert await resp.json() == {"power_w": "11000"}
        async with session.get(f"{sim.url}/_sim/stats") as resp:
            stats = await resp.json()
    assert stats["by_path"] == {"GET /rest/full_state": 1, "GET /rest/power_w": 1}
