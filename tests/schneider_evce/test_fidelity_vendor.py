"""The hub's own readings on the vendor side: session records, station firmware, 403 at login.

Each reading the hub's OpenAPI 3.0.0 leaves open is played by the simulator
(``transactions``, ``station_firmware``): the entry loads, sessions complete with
the energy the hub states, and diagnostics name the reading each device used.
"""

from __future__ import annotations

import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.evse_bridge.vendors.schneider_evce.site import INVENTORY_INTERVAL
from simulator.clock import SimClock
from simulator.schneider_evce import SERIAL, SESSION_CARDS, STATION_FIRMWARE

from ..common import entity_state, get_device
from ..test_sessions import completed  # noqa: F401 - the fixture
from .conftest import ScriptedEvceDevice, refresh
from .test_sessions import Step, full_session_kwh, step  # noqa: F401 - the fixture

#: (transactions, station_firmware) readings, and what each device should show.
READINGS = {
    "snake+endpoint": ("snake", "endpoint", STATION_FIRMWARE, "firmware.version"),
    "alternate+properties": (
        "alternate",
        "properties",
        STATION_FIRMWARE,
        "station.firmware_version",
    ),
    "missing+missing": ("missing", "missing", None, "not stated"),
}


@pytest.fixture(params=list(READINGS))
def reading(request: pytest.FixtureRequest) -> tuple[str, str, str | None, str]:
    """One combination of the hub's readings."""
    return READINGS[request.param]


@pytest.fixture
def hub(clock: SimClock, reading: tuple[str, str, str | None, str]) -> ScriptedEvceDevice:
    """A hub that plays ``reading``."""
    transactions, firmware, _, _ = reading
    return ScriptedEvceDevice(
        clock, variant=f"transactions={transactions}+station_firmware={firmware}"
    )


async def test_sessions_firmware_and_diagnostics_follow_the_hubs_records(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    reading: tuple[str, str, str | None, str],
    completed: list[dict[str, Any]],  # noqa: F811
    step: Step,  # noqa: F811
) -> None:
    transactions, _, version, version_source = reading
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert get_device(hass, f"{SERIAL}_station_101").sw_version == version
    key = f"{SERIAL}_station_101_connector_1_session"
    hub.stations[101].evses[0].jump(hub.clock.now(), 100)  # idle, 20 s before a car arrives
    await refresh(hass, loaded_entry)
    before = {item["session_id"] for item in completed}
    await step(loaded_entry, 35)  # plug in, charge, finish, unplug
    done = [
        item
        for item in completed
        if item["session_id"].startswith("101") and item["session_id"] not in before
    ]
    assert len(done) == 1
    session = done[0]
    assert session["energy_kwh"] == full_session_kwh(hub, int(session["session_id"]))
    event = entity_state(hass, "event", key)
    assert event.attributes["event_type"] == "completed"
    if transactions == "missing":
        assert event.attributes["tag"] is None  # nothing names the badge
        assert session["stop_reason"] is None
    else:
        assert event.attributes["tag"].startswith("tag_")
        assert event.attributes["tag"] not in SESSION_CARDS
        assert session["stop_reason"] == "EVDisconnected"

    asked = hub.stats.by_path.get("GET /api/v2/transactions/ended", 0)
    response: Any = await hass.services.async_call(
        DOMAIN,
        "get_sessions",
        {"config_entry_id": loaded_entry.entry_id},
        blocking=True,
        return_response=True,
    )
    sessions = response["sessions"]
    ours = next(item for item in sessions if item["session_id"] == session["session_id"])
    assert ours["energy_kwh"] == session["energy_kwh"]
    assert ours["connector"] == "Bay 1 connector 1"
    if transactions != "missing":
        # Answered from the hub's ended records of every station.
        assert hub.stats.by_path["GET /api/v2/transactions/ended"] == asked + 1
        assert ours["stop_reason"] == "EVDisconnected"
        assert {item["station"] for item in sessions} >= {"Bay 1", "Bay 2", "Bay 3"}

    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    devices = diagnostics["raw_payloads"]["readings"]["devices"]
    assert devices["station_101"]["firmware"] == version_source
    connector = devices["station_101_connector_1"]
    if transactions == "missing":
        assert connector == {
            "running_session": "statuses only",
            "final_session": "last poll (no ended records)",
        }
    else:
        assert connector == {
            "running_session": "statuses and ongoing records",
            "final_session": "ended records",
        }
    assert not any(card in str(diagnostics) for card in SESSION_CARDS)


@pytest.mark.parametrize("reading", ["missing+missing", "snake+endpoint"], indirect=True)
async def test_a_firmware_source_the_hub_lacks_is_not_asked_again(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    reading: tuple[str, str, str | None, str],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 404 for one station's firmware: no station is asked that way at the next inventory."""
    _, firmware, version, _ = reading
    hub.stats.by_path.clear()
    freezer.tick(INVENTORY_INTERVAL)
    await refresh(hass, loaded_entry)

    asked = {path: count for path, count in hub.stats.by_path.items() if path.endswith("/firmware")}
    properties = [path for path in hub.stats.by_path if re.fullmatch(r"GET .*/stations/\d+", path)]
    if firmware == "missing":
        assert asked == {}
        assert properties == []
    else:
        # Where the endpoint answers, each station is asked once per inventory.
        assert set(asked.values()) == {1}
        assert len(asked) == len(hub.stations)
    assert get_device(hass, f"{SERIAL}_station_101").sw_version == version
