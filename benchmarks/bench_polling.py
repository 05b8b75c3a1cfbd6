"""Polling cost per vendor: requests per poll, logins per hour, update time as sites grow.

Run with ``scripts/benchmark``. Each case loads a real config entry against the
simulator over HTTP(S) on 127.0.0.1 and polls it for one simulated hour (time
is simulated on both sides, so the hour takes seconds). Request counts are
exact and repeatable; update times are wall-clock measurements of this
machine, reported, never asserted.

The event-loop cases measure what a poll costs Home Assistant's event loop apart
from the HTTP exchange (the simulator shares the loop): each poll's data is
fetched from the simulator first, untimed, then handed to the coordinator, and
the refresh with its entity updates is timed. Stores serialise in the executor, as
Home Assistant's do (the test harness's stand-in would do it in the loop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import cProfile
from dataclasses import dataclass
from datetime import timedelta
import gc
import os
from pathlib import Path
import statistics
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity, storage
import pytest

from custom_components.evse_bridge.contract.site import SiteData
from custom_components.evse_bridge.sessions.core import MAX_HISTORY
from simulator import bender_legacy, bender_v1, kempower_chargeye, schneider_evce
from tests.conftest import StartSimulator

from .common import (
    Simulated,
    add_entry,
    chargeye_entry_data,
    evce_entry_data,
    legacy_entry_data,
    print_table,
    put_sessions,
    serialise_as_home_assistant,
    stored_sessions,
    v1_entry_data,
)

HOUR = 3600.0
RESULTS: list[str] = []
LOOP_RESULTS: list[str] = []
# Held in a dict so that freezegun, which replaces module attributes that are the
# real clock functions, leaves this one alone: update times are real wall-clock.
_WALL_CLOCK = {"now": time.perf_counter, "cpu": time.thread_time}


@dataclass(frozen=True)
class Case(Simulated):
    """One vendor set-up to measure."""

    name: str
    login_paths: tuple[str, ...]
    interval_s: float
    hours: float = 1.0


def _legacy(size: int, hours: float) -> Case:
    return Case(
        name="bender_legacy",
        make_device=bender_legacy.LegacyDevice,
        entry_data=legacy_entry_data,
        unique_id=bender_legacy.SERIAL,
        login_paths=(),
        interval_s=15,
        hours=hours,
    )


def _v1(size: int, hours: float) -> Case:
    return Case(
        name="bender_v1",
        make_device=bender_v1.BenderV1Device,
        entry_data=v1_entry_data,
        unique_id=bender_v1.SERIAL,
        login_paths=("POST /v1/login",),
        interval_s=15,
        hours=hours,
    )


def _evce(size: int, hours: float) -> Case:
    return Case(
        name=f"schneider_evce ({size} stations, 2 zones, 1 meter)",
        make_device=lambda clock: schneider_evce.EvceDevice(clock, stations=size),
        entry_data=evce_entry_data,
        unique_id=schneider_evce.SERIAL,
        login_paths=("POST /api/v2/login/login",),
        interval_s=15,
        hours=hours,
    )


def _chargeye(size: int, hours: float) -> Case:
    return Case(
        name=f"kempower_chargeye ({size} DC + 1 AC stations)",
        make_device=lambda clock: kempower_chargeye.ChargEyeDevice(clock, dc_stations=size),
        entry_data=chargeye_entry_data,
        unique_id=kempower_chargeye.DEFAULT_ORGANIZATION,
        login_paths=("GET /api/auth/refreshAccessToken",),
        interval_s=60,
        hours=hours,
    )


CASES = [
    (_legacy, 1, 1),
    (_v1, 1, 1),
    (_evce, 3, 24),
    (_evce, 30, 1),
    (_evce, 300, 1),
    (_chargeye, 2, 24),
    (_chargeye, 30, 1),
    (_chargeye, 300, 1),
]


@pytest.mark.parametrize(("factory", "size", "hours"), CASES)
async def test_polling_cost(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    factory: Callable[[int, float], Case],
    size: int,
    hours: float,
) -> None:
    """Poll for the case's simulated hours and report what it cost."""
    case = factory(size, hours)
    entry, device, clock = await add_entry(hass, start_simulator, case, case.name)
    setup_start = _WALL_CLOCK["now"]()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    setup_s = _WALL_CLOCK["now"]() - setup_start
    coordinator = entry.runtime_data.coordinator
    entities = len(hass.states.async_entity_ids())
    device.stats.by_path.clear()

    polls = int(case.hours * HOUR / case.interval_s)
    durations: list[float] = []
    for _ in range(polls):
        freezer.tick(timedelta(seconds=case.interval_s))
        clock.advance(case.interval_s)
        start = _WALL_CLOCK["now"]()
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        durations.append(_WALL_CLOCK["now"]() - start)
        assert coordinator.last_update_success

    requests = sum(device.stats.by_path.values())
    logins = sum(device.stats.by_path.get(path, 0) for path in case.login_paths)
    RESULTS.append(
        f"| {case.name} | {entities} | {case.hours:g} | {polls} | {requests / polls:.2f} "
        f"| {logins} | {logins / case.hours:.2f} "
        f"| {statistics.median(durations) * 1000:.1f} | {max(durations) * 1000:.1f} "
        f"| {setup_s * 1000:.0f} |"
    )
    await hass.config_entries.async_unload(entry.entry_id)


#: (vendor, stations, polls, completed sessions stored). A 1000-station account whose
#: connectors are all busy completes about 100 000 sessions a day: a day in, its history
#: is at the count cap and every poll moves the journal into it.
LOOP_CASES = [
    (_evce, 300, 10, 0),
    (_chargeye, 100, 10, 0),
    (_chargeye, 300, 10, 0),
    (_chargeye, 1000, 10, 0),
    (_chargeye, 1000, 10, MAX_HISTORY),
]


@pytest.mark.parametrize(("factory", "size", "polls", "stored"), LOOP_CASES)
async def test_event_loop_time_per_poll(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    hass_storage: dict[str, Any],
    factory: Callable[[int, float], Case],
    size: int,
    polls: int,
    stored: int,
) -> None:
    """Time the coordinator's refresh (entity updates included) on data already fetched.

    CPU time is the event loop's thread's: what the poll costs the loop, apart from what
    other processes on a loaded machine take from it (the wall-clock time, also shown).
    Entities written per poll: the state changes the refresh caused. The CPU time is
    split into Home Assistant's own part of those writes and the rest (the integration's
    comparison of every entity, sessions, the coordinator's machinery). With
    ``BENCH_PROFILE=<directory>`` the timed refreshes are profiled (cProfile, one
    ``<vendor>-<size>-<stored>.pstats`` per case). A case with sessions stored starts with
    them in the history (ended over the last day).
    """
    case = factory(size, 1)
    entry, device, clock = await add_entry(hass, start_simulator, case, case.name)
    if stored:
        # Over the last day.
        put_sessions(
            hass_storage,
            entry.entry_id,
            stored_sessions(stored, timedelta(days=1) / stored),
            stored,
        )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    site = entry.runtime_data.site
    fetch = site.async_fetch
    fetched: list[SiteData] = []

    async def replay() -> SiteData:
        # A refresh Home Assistant schedules itself (on the loop's real clock, which the
        # frozen one does not stop) finds nothing queued: it gets the data the entities
        # already show instead of failing, which would make every entity unavailable and
        # the next timed poll write them all.
        return fetched.pop() if fetched else coordinator.data

    site.async_fetch = replay  # type: ignore[method-assign]
    coordinator.update_interval = None
    durations: list[float] = []
    cpu: list[float] = []
    writes: list[int] = []
    changed: list[Event[EventStateChangedData]] = []

    @callback
    def count(event: Event[EventStateChangedData]) -> None:
        # A callback: any other listener of state_changed runs in the executor, a thread
        # hand-off per write that a real installation's listeners (the recorder's) do not cost.
        changed.append(event)

    stop_counting = hass.bus.async_listen(EVENT_STATE_CHANGED, count)
    # The test harness runs the loop in debug mode, which records a stack trace with every
    # scheduled callback; Home Assistant does not, so the measured polls run without it.
    hass.loop.set_debug(False)
    profile_dir = os.environ.get("BENCH_PROFILE")
    profile = cProfile.Profile() if profile_dir else None
    # No frozen clock here: freezegun's replacement of time.time, which every state write
    # reads, cost a third of the measured time, and a real installation does not pay it.
    # The simulator's own clock moves on; Home Assistant's real one hardly does.
    # Home Assistant's own part of each write (working out the state, the state machine),
    # on the wall clock: the thread's CPU clock is a system call, too dear to read per
    # write, and a write does not wait.
    in_writes = [0.0]
    ha_write = entity.Entity._async_write_ha_state
    clock_now = _WALL_CLOCK["now"]

    def timed_write(self: entity.Entity) -> None:
        started = clock_now()
        try:
            ha_write(self)
        finally:
            in_writes[0] += clock_now() - started

    write_times: list[float] = []
    with (
        patch.object(storage.Store, "_async_write_data", serialise_as_home_assistant),
        patch.object(entity.Entity, "_async_write_ha_state", timed_write),
    ):
        for _ in range(polls):
            clock.advance(case.interval_s)
            fetched.append(await fetch())
            changed.clear()
            gc.collect()
            if profile is not None:
                profile.enable()
            in_writes[0] = 0.0
            start, start_cpu = _WALL_CLOCK["now"](), _WALL_CLOCK["cpu"]()
            await coordinator.async_refresh()
            await hass.async_block_till_done()
            durations.append(_WALL_CLOCK["now"]() - start)
            cpu.append(_WALL_CLOCK["cpu"]() - start_cpu)
            write_times.append(in_writes[0])
            if profile is not None:
                profile.disable()
            writes.append(len(changed))
            assert coordinator.last_update_success
    stop_counting()
    hass.loop.set_debug(True)
    if profile is not None and profile_dir:
        profile.dump_stats(Path(profile_dir) / f"{case.name.split()[0]}-{size}-{stored}.pstats")
    LOOP_RESULTS.append(
        f"| {case.name} | {len(coordinator.data.devices)} | {len(hass.states.async_entity_ids())} "
        f"| {stored} | {polls} | {statistics.median(cpu) * 1000:.1f} | {max(cpu) * 1000:.1f} "
        f"| {statistics.median(durations) * 1000:.1f} "
        f"| {statistics.median(writes):.0f} | {max(writes)} "
        f"| {statistics.median(write_times) * 1000:.1f} "
        f"| {statistics.median(c - w for c, w in zip(cpu, write_times, strict=True)) * 1000:.1f} |"
    )
    site.async_fetch = fetch  # type: ignore[method-assign]
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.fixture(scope="session", autouse=True)
def report() -> Iterator[None]:
    """Print the tables once all cases ran."""
    yield
    if LOOP_RESULTS:
        print_table(
            "Event-loop time per poll, HTTP exchange excluded (this machine's)",
            (
                "case",
                "devices",
                "entities",
                "stored sessions",
                "polls",
                "median CPU ms",
                "max CPU ms",
                "median wall ms",
                "median entities written",
                "max entities written",
                "median ms in HA's state writes",
                "median CPU ms of the rest",
            ),
            LOOP_RESULTS,
        )
    if not RESULTS:
        return
    print_table(
        "Polling cost per case (simulator on 127.0.0.1; times are this machine's)",
        (
            "case",
            "entities",
            "simulated h",
            "polls",
            "requests/poll",
            "logins after set-up",
            "logins/hour",
            "median update ms",
            "max update ms",
            "setup ms",
        ),
        RESULTS,
    )
