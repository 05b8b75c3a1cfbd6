"""The simulator's shared machinery: clock, charging cycle, fault knobs, control API."""

from __future__ import annotations

import json
from pathlib import Path
import signal
import subprocess
import sys

import aiohttp
import pytest

from simulator.__main__ import load_clock, parse_spec, save_clock
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


def test_a_restart_resumes_simulated_time(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Meters and counters follow simulated time: resumed, they never go backwards."""
    state = tmp_path / "dev" / "simulator.json"
    clock = load_clock(state, scale=0)
    assert clock.now() == 0
    clock.advance(5 * 3600)
    before = LegacyDevice(clock).cycle.reading(clock.now())
    save_clock(state, clock)

    resumed = load_clock(state, scale=0)
    assert resumed.now() == 5 * 3600
    after = LegacyDevice(resumed).cycle.reading(resumed.now())
    assert after.meter_wh == before.meter_wh > LegacyDevice(SimClock(0)).cycle.meter_start_wh
    assert after.session_number == before.session_number

    state.write_text("not json", "utf-8")
    assert load_clock(state, scale=0).now() == 0
    assert "not a simulator state" in caplog.text


def test_the_simulator_saves_its_time_when_stopped(tmp_path: Path) -> None:
    state = tmp_path / "simulator.json"
    state.write_text(json.dumps({"now": 1234.0}), "utf-8")
    command = [sys.executable, "-m", "simulator", "--device", "bender_legacy:0", "--scale", "0"]
    process = subprocess.Popen(
        [*command, "--state", str(state)],
        cwd=Path(__file__).parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert "resuming at 1234" in process.stdout.readline()
    assert "listening" in process.stdout.readline()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert json.loads(state.read_text("utf-8")) == {"now": 1234.0}
