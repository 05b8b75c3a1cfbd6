"""Sessions of a ChargEye account: each connector's latest transaction, and the energy counters.

Every simulated connector runs its own charging cycle; a transaction with status
Ended stays on the connector until the next one starts. Home Assistant is
restarted and loses the connection on the way: every transaction completes once,
with the simulator's energy, and the counters add each once.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.clock import SimClock
from simulator.kempower_chargeye import DEFAULT_ORGANIZATION, DEFAULT_REFRESH_TOKEN, ChargEyeDevice

from .common import entity_state
from .conftest import SimServer, StartSimulator
from .test_sessions import completed  # noqa: F401 - the fixture

EPOCH = dt_util.parse_datetime("2026-03-02T06:00:00+00:00")
AC = "station_KEMAC-0001"
AC_PLUG = "connector_KEMAC-0001_1"


@pytest.fixture
def clock(freezer: FrozenDateTimeFactory) -> SimClock:
    assert EPOCH is not None
    freezer.move_to(EPOCH)
    return SimClock(scale=0)


@pytest.fixture
def device(clock: SimClock) -> ChargEyeDevice:
    assert EPOCH is not None
    return ChargEyeDevice(clock, epoch=EPOCH)


@pytest.fixture
async def sim(start_simulator: StartSimulator, device: ChargEyeDevice) -> SimServer:
    return await start_simulator(device)


@pytest.fixture
def entry(hass: HomeAssistant, sim: SimServer) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Kempower ChargEye",
        unique_id=DEFAULT_ORGANIZATION,
        data={
            CONF_VENDOR: "kempower_chargeye",
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "server_url": f"{sim.url}/api",
        },
    )
    entry.add_to_hass(hass)
    return entry


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _poll(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: SimClock, seconds: float = 60
) -> None:
    clock.advance(seconds)
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)


def _full_energy_kwh(device: ChargEyeDevice, session_id: str) -> float:
    """What the simulator reports for a whole transaction ``TX-<station>-<connector>-<n>``."""
    station_id, name, _ = session_id.removeprefix("TX-").rsplit("-", 2)
    connector = next(c for c in device.stations[station_id].connectors if c.name == name)
    cycle = connector.cycle
    return round(cycle._energy_of_charging(cycle.times.charging) / 1000, 3)


def _delivered(hass: HomeAssistant, key: str) -> float:
    return float(
        entity_state(hass, "sensor", f"{DEFAULT_ORGANIZATION}_{key}_delivered_energy").state
    )


async def test_every_transaction_completes_once_across_restart_and_connection_loss(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: ChargEyeDevice,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
    completed: list[dict[str, Any]],  # noqa: F811
) -> None:
    await _setup(hass, entry)
    assert _delivered(hass, AC_PLUG) >= 0.0
    for _ in range(20):
        await _poll(hass, freezer, clock)
    before_restart = _delivered(hass, AC)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await _poll(hass, freezer, clock, 90)  # sessions go on while Home Assistant is down
    await _setup(hass, entry)
    assert _delivered(hass, AC) >= before_restart
    for _ in range(10):
        await _poll(hass, freezer, clock)
    device.faults.update({"mode": "http_500"})
    for _ in range(2):
        await _poll(hass, freezer, clock)
    device.faults.update({"mode": "none"})
    totals: list[float] = []
    for _ in range(40):
        await _poll(hass, freezer, clock)
        if entity_state(hass, "sensor", f"{DEFAULT_ORGANIZATION}_{AC}_delivered_energy").state != (
            "unavailable"  # the client waits a while after server errors
        ):
            totals.append(_delivered(hass, AC))
    assert len(totals) > 30

    ids = Counter(session["session_id"] for session in completed)
    assert len(ids) >= 10, ids
    assert max(ids.values()) == 1, ids
    for session in completed:
        assert session["energy_kwh"] == _full_energy_kwh(device, session["session_id"])
        assert session["station"].startswith(("Depot charger", "Office charger"))
        assert session["connector"].startswith(session["station"])
    # The counters: each completed transaction once, plus the running one, never backwards.
    assert totals == sorted(totals)
    ac_plugs = (AC_PLUG, "connector_KEMAC-0001_2")
    assert _delivered(hass, AC) == pytest.approx(sum(_delivered(hass, key) for key in ac_plugs))
    done = sum(
        session["energy_kwh"]
        for session in completed
        if session["session_id"].startswith("TX-KEMAC-0001-1-")
    )
    assert _delivered(hass, AC_PLUG) >= round(done, 3) - 0.001
    state = entity_state(hass, "sensor", f"{DEFAULT_ORGANIZATION}_{AC_PLUG}_delivered_energy")
    assert state.attributes["state_class"] == "total_increasing"
    assert state.attributes["unit_of_measurement"] == "kWh"
