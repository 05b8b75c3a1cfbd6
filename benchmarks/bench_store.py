"""What the sessions store writes: one entry with a long history and a car charging.

Run with ``scripts/benchmark``. A Bender Legacy controller (polled every 15 s) with
20 000 completed sessions already stored charges one car after another for one
simulated hour, a session completing every 10 minutes. Every write of a store is
counted with its size (the JSON Home Assistant writes): exact and repeatable. The
history is stored by month; once per ``JOURNAL_SIZE`` completions the month the
journal's sessions ended in is rewritten: the second case starts with the journal
nearly full, so that one rewrite falls into its hour.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.evse_bridge.sessions.core import JOURNAL_SIZE
from custom_components.evse_bridge.sessions.history import by_month
from custom_components.evse_bridge.sessions.tracker import (
    history_month_store_key,
    history_store_key,
    journal_store_key,
    store_key,
)
from simulator import bender_legacy
from simulator.charging import CycleTimes
from tests.conftest import StartSimulator

from .common import Simulated, add_entry, legacy_entry_data, print_table

HOUR = 3600
POLL_S = 15
STORED_SESSIONS = 20_000
MIB = 1024 * 1024
RESULTS: list[str] = []


def _history(count: int) -> list[dict[str, Any]]:
    """``count`` completed sessions as the history keeps them, one every 20 min until now."""
    now = dt_util.utcnow()
    items = []
    for number in range(count):
        end = now - timedelta(minutes=20 * (count - number))
        items.append(
            {
                "session_id": f"{number:032x}",
                "start": (end - timedelta(hours=2)).isoformat(),
                "end": end.isoformat(),
                "duration_s": 7200,
                "energy_kwh": 21.375,
                "peak_power_w": 11000.0,
                "tag": f"tag_{number:016x}",
                "vehicle_soc": 80.0,
                "stop_reason": "ev_disconnected",
                "device_id": "0123456789abcdef0123456789abcdef",
                "station": "Parking level 2 north",
                "connector": "Connector 1",
                "device_key": "controller",
                "parent_key": None,
            }
        )
    return items


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
    simulated = Simulated(
        make_device=bender_legacy.LegacyDevice,
        entry_data=legacy_entry_data,
        unique_id=bender_legacy.SERIAL,
    )
    entry, device, clock = await add_entry(hass, start_simulator, simulated, "Garage")
    assert isinstance(device, bender_legacy.LegacyDevice)
    device.cycle.times = CycleTimes(idle=60, connected=10, charging=470, finished=60)
    months = by_month(_history(stored + journal)[:stored])
    for month, items in months.items():
        key = history_month_store_key(entry.entry_id, month)
        hass_storage[key] = {
            "version": 1,
            "minor_version": 1,
            "key": key,
            "data": {"completed": items},
        }
    hass_storage[history_store_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": history_store_key(entry.entry_id),
        "data": {"months": sorted(months)},
    }
    hass_storage[store_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(entry.entry_id),
        "data": {"secret": "ab" * 32},
    }
    hass_storage[journal_store_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": journal_store_key(entry.entry_id),
        "data": {"journal": _history(stored + journal)[stored:]},
    }
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


@pytest.fixture(scope="session", autouse=True)
def report() -> Iterator[None]:
    """Print the table once the case ran."""
    yield
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
