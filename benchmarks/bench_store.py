"""What the sessions store writes: one entry with a long history and a car charging.

Run with ``scripts/benchmark``. A Bender Legacy controller (polled every 15 s) with
20 000 completed sessions already stored charges one car after another for one
simulated hour, a session completing every 10 minutes. Every write of a store is
counted with its size (the JSON Home Assistant writes): exact and repeatable. The
history is stored by month; once per ``JOURNAL_SIZE`` completions the month the
journal's sessions ended in is rewritten: the second case starts with the journal
nearly full, so that one rewrite falls into its hour. A third case times, at the count
cap, the event loop's part of the poll that moves the journal into the history.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
import statistics
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.storage import Store
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.evse_bridge.sessions.core import JOURNAL_SIZE, MAX_HISTORY
from custom_components.evse_bridge.sessions.tracker import (
    history_month_store_key,
    history_store_key,
    journal_store_key,
    store_key,
)
from simulator import bender_legacy
from simulator.charging import CycleTimes
from simulator.clock import SimClock
from tests.conftest import StartSimulator

from .common import (
    Simulated,
    add_entry,
    legacy_entry_data,
    print_table,
    put_sessions,
    serialise_as_home_assistant,
    stored_sessions,
)

HOUR = 3600
POLL_S = 15
STORED_SESSIONS = 20_000
MIB = 1024 * 1024
RESULTS: list[str] = []
MOVE_RESULTS: list[str] = []
# Held in a dict so that freezegun, which replaces module attributes that are the real
# clock functions, leaves this one alone.
_CPU = {"now": time.thread_time}


async def _charging_controller(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> tuple[MockConfigEntry, SimClock]:
    """A Legacy controller's entry, not set up; a session completes every 10 minutes."""
    simulated = Simulated(
        make_device=bender_legacy.LegacyDevice,
        entry_data=legacy_entry_data,
        unique_id=bender_legacy.SERIAL,
    )
    entry, device, clock = await add_entry(hass, start_simulator, simulated, "Garage")
    assert isinstance(device, bender_legacy.LegacyDevice)
    device.cycle.times = CycleTimes(idle=60, connected=10, charging=470, finished=60)
    return entry, clock


@pytest.mark.parametrize(("stored", "journal"), [(STORED_SESSIONS, 0), (STORED_SESSIONS, 45)])
async def test_store_writes_per_hour(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    stored: int,
    journal: int,
) -> None:
    """Poll for an hour with a completion every 10 min; count the stores' writes and bytes."""
    entry, clock = await _charging_controller(hass, start_simulator)
    months = put_sessions(hass_storage, entry.entry_id, stored_sessions(stored + journal), stored)
    history_bytes = sum(
        len(json_bytes(hass_storage[history_month_store_key(entry.entry_id, month)]))
        for month in months
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    writes: Counter[str] = Counter()
    written: defaultdict[str, int] = defaultdict(int)
    write = Store._async_write_data

    async def counted(store: Store[Any], *args: Any) -> None:
        await write(store, *args)
        writes[store.key] += 1
        written[store.key] += len(json_bytes(hass_storage[store.key]))

    completions = 0

    def completed(_: Any) -> None:
        nonlocal completions
        completions += 1

    hass.bus.async_listen("evse_bridge_session_completed", completed)
    with patch.object(Store, "_async_write_data", counted):
        for _ in range(HOUR // POLL_S):
            clock.advance(POLL_S)
            freezer.tick(timedelta(seconds=POLL_S))
            async_fire_time_changed(hass)
            await hass.async_block_till_done(wait_background_tasks=True)
            assert entry.runtime_data.coordinator.last_update_success
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()

    state, index = store_key(entry.entry_id), history_store_key(entry.entry_id)
    journal_key = journal_store_key(entry.entry_id)
    month_keys = [key for key in writes if key.startswith(f"{index}.")]
    history_writes = sum(writes[key] for key in month_keys)
    history_written = sum(written[key] for key in month_keys) + written[index]
    total = written[state] + written[journal_key] + history_written
    # Each move of the journal writes the month the sessions ended in (the simulated hour
    # may cross into a new month: then that one too).
    assert (journal + completions) // JOURNAL_SIZE <= history_writes
    assert history_writes <= 2 * ((journal + completions) // JOURNAL_SIZE)
    RESULTS.append(
        f"| {stored} ({history_bytes / MIB:.1f} MiB, {len(months)} months) | {journal} "
        f"| {HOUR // POLL_S} | {completions} "
        f"| {writes[state]} | {written[state] / 1024:.0f} "
        f"| {writes[journal_key]} | {written[journal_key] / 1024:.0f} | {history_writes} "
        f"| {history_written / MIB:.2f} | {total / MIB:.2f} |"
    )


async def test_event_loop_time_of_a_journal_move_at_the_count_cap(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The poll that moves the journal into a full history, against the polls around it.

    ``MAX_HISTORY`` sessions stored (one every 5 minutes: about 11.5 months) and a journal
    one completion short of full. The CPU time of the event loop's thread per poll; store
    writes serialised where Home Assistant's store does (the harness's in the loop).
    """
    entry, clock = await _charging_controller(hass, start_simulator)
    sessions = stored_sessions(MAX_HISTORY + JOURNAL_SIZE - 1, timedelta(minutes=5))
    put_sessions(hass_storage, entry.entry_id, sessions, MAX_HISTORY)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    sessions_tracker = entry.runtime_data.sessions
    polls: list[tuple[float, bool]] = []
    with patch.object(Store, "_async_write_data", serialise_as_home_assistant):
        for _ in range(HOUR // POLL_S // 2):
            clock.advance(POLL_S)
            freezer.tick(timedelta(seconds=POLL_S))
            journal = len(sessions_tracker._book.journal)
            start = _CPU["now"]()
            async_fire_time_changed(hass)
            await hass.async_block_till_done(wait_background_tasks=True)
            polls.append((_CPU["now"]() - start, len(sessions_tracker._book.journal) < journal))
            assert entry.runtime_data.coordinator.last_update_success
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    moves = [cpu for cpu, moved in polls if moved]
    others = [cpu for cpu, moved in polls if not moved]
    assert len(moves) == 1
    MOVE_RESULTS.append(
        f"| {MAX_HISTORY} | {len(polls)} | {statistics.median(others) * 1000:.1f} "
        f"| {max(others) * 1000:.1f} | {moves[0] * 1000:.1f} |"
    )


@pytest.fixture(scope="session", autouse=True)
def report() -> Iterator[None]:
    """Print the tables once the cases ran."""
    yield
    if MOVE_RESULTS:
        print_table(
            "Event-loop CPU per poll at the count cap, one journal move (this machine's)",
            (
                "stored sessions",
                "polls",
                "median ms of the other polls",
                "max ms of the other polls",
                "ms of the poll that moved the journal",
            ),
            MOVE_RESULTS,
        )
    if RESULTS:
        print_table(
            "Sessions stores, one simulated hour",
            (
                "stored sessions",
                "in the journal",
                "polls",
                "completions",
                "open-session writes",
                "open-session KiB",
                "journal writes",
                "journal KiB",
                "history month writes",
                "history MiB",
                "MiB written",
            ),
            RESULTS,
        )
