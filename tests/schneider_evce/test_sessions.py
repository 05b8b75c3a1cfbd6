"""Sessions of an EVCE hub: each connector's transaction, completed once with the hub's energy.

Every simulated EVSE runs its own cycle: idle 120 s, plugged in 20 s, charging
900 s, finished (still plugged, the transaction open) 60 s. The transaction id
is there from plug-in to unplug; its session energy is the hub's final reading.
Home Assistant is restarted and loses the connection on the way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from simulator.schneider_evce import SERIAL, SESSION_CARDS

from ..common import entity_state, get_device
from ..test_sessions import completed  # noqa: F401 - the fixture
from .conftest import ScriptedEvceDevice, refresh

POLL_S = 30.0


def full_session_kwh(hub: ScriptedEvceDevice, transaction_id: int) -> float:
    """The hub's session energy of a whole transaction (``station*10000 + evse*1000 + n``)."""
    station_id, rest = divmod(transaction_id, 10000)
    evse_id = rest // 1000
    evse = next(item for item in hub.stations[station_id].evses if item.id == evse_id)
    cycle = evse.cycle
    return round(round(cycle._energy_of_charging(cycle.times.charging), 1) / 1000, 3)


Step = Callable[[MockConfigEntry, int], Awaitable[None]]


@pytest.fixture
def step(hass: HomeAssistant, hub: ScriptedEvceDevice, freezer: FrozenDateTimeFactory) -> Step:
    """Move the hub's and Home Assistant's time together, one poll every ``POLL_S``."""

    async def polls(entry: MockConfigEntry, n: int) -> None:
        for _ in range(n):
            hub.clock.advance(POLL_S)
            freezer.tick(timedelta(seconds=POLL_S))
            await refresh(hass, entry)

    return polls


async def _setup(
    hass: HomeAssistant, entry: MockConfigEntry, fake_sleep: Callable[[float], Awaitable[None]]
) -> None:
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entry.runtime_data.site.client.sleep = fake_sleep


async def test_every_transaction_completes_once_with_the_hubs_energy(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    fake_sleep: Callable[[float], Awaitable[None]],
    freezer: FrozenDateTimeFactory,
    completed: list[dict[str, Any]],  # noqa: F811
    step: Step,
) -> None:
    entry.add_to_hass(hass)
    await _setup(hass, entry, fake_sleep)
    await step(entry, 40)
    assert await hass.config_entries.async_unload(entry.entry_id)
    hub.clock.advance(200)  # transactions go on while Home Assistant is down
    freezer.tick(timedelta(seconds=200))
    await _setup(hass, entry, fake_sleep)
    await step(entry, 20)
    hub.faults.update({"mode": "http_500"})
    await step(entry, 3)
    hub.faults.update({"mode": "none"})
    await step(entry, 60)

    ids = Counter(session["session_id"] for session in completed)
    assert len(ids) >= 6, ids
    assert sum(session["duration_s"] >= 900 for session in completed) >= 4
    assert max(ids.values()) == 1, ids
    stations = {101: "Bay 1", 102: "Bay 2", 103: "Bay 3"}
    for session in completed:
        transaction = int(session["session_id"])
        assert session["energy_kwh"] == full_session_kwh(hub, transaction)
        station = stations[transaction // 10000]
        assert session["station"] == hub.stations[transaction // 10000].name == station
        assert session["connector"] == f"{station} connector {transaction % 10000 // 1000}"
        assert session["config_entry_id"] == entry.entry_id
        # Plugged in 20 s, charging 900 s, finished 60 s: seen from the first poll to the
        # last; one already running at set-up from when it was first seen.
        assert 0 < session["duration_s"] <= 980 + 2 * POLL_S
        evse_id = transaction % 10000 // 1000
        evse = next(item for item in hub.stations[transaction // 10000].evses if item.id == evse_id)
        assert 0 < session["peak_power_w"] <= evse.cycle.max_power_w


async def test_connector_event_entity_and_history(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    completed: list[dict[str, Any]],  # noqa: F811
    step: Step,
) -> None:
    key = f"{SERIAL}_station_101_connector_1_session"
    evse = hub.stations[101].evses[0]
    evse.jump(hub.clock.now(), 100)  # idle, 20 s before a car arrives
    await refresh(hass, loaded_entry)
    ended_by_jump = {item["session_id"] for item in completed}
    await step(loaded_entry, 2)
    started = entity_state(hass, "event", key)
    assert started.attributes["event_type"] == "started"
    assert started.attributes["station"] == "Bay 1"
    assert started.attributes["connector"] == "Bay 1 connector 1"
    assert started.attributes["start"] is not None
    await step(loaded_entry, 33)  # through charging, finishing, unplug
    done = [
        item
        for item in completed
        if item["session_id"].startswith("101") and item["session_id"] not in ended_by_jump
    ]
    assert len(done) == 1
    event = entity_state(hass, "event", key)
    assert event.attributes["event_type"] == "completed"
    assert event.attributes["energy_kwh"] == full_session_kwh(hub, int(done[0]["session_id"]))
    # The hub's ongoing record names the badge; shown as its pseudonym, never as sent.
    assert event.attributes["tag"].startswith("tag_")
    assert event.attributes["tag"] not in SESSION_CARDS

    response = await hass.services.async_call(
        DOMAIN,
        "get_sessions",
        {"config_entry_id": loaded_entry.entry_id, "group_by": "connector"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    totals: Any = response["totals"]
    assert totals["count"] == len(completed)
    assert totals["energy_kwh"] == pytest.approx(sum(item["energy_kwh"] for item in completed))
    groups: Any = response["groups"]
    # Labelled once with the connector's name (which names its station already).
    bay1 = next(group for group in groups if group["group"] == "Bay 1 connector 1")
    bay1_sessions = [item for item in completed if item["connector"] == "Bay 1 connector 1"]
    assert bay1["count"] == len(bay1_sessions) == 2
    assert bay1["energy_kwh"] == pytest.approx(sum(item["energy_kwh"] for item in bay1_sessions))


async def test_offline_station_keeps_its_session_open(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    completed: list[dict[str, Any]],  # noqa: F811
    step: Step,
) -> None:
    station = hub.stations[101]
    station.evses[0].jump(hub.clock.now(), 500)  # charging
    await refresh(hass, loaded_entry)
    await step(loaded_entry, 1)
    station.online = False
    await step(loaded_entry, 4)
    assert not [item for item in completed if item["session_id"].startswith("101")]
    station.online = True
    await step(loaded_entry, 30)
    done = [item for item in completed if item["session_id"].startswith("101")]
    assert len(done) == 1
    assert done[0]["energy_kwh"] == full_session_kwh(hub, int(done[0]["session_id"]))


async def test_ended_during_a_connection_loss_while_the_next_one_runs(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    completed: list[dict[str, Any]],  # noqa: F811
    step: Step,
) -> None:
    """The register counted the end of one session and the start of the next unseen."""
    evse = hub.stations[101].evses[0]
    evse.jump(hub.clock.now(), 500)  # charging
    await refresh(hass, loaded_entry)
    await step(loaded_entry, 1)
    completed.clear()
    running = hub_transaction(hub)
    hub.faults.update({"mode": "http_500"})
    await step(loaded_entry, 30)  # 900 s: the session ends, the next one charges
    hub.faults.update({"mode": "none"})
    await step(loaded_entry, 1)
    assert hub_transaction(hub) != running
    done = [item for item in completed if item["session_id"] == str(running)]
    assert len(done) == 1
    assert done[0]["energy_kwh"] == full_session_kwh(hub, running)
    started = entity_state(hass, "event", f"{SERIAL}_station_101_connector_1_session")
    assert started.attributes["event_type"] == "started"


def hub_transaction(hub: ScriptedEvceDevice) -> int:
    station = hub.station_status(hub.stations[101])
    return int(station["evses"][0]["transaction_id"])


async def test_connector_groups_survive_a_language_switch(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    completed: list[dict[str, Any]],  # noqa: F811
    step: Step,
) -> None:
    evse = hub.stations[101].evses[0]
    evse.jump(hub.clock.now(), 100)
    await step(loaded_entry, 36)  # one whole session in English
    english = [item for item in completed if item["connector"] == "Bay 1 connector 1"]
    assert english

    hass.config.language = "de"
    await async_get_translations(hass, "de", "device", {DOMAIN})
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    connector = get_device(hass, f"{SERIAL}_station_101_connector_1")
    assert connector.name == "Bay 1 Anschluss 1"
    evse.jump(hub.clock.now(), 100)
    await step(loaded_entry, 36)  # and one in German
    german = [item for item in completed if item["connector"] == "Bay 1 Anschluss 1"]
    assert german

    response = await hass.services.async_call(
        DOMAIN,
        "get_sessions",
        {"config_entry_id": loaded_entry.entry_id, "group_by": "connector"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    groups: Any = response["groups"]
    bay1 = [group for group in groups if str(group["group"]).startswith("Bay 1")]
    # One group, labelled with the current name.
    assert [group["group"] for group in bay1] == ["Bay 1 Anschluss 1"]
    assert bay1[0]["count"] == len(english) + len(german)


async def test_get_sessions_on_the_hub_covers_every_charge_point(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    completed: list[dict[str, Any]],  # noqa: F811
    step: Step,
) -> None:
    await step(loaded_entry, 40)
    assert len({item["station"] for item in completed}) >= 2
    response = await hass.services.async_call(
        DOMAIN,
        "get_sessions",
        {"device_id": get_device(hass, f"{SERIAL}_hub").id},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    totals: Any = response["totals"]
    assert totals["count"] == len(completed)
    assert totals["energy_kwh"] == pytest.approx(sum(item["energy_kwh"] for item in completed))


async def test_a_remote_start_carries_its_id_tag_into_the_session(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    completed: list[dict[str, Any]],  # noqa: F811
    step: Step,
) -> None:
    hub.clock.advance(20)  # Bay 3 has just finished charging
    await refresh(hass, loaded_entry)
    await hass.services.async_call(
        DOMAIN,
        "remote_start",
        {
            "device_id": get_device(hass, f"{SERIAL}_station_103").id,
            "connector": 1,
            "id_tag": "04AABB",
        },
        blocking=True,
    )
    await step(loaded_entry, 2)
    # The session that had finished is over now; the started one carries the tag.
    before = {item["session_id"] for item in completed}
    pseudonym = loaded_entry.runtime_data.sessions.pseudonym("04AABB")
    key = f"{SERIAL}_station_103_connector_1_session"
    started = entity_state(hass, "event", key)
    assert started.attributes["event_type"] == "started"
    assert started.attributes["tag"] == pseudonym
    await step(loaded_entry, 35)  # charge, finish, unplug
    done = [
        item
        for item in completed
        if item["session_id"].startswith("103") and item["session_id"] not in before
    ]
    assert [item["tag"] for item in done] == [pseudonym]
    # Sessions a car started on its own carry the drivers' badges, as pseudonyms.
    others = {item["tag"] for item in completed if item not in done}
    assert {loaded_entry.runtime_data.sessions.pseudonym(card) for card in SESSION_CARDS} >= (
        others - {None}
    )
    assert len(others - {None}) >= 2
