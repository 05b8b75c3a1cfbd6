"""Sessions exactly once: through a killed process, a start-up, an outage and a car swap.

A killed Home Assistant (SIGKILL) leaves on disk only what was written: the tests
drop the entry after taking the stores as they were, put them back after the
unload's own write, and set the entry up again from them.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, EVENT_STATE_CHANGED
from homeassistant.core import CoreState, Event, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service

from custom_components.evse_bridge.sessions.core import stored_month
from custom_components.evse_bridge.sessions.tracker import (
    EVENT_SESSION_COMPLETED,
    history_month_store_key,
    history_store_key,
    store_key,
)
from simulator.bender_legacy import LegacyDevice
from simulator.charging import CycleTimes

from .common import entity_state
from .test_sessions import (
    SESSION_UID,
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


@pytest.fixture
def started(hass: HomeAssistant) -> list[str]:
    """The session id of every ``started`` a "Session" event entity showed.

    An event entity's state is the time it fired: a state restored after a restart
    (the same time) is not another event.
    """
    ids: list[str] = []
    shown: set[tuple[str, str]] = set()

    def listener(event: Event) -> None:
        new = event.data["new_state"]
        if (
            event.data["entity_id"].startswith("event.")
            and new is not None
            and new.attributes.get("event_type") == "started"
            and (event.data["entity_id"], new.state) not in shown
        ):
            shown.add((event.data["entity_id"], new.state))
            ids.append(new.attributes["session_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, listener)
    return ids


async def kill_and_restart(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Restart from what was on disk at this moment, as after a SIGKILL."""
    on_disk = copy.deepcopy(hass_storage)
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    hass_storage.clear()
    hass_storage.update(on_disk)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()


async def test_legacy_killed_after_start_and_after_completion_fires_each_once(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: LegacyDevice,  # noqa: F811
    step: Stepper,  # noqa: F811
    completed: list[dict[str, Any]],  # noqa: F811
    started: list[str],
    hass_storage: dict[str, Any],
) -> None:
    await _setup(hass, entry)
    await step.to(130)  # plugged in
    assert len(started) == 1
    await kill_and_restart(hass, entry, hass_storage)
    await step.to(600)
    await step.to(1110)  # the car has left
    assert len(completed) == 1
    await kill_and_restart(hass, entry, hass_storage)
    await step.to(1125)
    await step.to(1150)

    assert len(completed) == 1
    assert completed[0]["energy_kwh"] == session_energy_kwh(device)
    assert len(started) == 1
    assert entity_state(hass, "event", SESSION_UID).attributes["event_type"] == "completed"
    response = await _get_sessions(hass, config_entry_id=entry.entry_id)
    assert response["totals"]["count"] == 1


async def test_completions_found_during_start_up_reach_an_automation(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: LegacyDevice,  # noqa: F811
    step: Stepper,  # noqa: F811
) -> None:
    """An automation on the completion, attached by Home Assistant once it has started."""
    await _setup(hass, entry)
    await step.to(300)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await step.to(1125)  # the session ended while Home Assistant was down

    hass.set_state(CoreState.not_running)
    billed = async_mock_service(hass, "test", "bill")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "trigger": {"platform": "event", "event_type": EVENT_SESSION_COMPLETED},
                "action": {
                    "service": "test.bill",
                    "data": {"energy_kwh": "{{ trigger.event.data.energy_kwh }}"},
                },
            }
        },
    )
    await _setup(hass, entry)
    assert billed == []
    await hass.async_start()
    await hass.async_block_till_done()
    # An event trigger runs its automation on the loop turn after the event.
    await hass.async_block_till_done()

    assert len(billed) == 1
    assert float(billed[0].data["energy_kwh"]) == pytest.approx(
        session_energy_kwh(device), abs=0.002
    )


async def test_legacy_session_ended_during_an_outage_gets_the_meter_s_energy(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: LegacyDevice,  # noqa: F811
    step: Stepper,  # noqa: F811
    completed: list[dict[str, Any]],  # noqa: F811
) -> None:
    await _setup(hass, entry)
    await step.to(300)
    device.faults.update({"mode": "drop"})
    await step.to(800)
    await step.to(1110)  # the car left during the outage
    device.faults.update({"mode": "none"})
    await step.to(1125)

    assert len(completed) == 1
    # Whole Wh on both registers: one Wh of rounding.
    assert completed[0]["energy_kwh"] == pytest.approx(session_energy_kwh(device), abs=0.002)


async def test_legacy_car_swap_during_an_outage_is_two_sessions(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: LegacyDevice,  # noqa: F811
    step: Stepper,  # noqa: F811
    completed: list[dict[str, Any]],  # noqa: F811
    started: list[str],
) -> None:
    """The next car has been plugged in longer than the first was when last seen.

    Both plug-in times lie within five minutes, and the second car has charged more:
    only the lifetime register shows that two cars charged.
    """
    # A 250 s cycle: plugged in at 20 and 270, leaving at 250.
    device.cycle.times = CycleTimes(idle=20, connected=10, charging=200, finished=20)
    await _setup(hass, entry)  # at 100: plugged in 80 s
    await step.to(110)
    device.faults.update({"mode": "drop"})
    await step.to(260)
    await step.to(400)
    device.faults.update({"mode": "none"})
    await step.to(410)  # the next car: plugged in 140 s, more energy than the first had
    await step.to(440)

    assert len(completed) == 1
    assert completed[0]["energy_kwh"] == pytest.approx(session_energy_kwh(device), abs=0.002)
    assert len(set(started)) == 2
    assert entity_state(hass, "event", SESSION_UID).attributes["event_type"] == "started"


async def test_the_single_store_of_old_moves_into_the_history(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    now = freezer.time_to_freeze
    item = {
        "session_id": "s1",
        "start": (now - timedelta(days=2)).isoformat() + "+00:00",
        "end": (now - timedelta(days=1)).isoformat() + "+00:00",
        "duration_s": 3600,
        "energy_kwh": 5.0,
        "tag": None,
        "device_key": "controller",
        "parent_key": None,
    }
    hass_storage[store_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(entry.entry_id),
        "data": {"secret": "ab" * 32, "completed": [item], "open": {}, "delivered": {}},
    }
    await _setup(hass, entry)

    state = hass_storage[store_key(entry.entry_id)]["data"]
    assert "completed" not in state
    assert state["secret"] == "ab" * 32
    month = history_month_store_key(entry.entry_id, stored_month(item))
    assert hass_storage[month]["data"]["completed"] == [item]
    assert hass_storage[history_store_key(entry.entry_id)]["data"] == {
        "months": [stored_month(item)]
    }
    response = await _get_sessions(hass, config_entry_id=entry.entry_id)
    assert [session["session_id"] for session in response["sessions"]] == ["s1"]

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert history_store_key(entry.entry_id) not in hass_storage
    assert not [key for key in hass_storage if entry.entry_id in key]


async def test_a_running_session_s_readings_are_written_within_the_delay_not_on_every_poll(
    hass: HomeAssistant,
    entry: MockConfigEntry,  # noqa: F811
    device: LegacyDevice,  # noqa: F811
    step: Stepper,  # noqa: F811
    hass_storage: dict[str, Any],
) -> None:
    """A poll that moves the readings writes nothing; the write due takes the latest ones.

    Home Assistant's final write takes them too when it stops before the write is due.
    """
    await _setup(hass, entry)
    await step.to(130)  # plugged in: the start is written at once
    key = store_key(entry.entry_id)

    def stored_kwh() -> float:
        (running,) = hass_storage[key]["data"]["open"].values()
        energy: float = running["energy_kwh"]
        return energy

    def reported_kwh() -> float:
        return int(device.full_state()["transaction_wh"]) / 1000

    seen = [stored_kwh()]
    # 30 polls, every 15 s: the first changes the readings, SAVE_DELAY_S (300 s) later
    # they are written once.
    for at in range(145, 145 + 15 * 30, 15):
        await step.to(at)
        if stored_kwh() != seen[-1]:
            seen.append(stored_kwh())
    assert len(seen) == 2
    assert 0 < seen[1] < reported_kwh()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert stored_kwh() == reported_kwh()
