"""Sessions of a ChargEye account: each connector's latest transaction, and the energy counters.

Every simulated connector runs its own charging cycle; a transaction with status
Ended stays on the connector until the next one starts. Home Assistant is
restarted and loses the connection on the way: every transaction completes once,
with the simulator's energy, and the counters add each once.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
import json
import logging
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.evse_bridge.sessions.tracker import store_key
from simulator.clock import SimClock
from simulator.kempower_chargeye import (
    DEFAULT_ORGANIZATION,
    DEFAULT_REFRESH_TOKEN,
    SIM_CARDS,
    TAG_READINGS,
    ChargEyeDevice,
    sim_card,
)

from .common import entity_state, get_device
from .conftest import SimServer, StartSimulator
from .test_sessions import completed  # noqa: F401 - the fixture
from .test_sessions_durable import kill_and_restart, started  # noqa: F401 - a fixture

EPOCH = dt_util.parse_datetime("2026-03-02T06:00:00+00:00")
AC = "station_KEMAC-0001"
AC_PLUG = "connector_KEMAC-0001_1"
APP_TOKEN = "App-User-42"


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
        # Under way when the entry was set up: marked partial (its peak is what was seen).
        began = dt_util.parse_datetime(session["start"])
        assert began is not None
        assert session["partial"] is (began < EPOCH)
        # A peak is a power seen while it ran, or unknown: never the 0 W after its end.
        assert session["peak_power_w"] is None or session["peak_power_w"] > 0
    assert any(session["partial"] for session in completed)
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


def _raw_tag(session_id: str) -> str:
    """The id token the simulator gives transaction ``TX-<station>-<connector>-<n>``."""
    if session_id == "TX-KEMAC-0001-1-3":
        return APP_TOKEN  # started by the test
    _, name, number = session_id.removeprefix("TX-").rsplit("-", 2)
    return sim_card(int(number), int(name))


async def _get_sessions(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "get_sessions", data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


@pytest.mark.parametrize("reading", TAG_READINGS)
async def test_sessions_carry_the_pseudonymised_tag(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: ChargEyeDevice,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
    completed: list[dict[str, Any]],  # noqa: F811
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    reading: str,
) -> None:
    """Every reading of the id token gives the same session tags; the tag is never shown."""
    device.control("tag_reading", {"reading": reading})
    with caplog.at_level(logging.DEBUG):
        await _setup(hass, entry)
        tracker = entry.runtime_data.sessions
        # The first AC plug charges session 2 (a simulated card); the next one is started here.
        plug = get_device(hass, f"{DEFAULT_ORGANIZATION}_{AC_PLUG}").id
        await hass.services.async_call(
            DOMAIN, "start_transaction", {"device_id": plug, "id_token": APP_TOKEN}, blocking=True
        )
        for _ in range(32):  # session 3 of the plug ends at 1840 s
            await _poll(hass, freezer, clock)
        # Called directly: the diagnostics view cannot serialize under frozen time.
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
        everything = await _get_sessions(hass, config_entry_id=entry.entry_id)
        of_plug = await _get_sessions(hass, device_id=plug)
        by_token = await _get_sessions(hass, config_entry_id=entry.entry_id, tag=APP_TOKEN)
        by_card = await _get_sessions(hass, config_entry_id=entry.entry_id, tag=SIM_CARDS[0])
        event = entity_state(hass, "event", f"{DEFAULT_ORGANIZATION}_{AC_PLUG}_session")
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    tagged = reading != "none"

    def shown(session_id: str) -> str | None:
        return tracker.pseudonym(_raw_tag(session_id)) if tagged else None

    # The bus event: every completed session (both stations' plugs) with its own card's tag.
    assert len(completed) >= 8
    for session in completed:
        assert session["tag"] == shown(session["session_id"]), session["session_id"]
        if tagged:
            assert re.fullmatch(r"tag_[0-9a-f]{16}", session["tag"])
    tags = {session["session_id"]: session["tag"] for session in completed}
    assert tags["TX-KEMAC-0001-1-2"] == shown("TX-KEMAC-0001-1-2")
    assert tags["TX-KEMAC-0001-1-3"] == (tracker.pseudonym(APP_TOKEN) if tagged else None)
    if tagged:
        # One card, one pseudonym, whatever its letter case; two cards, two pseudonyms.
        assert tracker.pseudonym(APP_TOKEN) == tracker.pseudonym(APP_TOKEN.lower())
        assert tags["TX-KEMAC-0001-1-2"] != tags["TX-KEMAC-0001-1-3"]
    # The event entity of the plug: its last event is session 3 completing.
    assert event.attributes["event_type"] == "completed"
    assert event.attributes["session_id"] == "TX-KEMAC-0001-1-3"
    assert event.attributes["tag"] == tags["TX-KEMAC-0001-1-3"]
    # get_sessions: the same tags; a card's id finds its sessions.
    assert {item["session_id"]: item["tag"] for item in everything["sessions"]} == tags
    assert [(item["session_id"], item["tag"]) for item in of_plug["sessions"]] == [
        ("TX-KEMAC-0001-1-2", tags["TX-KEMAC-0001-1-2"]),
        ("TX-KEMAC-0001-1-3", tags["TX-KEMAC-0001-1-3"]),
    ]
    assert [item["session_id"] for item in by_token["sessions"]] == (
        ["TX-KEMAC-0001-1-3"] if tagged else []
    )
    with_card = sorted(sid for sid in tags if _raw_tag(sid) == SIM_CARDS[0])
    assert with_card
    assert sorted(item["session_id"] for item in by_card["sessions"]) == (
        with_card if tagged else []
    )

    # The raw tags: in no log, no diagnostics, no store.
    raw_tags = {*SIM_CARDS, APP_TOKEN}
    assert "Session" in caplog.text
    dumped = json.dumps(diagnostics, default=str)
    stored = json.dumps(hass_storage[store_key(entry.entry_id)])
    for raw in raw_tags:
        for text in (caplog.text, dumped, stored):
            assert raw.lower() not in text.lower()
    transaction = diagnostics["devices"][AC_PLUG]["data"]["connector"]["latest_transaction"]
    assert transaction["id_token"] == ("**REDACTED**" if tagged else None)


async def test_killed_after_each_start_or_completion_fires_each_once(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: ChargEyeDevice,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    completed: list[dict[str, Any]],  # noqa: F811
    started: list[str],  # noqa: F811
) -> None:
    """Killed right after each poll that started or completed a session."""
    await _setup(hass, entry)
    kills = 0
    for _ in range(60):
        seen = len(completed) + len(started)
        await _poll(hass, freezer, clock)
        if len(completed) + len(started) > seen:
            await kill_and_restart(hass, entry, hass_storage)
            kills += 1
    assert kills >= 2
    assert completed
    assert max(Counter(item["session_id"] for item in completed).values()) == 1
    assert max(Counter(started).values()) == 1
    for item in completed:
        assert item["energy_kwh"] == _full_energy_kwh(device, item["session_id"])
