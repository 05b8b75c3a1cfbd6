"""Sessions on the generic layer, with the Bender Legacy controller as the vendor.

The simulated cycle: idle 0-120 s, plugged in (waiting) 120-140 s, charging
140-1040 s, finished (still plugged) 1040-1100 s, then the next cycle.
"""

from __future__ import annotations

from datetime import timedelta
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.evse_bridge.alerts import CONF_ALERT_DELAY
from custom_components.evse_bridge.const import CONF_INCLUDE_TAG_IDS, CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.evse_bridge.sessions.tracker import EVENT_SESSION_COMPLETED, store_key
from simulator.bender_legacy import SERIAL, LegacyDevice
from simulator.clock import SimClock

from .common import entity_state, get_device
from .conftest import SimServer, StartSimulator

TAG = "046e453af012ca3"  # the RFID UID the simulated controller reports
SESSION_UID = f"{SERIAL}_controller_session"


class Stepper:
    """Moves simulated and Home Assistant time together and lets the coordinator poll."""

    def __init__(
        self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: SimClock
    ) -> None:
        self.hass = hass
        self.freezer = freezer
        self.clock = clock

    async def to(self, sim_time: float) -> None:
        """Jump to ``sim_time`` seconds of the cycle and poll once."""
        seconds = sim_time - self.clock.now()
        assert seconds > 0
        self.clock.advance(seconds)
        self.freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done(wait_background_tasks=True)


def session_energy_kwh(device: LegacyDevice) -> float:
    """What the controller reports for a whole session (``transaction_wh`` is whole Wh)."""
    return int(device.cycle._energy_of_charging(device.cycle.times.charging)) / 1000


@pytest.fixture
def clock() -> SimClock:
    """Idle, 20 s before a car arrives."""
    return SimClock(scale=0, start=100)


@pytest.fixture
def device(clock: SimClock) -> LegacyDevice:
    # The controller is named by its charge point id.
    return LegacyDevice(clock, charge_point_id="Garage")


@pytest.fixture
async def sim(start_simulator: StartSimulator, device: LegacyDevice) -> SimServer:
    return await start_simulator(device)


@pytest.fixture
def entry(hass: HomeAssistant, sim: SimServer) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id=SERIAL,
        data={CONF_VENDOR: "bender_legacy", "host": sim.host},
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def completed(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Every ``evse_bridge_session_completed`` event's data."""
    events: list[dict[str, Any]] = []

    def listener(event: Event) -> None:
        events.append(dict(event.data))

    hass.bus.async_listen(EVENT_SESSION_COMPLETED, listener)
    return events


@pytest.fixture
def step(hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: SimClock) -> Stepper:
    return Stepper(hass, freezer, clock)


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _get_sessions(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "get_sessions", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def test_session_started_and_completed_once(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: LegacyDevice,
    step: Stepper,
    completed: list[dict[str, Any]],
) -> None:
    await _setup(hass, entry)
    state = entity_state(hass, "event", SESSION_UID)
    assert state.state == "unknown"
    assert state.attributes["event_types"] == ["started", "completed"]

    await step.to(130)  # plugged in
    state = entity_state(hass, "event", SESSION_UID)
    assert state.attributes["event_type"] == "started"
    assert state.attributes["station"] == "Garage"
    started_at = state.attributes["start"]
    await step.to(600)
    await step.to(1050)  # finished charging, still plugged in
    assert completed == []
    await step.to(1110)  # the car has left
    await step.to(1125)

    assert len(completed) == 1
    session = completed[0]
    assert session["energy_kwh"] == session_energy_kwh(device)
    assert session["start"] == started_at
    assert session["duration_s"] == 1050 - 120
    assert session["peak_power_w"] == 11000.0
    assert session["station"] == "Garage"
    assert session["connector"] is None
    assert session["stop_reason"] is None
    assert session["tag"].startswith("tag_")
    assert session["device_id"] == get_device(hass, f"{SERIAL}_controller").id
    assert session["config_entry_id"] == entry.entry_id
    state = entity_state(hass, "event", SESSION_UID)
    assert state.attributes["event_type"] == "completed"
    assert state.attributes["energy_kwh"] == session_energy_kwh(device)


async def test_session_across_a_restart_completes_once(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: LegacyDevice,
    step: Stepper,
    completed: list[dict[str, Any]],
    hass_storage: dict[str, Any],
) -> None:
    await _setup(hass, entry)
    await step.to(300)
    started = entity_state(hass, "event", SESSION_UID).attributes
    assert started["event_type"] == "started"

    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[store_key(entry.entry_id)]["data"]
    assert list(stored["open"]) == ["controller"]
    await step.to(700)  # charging goes on while Home Assistant is down
    await _setup(hass, entry)
    # The restored event entity still shows the start: the session was not started again.
    assert entity_state(hass, "event", SESSION_UID).attributes["event_type"] == "started"
    await step.to(1050)
    await step.to(1110)
    await step.to(1125)

    assert len(completed) == 1
    assert completed[0]["energy_kwh"] == session_energy_kwh(device)
    assert completed[0]["start"] == started["start"]


async def test_session_across_a_connection_loss_completes_once(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: LegacyDevice,
    step: Stepper,
    completed: list[dict[str, Any]],
) -> None:
    await _setup(hass, entry)
    await step.to(300)
    device.faults.update({"mode": "http_500"})
    await step.to(500)
    await step.to(800)
    assert entity_state(hass, "event", SESSION_UID).state == "unavailable"
    device.faults.update({"mode": "none"})
    await step.to(1050)
    await step.to(1110)

    assert len(completed) == 1
    assert completed[0]["energy_kwh"] == session_energy_kwh(device)


async def test_a_new_session_while_away_closes_the_old_one(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: LegacyDevice,
    step: Stepper,
    completed: list[dict[str, Any]],
) -> None:
    await _setup(hass, entry)
    await step.to(1050)
    device.faults.update({"mode": "drop"})
    await step.to(1100 + 300)  # the next car charges when the controller answers again
    device.faults.update({"mode": "none"})
    await step.to(1100 + 400)

    assert len(completed) == 1
    assert completed[0]["energy_kwh"] == session_energy_kwh(device)
    assert entity_state(hass, "event", SESSION_UID).attributes["event_type"] == "started"


async def test_tags_never_in_logs_diagnostics_or_store(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    step: Stepper,
    completed: list[dict[str, Any]],
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        await _setup(hass, entry)
        await step.to(300)
        await step.to(1050)
        await step.to(1110)
        # Called directly: the diagnostics view cannot serialize under frozen time.
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert len(completed) == 1
    assert "Session" in caplog.text
    assert TAG not in caplog.text
    assert TAG.upper() not in caplog.text
    assert TAG not in json.dumps(diagnostics, default=str)
    assert TAG not in json.dumps(hass_storage[store_key(entry.entry_id)])


async def test_tag_pseudonym_is_stable_and_the_option_shows_the_id(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
    step: Stepper,
    completed: list[dict[str, Any]],
) -> None:
    await _setup(hass, entry)
    await step.to(1050)
    await step.to(1110)
    await step.to(1100 + 1050)
    await step.to(1100 + 1110)
    assert len(completed) == 2
    assert completed[0]["tag"] == completed[1]["tag"]
    assert completed[0]["tag"] != TAG

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    # The read-only Legacy API writes nothing: no write interval is offered.
    assert result["data_schema"]({}) == {CONF_INCLUDE_TAG_IDS: False, CONF_ALERT_DELAY: 15.0}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_INCLUDE_TAG_IDS: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {CONF_INCLUDE_TAG_IDS: True, CONF_ALERT_DELAY: 15.0}
    await hass.async_block_till_done()

    await step.to(2200 + 1050)
    await step.to(2200 + 1110)
    assert len(completed) == 3
    assert completed[2]["tag"] == TAG.upper()
    # A card's id finds its sessions whether they carry the pseudonym or the id, in any case.
    for spelling in (TAG, TAG.upper()):
        response = await _get_sessions(hass, config_entry_id=entry.entry_id, tag=spelling)
        assert response["totals"]["count"] == 3
    response = await _get_sessions(hass, config_entry_id=entry.entry_id, tag="tag_0")
    assert response["totals"]["count"] == 0

    # Switched off again: the id the history kept meanwhile becomes the pseudonym, on disk too.
    def stores() -> str:
        """Every store of the entry: open sessions, journal and history."""
        return json.dumps(
            {key: data for key, data in hass_storage.items() if key.endswith(entry.entry_id)}
        )

    assert TAG.upper() in stores()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_INCLUDE_TAG_IDS: False}
    )
    await hass.async_block_till_done()
    assert TAG.upper() not in stores().upper()
    response = await _get_sessions(hass, config_entry_id=entry.entry_id, tag=TAG)
    assert response["totals"]["count"] == 3
    assert {item["tag"] for item in response["sessions"]} == {completed[0]["tag"]}


async def test_get_sessions_totals_equal_the_simulator(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: LegacyDevice,
    step: Stepper,
    completed: list[dict[str, Any]],
) -> None:
    await _setup(hass, entry)
    for cycle in range(3):
        await step.to(cycle * 1100 + 600)
        await step.to(cycle * 1100 + 1050)
        await step.to(cycle * 1100 + 1110)
    assert len(completed) == 3
    device_id = get_device(hass, f"{SERIAL}_controller").id

    response = await _get_sessions(hass, device_id=device_id)
    assert response["totals"] == {
        "energy_kwh": round(3 * session_energy_kwh(device), 3),
        "duration_s": 3 * (1050 - 120),
        "count": 3,
    }
    assert [item["energy_kwh"] for item in response["sessions"]] == [session_energy_kwh(device)] * 3
    assert "groups" not in response

    response = await _get_sessions(hass, config_entry_id=entry.entry_id, group_by="tag")
    assert [group["count"] for group in response["groups"]] == [3]
    assert response["groups"][0]["group"] == completed[0]["tag"]
    response = await _get_sessions(hass, config_entry_id=entry.entry_id, group_by="connector")
    assert response["groups"][0]["group"] == "Garage"
    response = await _get_sessions(hass, config_entry_id=entry.entry_id, group_by="month")
    assert sum(group["count"] for group in response["groups"]) == 3
    assert response["groups"][0]["energy_kwh"] <= response["totals"]["energy_kwh"]
    response = await _get_sessions(hass, config_entry_id=entry.entry_id, group_by="day")
    assert sum(group["energy_kwh"] for group in response["groups"]) == pytest.approx(
        3 * session_energy_kwh(device)
    )

    # The period filters by start.
    second_start = response["sessions"][1]["start"]
    response = await _get_sessions(hass, config_entry_id=entry.entry_id, **{"from": second_start})
    assert response["totals"]["count"] == 2
    response = await _get_sessions(hass, config_entry_id=entry.entry_id, to=second_start)
    assert response["totals"]["count"] == 1
    with pytest.raises(ServiceValidationError) as raised:
        await _get_sessions(
            hass, config_entry_id=entry.entry_id, to=second_start, **{"from": second_start}
        )
    assert raised.value.translation_key == "invalid_period"


async def test_store_keeps_thirteen_months_and_goes_with_the_entry(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    old = {
        "session_id": "old",
        "start": "2020-01-01T10:00:00+00:00",
        "end": "2020-01-01T11:00:00+00:00",
        "duration_s": 3600,
        "energy_kwh": 5.0,
        "tag": None,
        "device_key": "controller",
        "parent_key": None,
    }
    recent = {**old, "session_id": "recent"}
    now = freezer.time_to_freeze
    recent["start"] = (now - timedelta(days=30)).isoformat() + "+00:00"
    recent["end"] = (now - timedelta(days=30)).isoformat() + "+00:00"
    hass_storage[store_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(entry.entry_id),
        "data": {"completed": [old, recent], "open": {}, "delivered": {}},
    }
    await _setup(hass, entry)
    response = await _get_sessions(
        hass, config_entry_id=entry.entry_id, **{"from": "2019-01-01T00:00:00+00:00"}
    )
    assert [item["session_id"] for item in response["sessions"]] == ["recent"]

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert store_key(entry.entry_id) not in hass_storage


async def test_an_unread_connection_state_neither_starts_nor_ends(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: LegacyDevice,
    step: Stepper,
    completed: list[dict[str, Any]],
) -> None:
    await _setup(hass, entry)
    await step.to(300)
    original = device.full_state

    def unread() -> dict[str, str]:
        return {**original(), "conn_state": "teleporting"}

    device.full_state = unread  # type: ignore[method-assign]
    await step.to(400)
    device.full_state = original  # type: ignore[method-assign]
    await step.to(1050)
    await step.to(1110)
    assert len(completed) == 1
    assert completed[0]["energy_kwh"] == session_energy_kwh(device)
