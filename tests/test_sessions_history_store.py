"""The history of completed sessions on disk: one file per month, an index of the months.

A completion rewrites only the month it ended in; pruning removes whole months and
trims the oldest kept one; the single history file of old moves into months and is
replaced by the index only once they are written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
import json
from types import MappingProxyType
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import CONF_INCLUDE_TAG_IDS, DOMAIN
from custom_components.evse_bridge.sessions.core import JOURNAL_SIZE, KEEP
from custom_components.evse_bridge.sessions.tracker import (
    history_month_store_key,
    history_store_key,
    journal_store_key,
    store_key,
)
from simulator.bender_legacy import LegacyDevice

from .test_sessions import (
    Stepper,
    _get_sessions,
    _setup,
    clock,  # noqa: F401 - the fixture
    completed,  # noqa: F401 - the fixture
    device,  # noqa: F401 - the fixture
    entry,  # noqa: F401 - the fixture
    session_energy_kwh,
    sim,  # noqa: F401 - the fixture
    step,  # noqa: F401 - the fixture
)

#: Mid-month: a session completed in the test ends in this month.
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def mid_month(freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(NOW)


@pytest.fixture
def written(hass_storage: dict[str, Any]) -> Iterator[list[str]]:
    """The key of every store written, in order."""
    keys: list[str] = []
    write = Store._async_write_data

    async def counted(store: Store[Any], *args: Any) -> None:
        await write(store, *args)
        keys.append(store.key)

    with patch.object(Store, "_async_write_data", counted):
        yield keys


def _item(session_id: str, end: datetime, energy_kwh: float = 5.0) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "start": (end - timedelta(hours=1)).isoformat(),
        "end": end.isoformat(),
        "duration_s": 3600,
        "energy_kwh": energy_kwh,
        "peak_power_w": 11000.0,
        "tag": None,
        "vehicle_soc": None,
        "stop_reason": None,
        "device_id": None,
        "station": None,
        "connector": "Garage",
        "device_key": "controller",
        "parent_key": None,
    }


def _put(hass_storage: dict[str, Any], key: str, data: dict[str, Any]) -> None:
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": data}


def _stored(hass_storage: dict[str, Any], key: str) -> Any:
    return hass_storage[key]["data"]


def _put_months(
    hass_storage: dict[str, Any], entry_id: str, months: dict[str, list[dict[str, Any]]]
) -> None:
    _put(hass_storage, history_store_key(entry_id), {"months": sorted(months)})
    for month, items in months.items():
        _put(hass_storage, history_month_store_key(entry_id, month), {"completed": items})


async def test_the_single_history_file_of_old_moves_into_months(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    hass_storage: dict[str, Any],
    written: list[str],
) -> None:
    april = _item("april", datetime(2026, 4, 20, tzinfo=UTC))
    may = _item("may", datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    june = _item("june", datetime(2026, 6, 1, 0, 30, tzinfo=UTC))
    latest = _item("latest", datetime(2026, 6, 14, tzinfo=UTC))
    _put(hass_storage, store_key(entry.entry_id), {"secret": "ab" * 32, "open": {}})
    _put(hass_storage, history_store_key(entry.entry_id), {"completed": [april, may, june]})
    # Killed after the history was written, before the journal was emptied: ``june`` twice.
    _put(hass_storage, journal_store_key(entry.entry_id), {"journal": [june, latest]})

    await _setup(hass, entry)

    assert _stored(hass_storage, history_store_key(entry.entry_id)) == {
        "months": ["2026-04", "2026-05", "2026-06"]
    }
    month = history_month_store_key
    assert _stored(hass_storage, month(entry.entry_id, "2026-04"))["completed"] == [april]
    assert _stored(hass_storage, month(entry.entry_id, "2026-05"))["completed"] == [may]
    assert _stored(hass_storage, month(entry.entry_id, "2026-06"))["completed"] == [june, latest]
    assert _stored(hass_storage, journal_store_key(entry.entry_id))["journal"] == []
    # The index replaces the file of old only once every month is written.
    index_written = written.index(history_store_key(entry.entry_id))
    assert {month(entry.entry_id, name) for name in ("2026-04", "2026-05", "2026-06")} <= set(
        written[:index_written]
    )
    response = await _get_sessions(
        hass, config_entry_id=entry.entry_id, **{"from": "2026-01-01T00:00:00+00:00"}
    )
    assert [item["session_id"] for item in response["sessions"]] == [
        "april",
        "may",
        "june",
        "latest",
    ]

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not [key for key in hass_storage if entry.entry_id in key]


async def test_a_history_of_old_killed_while_moving_loads_each_session_once(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    hass_storage: dict[str, Any],
) -> None:
    """Months written, the index not yet: the file of old still holds every session."""
    may = _item("may", datetime(2026, 5, 2, tzinfo=UTC))
    june = _item("june", datetime(2026, 6, 2, tzinfo=UTC))
    _put(hass_storage, store_key(entry.entry_id), {"secret": "ab" * 32, "open": {}})
    _put(hass_storage, history_store_key(entry.entry_id), {"completed": [may, june]})
    _put(hass_storage, history_month_store_key(entry.entry_id, "2026-05"), {"completed": [may]})

    await _setup(hass, entry)

    assert _stored(hass_storage, history_store_key(entry.entry_id)) == {
        "months": ["2026-05", "2026-06"]
    }
    response = await _get_sessions(hass, config_entry_id=entry.entry_id)
    assert [item["session_id"] for item in response["sessions"]] == ["may", "june"]


async def test_removing_the_entry_while_a_split_was_cut_short_leaves_no_month(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    hass_storage: dict[str, Any],
) -> None:
    may = _item("may", datetime(2026, 5, 2, tzinfo=UTC))
    _put(hass_storage, history_store_key(entry.entry_id), {"completed": [may]})
    _put(hass_storage, history_month_store_key(entry.entry_id, "2026-05"), {"completed": [may]})

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not [key for key in hass_storage if entry.entry_id in key]


async def test_a_completion_rewrites_only_the_month_it_ended_in(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: LegacyDevice,  # noqa: F811
    step: Stepper,  # noqa: F811
    completed: list[dict[str, Any]],  # noqa: F811
    hass_storage: dict[str, Any],
    written: list[str],
) -> None:
    older = [_item(f"may{number}", datetime(2026, 5, 10, tzinfo=UTC)) for number in range(3)]
    earlier = _item("june", datetime(2026, 6, 10, tzinfo=UTC))
    _put_months(hass_storage, entry.entry_id, {"2026-05": older, "2026-06": [earlier]})
    journal = [
        _item(f"j{number}", datetime(2026, 6, 14, tzinfo=UTC)) for number in range(JOURNAL_SIZE - 1)
    ]
    _put(hass_storage, journal_store_key(entry.entry_id), {"journal": journal})
    _put(hass_storage, store_key(entry.entry_id), {"secret": "ab" * 32, "open": {}})

    await _setup(hass, entry)
    await step.to(130)  # plugged in
    await step.to(1110)  # the car has left: the journal is full
    assert len(completed) == 1

    june = history_month_store_key(entry.entry_id, "2026-06")
    assert [key for key in written if key.startswith(history_store_key(entry.entry_id))] == [june]
    ids = [item["session_id"] for item in _stored(hass_storage, june)["completed"]]
    assert ids == ["june", *(item["session_id"] for item in journal), completed[0]["session_id"]]
    assert _stored(hass_storage, journal_store_key(entry.entry_id))["journal"] == []
    assert _stored(hass_storage, history_month_store_key(entry.entry_id, "2026-05")) == {
        "completed": older
    }
    response = await _get_sessions(hass, config_entry_id=entry.entry_id)
    assert response["totals"]["count"] == 3 + 1 + JOURNAL_SIZE
    assert response["sessions"][-1]["energy_kwh"] == session_energy_kwh(device)


async def test_pruning_removes_whole_months_and_trims_the_oldest_kept(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    hass_storage: dict[str, Any],
    written: list[str],
) -> None:
    oldest_kept = NOW - KEEP
    gone = _item("gone", oldest_kept - timedelta(days=40))
    trimmed = _item("trimmed", oldest_kept - timedelta(hours=1))
    kept = _item("kept", oldest_kept + timedelta(hours=1))
    june = _item("june", datetime(2026, 6, 10, tzinfo=UTC))
    first, second = (item["end"][:7] for item in (gone, kept))
    assert first != second == trimmed["end"][:7]
    _put_months(
        hass_storage, entry.entry_id, {first: [gone], second: [trimmed, kept], "2026-06": [june]}
    )
    _put(hass_storage, store_key(entry.entry_id), {"secret": "ab" * 32, "open": {}})

    await _setup(hass, entry)

    assert history_month_store_key(entry.entry_id, first) not in hass_storage
    assert _stored(hass_storage, history_store_key(entry.entry_id)) == {
        "months": [second, "2026-06"]
    }
    assert _stored(hass_storage, history_month_store_key(entry.entry_id, second)) == {
        "completed": [kept]
    }
    assert history_month_store_key(entry.entry_id, "2026-06") not in written
    response = await _get_sessions(hass, config_entry_id=entry.entry_id)
    assert [item["session_id"] for item in response["sessions"]] == ["kept", "june"]


async def test_every_session_store_is_serialised_outside_the_event_loop(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    step: Stepper,  # noqa: F811
    completed: list[dict[str, Any]],  # noqa: F811
) -> None:
    """Open sessions, journal, index and months: a large site's copies leave the loop.

    Newer releases serialise in the event loop unless told otherwise; the minimum release
    always serialises in the executor (it has no such attribute).
    """
    in_loop: dict[str, bool] = {}
    write = Store._async_write_data

    async def recorded(store: Store[Any], *args: Any) -> None:
        in_loop[store.key] = getattr(store, "_serialize_in_event_loop", False)
        await write(store, *args)

    with patch.object(Store, "_async_write_data", recorded):
        await _setup(hass, entry)
        await step.to(130)  # plugged in: the start is written before it is announced
        await step.to(1110)  # the car has left: the completion too
        await hass.async_block_till_done()
    assert len(completed) == 1
    ours = {key: value for key, value in in_loop.items() if key.startswith(f"{DOMAIN}.")}
    assert {store_key(entry.entry_id), journal_store_key(entry.entry_id)} <= set(ours)
    assert not any(ours.values())


async def test_a_tag_rewrite_waits_for_a_history_write_in_flight(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    hass_storage: dict[str, Any],
) -> None:
    """Ids switched off while the journal moves: the move must not put the ids back."""
    shown = {**_item("shown", datetime(2026, 6, 10, tzinfo=UTC)), "tag": "04A1B2C3"}
    _put_months(hass_storage, entry.entry_id, {"2026-06": [shown]})
    journal = [_item(f"j{number}", datetime(2026, 6, 14, tzinfo=UTC)) for number in range(3)]
    _put(hass_storage, journal_store_key(entry.entry_id), {"journal": journal})
    _put(hass_storage, store_key(entry.entry_id), {"secret": "ab" * 32, "open": {}})
    hass.config_entries.async_update_entry(entry, options={CONF_INCLUDE_TAG_IDS: True})
    await _setup(hass, entry)
    sessions = entry.runtime_data.sessions

    june = history_month_store_key(entry.entry_id, "2026-06")
    written = asyncio.Event()
    release = asyncio.Event()
    save = Store.async_save

    async def held(store: Store[Any], data: Any) -> None:
        if store.key == june and not release.is_set():
            written.set()
            await release.wait()
        await save(store, data)

    with patch.object(Store, "async_save", held):
        move = hass.async_create_task(sessions._async_write_history())
        await written.wait()
        # What the options flow does when the ids are switched off (without the reload).
        object.__setattr__(entry, "options", MappingProxyType({CONF_INCLUDE_TAG_IDS: False}))
        rewrite = hass.async_create_task(sessions.async_pseudonymise_tags())
        await asyncio.sleep(0)
        release.set()
        await move
        await rewrite
    stored = json.dumps(
        {key: value for key, value in hass_storage.items() if entry.entry_id in key}
    )
    assert "04A1B2C3" not in stored.upper()
    response = await _get_sessions(hass, config_entry_id=entry.entry_id)
    assert response["totals"]["count"] == 4
    assert "04A1B2C3" not in json.dumps(response).upper()
