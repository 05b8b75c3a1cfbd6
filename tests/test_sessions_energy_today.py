"""The "Energy today" sensor: sessions that ended since local midnight and the running ones.

A poll reads the sessions that ended today, not the whole history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.sessions import core
from custom_components.evse_bridge.sessions.tracker import store_key
from simulator.bender_legacy import SERIAL, LegacyDevice

from .common import entity_state
from .test_sessions import (
    Stepper,
    _setup,
    clock,  # noqa: F401 - the fixture
    completed,  # noqa: F401 - the fixture
    device,  # noqa: F401 - the fixture
    entry,  # noqa: F401 - the fixture
    session_energy_kwh,
    sim,  # noqa: F401 - the fixture
    step,  # noqa: F401 - the fixture
)
from .test_sessions_history_store import (
    NOW,
    _item,
    _put,
    _put_months,
    mid_month,  # noqa: F401 - the fixture
)


async def test_energy_today_does_not_read_the_whole_history_each_poll(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: LegacyDevice,  # noqa: F811
    step: Stepper,  # noqa: F811
    completed: list[dict[str, Any]],  # noqa: F811
    hass_storage: dict[str, Any],
) -> None:
    today = datetime(2026, 6, 15, 1, 0, tzinfo=UTC)
    history = [
        _item(f"s{number}", NOW - timedelta(days=1, minutes=number)) for number in range(5000)
    ]
    history += [_item("today1", today, 2.0), _item("today2", today, 0.5)]
    _put_months(hass_storage, entry.entry_id, {"2026-06": history})
    _put(hass_storage, store_key(entry.entry_id), {"secret": "ab" * 32, "open": {}})
    await hass.config.async_set_time_zone("UTC")

    await _setup(hass, entry)
    assert float(entity_state(hass, "sensor", f"{SERIAL}_controller_energy_today").state) == 2.5

    read = 0
    parse_time = core.parse_time

    def counted(value: str | None) -> datetime | None:
        nonlocal read
        read += 1
        return parse_time(value)

    with patch.object(core, "parse_time", counted):
        await step.to(130)  # plugged in
        await step.to(600)  # charging
        await step.to(1110)  # the car has left
    assert len(completed) == 1
    assert read < 100  # the history holds 5002 sessions
    assert float(
        entity_state(hass, "sensor", f"{SERIAL}_controller_energy_today").state
    ) == pytest.approx(2.5 + session_energy_kwh(device))


async def test_energy_today_starts_again_at_local_midnight_and_follows_the_time_zone(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Midnight is worked out once a day; a new day or a new time zone works it out again."""
    ended = datetime(2026, 6, 15, 20, 0, tzinfo=UTC)  # 22:00 in Berlin
    _put_months(hass_storage, entry.entry_id, {"2026-06": [_item("evening", ended, 3.0)]})
    _put(hass_storage, store_key(entry.entry_id), {"secret": "ab" * 32, "open": {}})
    await hass.config.async_set_time_zone("Europe/Berlin")
    freezer.move_to(datetime(2026, 6, 15, 21, 59, tzinfo=UTC))
    await _setup(hass, entry)
    tracker = entry.runtime_data.sessions
    assert tracker.energy_today_kwh() == 3.0

    freezer.move_to(datetime(2026, 6, 15, 22, 1, tzinfo=UTC))  # 00:01 in Berlin
    assert tracker.energy_today_kwh() == 0.0
    freezer.move_to(datetime(2026, 6, 15, 23, 0, tzinfo=UTC))
    await hass.config.async_set_time_zone("UTC")  # still 15 June in UTC
    assert tracker.energy_today_kwh() == 3.0
