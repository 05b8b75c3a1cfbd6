"""Commands of an EVCE hub: availability, zone reduction, reset, remote start and stop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.switch import SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.evse_bridge.writes import DEFAULT_WRITE_INTERVAL_S
from simulator.schneider_evce import SERIAL

from ..common import entity_id, entity_state, find_entity_id, get_device
from ..conftest import SimServer
from .conftest import ScriptedEvceDevice, refresh


def device_id(hass: HomeAssistant, key: str) -> str:
    return get_device(hass, f"{SERIAL}_{key}").id


def uid(hass: HomeAssistant, platform: str, key: str) -> str:
    return entity_id(hass, platform, f"{SERIAL}_{key}")


def state(hass: HomeAssistant, platform: str, key: str) -> str:
    return entity_state(hass, platform, f"{SERIAL}_{key}").state


async def call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> None:
    await hass.services.async_call(DOMAIN, action, data, blocking=True)
    await hass.async_block_till_done()


async def switch(hass: HomeAssistant, key: str, on: bool) -> None:
    await hass.services.async_call(
        "switch",
        SERVICE_TURN_ON if on else SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: uid(hass, "switch", key)},
        blocking=True,
    )
    await hass.async_block_till_done()


async def test_availability_switch(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    await switch(hass, "station_101_availability", False)
    assert sim.requests("POST /api/v2/stations/101/cmds/change_availability") == 1
    assert hub.commands[55].body == {"connector_id": 0, "type": "inoperative"}
    assert hub.stations[101].evses[0].frozen_at is not None
    assert state(hass, "switch", "station_101_availability") == "off"
    # Out of service is a state of its own, never Home Assistant's "unavailable".
    assert state(hass, "sensor", "station_101_status") == "inoperative"
    assert state(hass, "sensor", "station_101_connector_1_status") == "inoperative"
    await switch(hass, "station_101_availability", True)
    assert state(hass, "switch", "station_101_availability") == "on"
    assert hub.stations[101].evses[0].frozen_at is None


async def test_connector_availability_switch(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    await switch(hass, "station_102_connector_2_availability", False)
    assert hub.commands[55].body == {"connector_id": 2, "type": "inoperative"}
    assert hub.stations[102].evses[1].frozen_at is not None
    assert hub.stations[102].evses[0].frozen_at is None
    assert state(hass, "switch", "station_102_connector_2_availability") == "off"
    assert state(hass, "switch", "station_102_connector_1_availability") == "on"
    await switch(hass, "station_102_connector_2_availability", True)
    assert hub.stations[102].evses[1].frozen_at is None


async def test_availability_follows_the_station(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    # The station is made inoperative elsewhere: the switch shows it on the next poll.
    hub.stations[101].evses[0].frozen_at = hub.clock.now()
    await refresh(hass, loaded_entry)
    assert state(hass, "switch", "station_101_availability") == "off"


async def test_rejected_availability_names_the_station(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.control("commands", {"mode": "reject"})
    with pytest.raises(HomeAssistantError) as err:
        await switch(hass, "station_101_availability", False)
    assert isinstance(err.value, ServiceValidationError)
    assert str(err.value) == (
        "Bay 1 refused Available for charging: the station answered rejected to change_availability"
    )
    assert state(hass, "switch", "station_101_availability") == "on"


async def test_zone_reduction(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    number = uid(hass, "number", "zone_7_reduction")
    await hass.services.async_call(
        "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: number, ATTR_VALUE: 25}, blocking=True
    )
    await hass.async_block_till_done()
    assert sim.requests("PUT /api/v2/em/zones/7/reduction") == 1
    assert hub.zones[7].reduction_value == 25
    assert hub.zones[7].valid_mode == "permanent"
    assert state(hass, "number", "zone_7_reduction") == "25.0"
    assert state(hass, "sensor", "zone_7_setpoint") == "100.0"
    # Outside the zone's limits Home Assistant refuses before anything is sent.
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: number, ATTR_VALUE: 126}, blocking=True
        )
    assert sim.requests("PUT /api/v2/em/zones/7/reduction") == 1


@pytest.mark.parametrize("reading", ["as_set", "remaining"])
async def test_temporary_zone_reduction(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    freezer: FrozenDateTimeFactory,
    reading: str,
) -> None:
    """A temporary reduction shows when it lapses, whichever way the hub counts its duration."""
    hub.variant["reduction"] = reading
    freezer.move_to("2026-12-01 10:00:00+00:00")
    await call(
        hass,
        "set_zone_reduction",
        {"device_id": device_id(hass, "zone_7"), "value": 30, "duration": {"minutes": 15}},
    )
    assert (hub.zones[7].valid_mode, hub.zones[7].duration_s) == ("temporary", 900)
    assert state(hass, "number", "zone_7_reduction") == "30.0"
    mode = entity_state(hass, "sensor", f"{SERIAL}_zone_7_reduction_mode")
    assert mode.state == "temporary"
    ends = "2026-12-01T10:15:00+00:00"
    assert state(hass, "sensor", "zone_7_reduction_ends") == ends
    # Five minutes on, the end has not moved (the duration read back as set, or as time left).
    hub.clock.advance(300)
    freezer.tick(timedelta(seconds=300))
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor", "zone_7_reduction_ends") == ends
    # The hub lifts it once the duration has passed: no reduction, nothing lapses.
    hub.clock.advance(600)
    freezer.tick(timedelta(seconds=600))
    await refresh(hass, loaded_entry)
    assert state(hass, "number", "zone_7_reduction") == "0.0"
    assert state(hass, "sensor", "zone_7_reduction_mode") == "no_reduction"
    assert state(hass, "sensor", "zone_7_reduction_ends") == "unknown"
    # Permanent, in kilowatts.
    await call(
        hass,
        "set_zone_reduction",
        {"device_id": device_id(hass, "zone_8"), "value": 10, "unit": "power"},
    )
    assert (hub.zones[8].reduction_type, hub.zones[8].valid_mode) == ("power", "permanent")
    assert state(hass, "sensor", "zone_8_reduction_mode") == "permanent"


async def test_temporary_reduction_set_on_the_hub(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A reduction set elsewhere lapses its duration after it was first seen."""
    freezer.move_to("2026-12-01 10:00:00+00:00")
    zone = hub.zones[7]
    zone.reduction_value, zone.valid_mode, zone.duration_s = 12, "temporary", 1800
    zone.set_at = hub.clock.now()
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor", "zone_7_reduction_ends") == "2026-12-01T10:30:00+00:00"
    freezer.tick(timedelta(seconds=60))
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor", "zone_7_reduction_ends") == "2026-12-01T10:30:00+00:00"


async def test_bare_reduction_shows_no_mode(
    hass: HomeAssistant, entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    """A hub that names no mode gets no mode or end entity; the value counts as amperes."""
    hub.variant["reduction"] = "bare"
    hub.zones[7].reduction_value = 15
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert find_entity_id(hass, "sensor", f"{SERIAL}_zone_7_reduction_mode") is None
    assert find_entity_id(hass, "sensor", f"{SERIAL}_zone_7_reduction_ends") is None
    assert state(hass, "number", "zone_7_reduction") == "15.0"
    assert state(hass, "number", "zone_7_reduction_power") == "0.0"


@pytest.mark.parametrize(
    ("data", "key"),
    [({"value": 200}, "evce_reduction_too_high"), ({"value": 5}, "evce_reduction_rejected")],
)
async def test_zone_reduction_refused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    data: dict[str, Any],
    key: str,
) -> None:
    hub.scripted["PUT /api/v2/em/zones/7/reduction"] = (400, {"message": "no"})
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "set_zone_reduction", {"device_id": device_id(hass, "zone_7"), **data})
    assert err.value.translation_key == key
    assert err.value.translation_placeholders["zone"] == "Parking A"


async def test_zone_reduction_writes_are_coalesced(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    hub: ScriptedEvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The action and the number write one target: at most once per interval, last one wins."""
    path = "PUT /api/v2/em/zones/7/reduction"
    zone = {"device_id": device_id(hass, "zone_7")}
    number = uid(hass, "number", "zone_7_reduction")
    await call(hass, "set_zone_reduction", {**zone, "value": 20})
    assert sim.requests(path) == 1
    for value in (21, 22, 23):  # within the interval: only the last is sent, at its end
        await call(hass, "set_zone_reduction", {**zone, "value": value})
    await hass.services.async_call(
        "number", SERVICE_SET_VALUE, {ATTR_ENTITY_ID: number, ATTR_VALUE: 24}, blocking=True
    )
    assert sim.requests(path) == 1
    assert hub.zones[7].reduction_value == 20
    await _tick(hass, freezer, DEFAULT_WRITE_INTERVAL_S)
    assert sim.requests(path) == 2
    assert hub.zones[7].reduction_value == 24
    assert state(hass, "number", "zone_7_reduction") == "24.0"
    # The same value again is not sent; once changed on the hub, it is.
    await _tick(hass, freezer, DEFAULT_WRITE_INTERVAL_S)
    await call(hass, "set_zone_reduction", {**zone, "value": 24})
    assert sim.requests(path) == 2
    hub.zones[7].reduction_value = 0
    await refresh(hass, loaded_entry)
    await call(hass, "set_zone_reduction", {**zone, "value": 24})
    assert sim.requests(path) == 3
    assert hub.zones[7].reduction_value == 24
    # A temporary reduction renewed before it lapses is sent again, once per interval.
    await _tick(hass, freezer, DEFAULT_WRITE_INTERVAL_S)
    temporary = {**zone, "value": 30, "duration": {"minutes": 10}}
    await call(hass, "set_zone_reduction", temporary)
    await call(hass, "set_zone_reduction", temporary)  # same end, to the minute
    assert sim.requests(path) == 4
    await _tick(hass, freezer, 120)
    await call(hass, "set_zone_reduction", temporary)
    assert sim.requests(path) == 5
    assert (hub.zones[7].valid_mode, hub.zones[7].duration_s) == ("temporary", 600)
    # A value above the zone's limit is refused before it is coalesced.
    with pytest.raises(ServiceValidationError):
        await call(hass, "set_zone_reduction", {**zone, "value": 500})
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)
    assert diagnostics["writes"]["requested"] == 10
    assert diagnostics["writes"]["sent"] == 5


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_zone_reduced_in_kilowatts(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each reduction number keeps its unit: after a power reduction, 40 A still means 40 A."""
    await call(
        hass,
        "set_zone_reduction",
        {"device_id": device_id(hass, "zone_8"), "value": 10, "unit": "power"},
    )
    power = entity_state(hass, "number", f"{SERIAL}_zone_8_reduction_power")
    assert power.state == "10.0"
    assert power.attributes["unit_of_measurement"] == "kW"
    assert power.attributes["device_class"] == "power"
    assert power.attributes["max"] == pytest.approx(86.2)
    current = entity_state(hass, "number", f"{SERIAL}_zone_8_reduction")
    assert current.state == "0.0"
    assert current.attributes["unit_of_measurement"] == "A"
    assert current.attributes["device_class"] == "current"
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: current.entity_id, ATTR_VALUE: 40},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert (hub.zones[8].reduction_type, hub.zones[8].reduction_value) == ("current", 40)
    assert state(hass, "number", "zone_8_reduction") == "40.0"
    assert state(hass, "number", "zone_8_reduction_power") == "0.0"
    assert (
        entity_state(hass, "number", f"{SERIAL}_zone_8_reduction").attributes["unit_of_measurement"]
        == "A"
    )
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: power.entity_id, ATTR_VALUE: 10.5},
        blocking=True,
    )
    # Written at most once per interval per unit, like any set-point.
    await _tick(hass, freezer, DEFAULT_WRITE_INTERVAL_S)
    assert hub.zones[8].reduction_type == "power"
    assert hub.zones[8].reduction_value == 10.5


@pytest.mark.parametrize(
    ("mode", "outcome", "error"),
    [
        ("accept", "accepted", None),
        ("reject", "refused", "Bay 2 refused Restart: the station answered rejected to reset"),
        (
            "timeout",
            "no_answer",
            "Bay 2 gave no final answer to Restart in time; check its state before trying again",
        ),
    ],
)
async def test_restart_button_shows_the_stations_answer(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    mode: str,
    outcome: str,
    error: str | None,
) -> None:
    last = entity_state(hass, "sensor", f"{SERIAL}_station_102_last_command")
    assert last.state == "unknown"
    assert last.attributes["options"] == ["accepted", "refused", "no_answer", "failed"]
    hub.control("commands", {"mode": mode})
    press = hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: uid(hass, "button", "station_102_restart")},
        blocking=True,
    )
    if error is None:
        await press
        assert hub.stations[102].resets == 1
    else:
        with pytest.raises(HomeAssistantError) as err:
            await press
        assert str(err.value) == error
        # Refused: the station's state, the user's to change; no answer: a failure.
        assert isinstance(err.value, ServiceValidationError) is (mode == "reject")
    last = entity_state(hass, "sensor", f"{SERIAL}_station_102_last_command")
    assert last.state == outcome
    assert last.attributes["command"] == "Restart"
    assert last.attributes["time"] is not None
    # Only the pressed station's sensor changed.
    assert state(hass, "sensor", "station_101_last_command") == "unknown"


async def test_restart_button_and_hard_reset(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    await hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: uid(hass, "button", "station_102_restart")},
        blocking=True,
    )
    assert sim.requests("POST /api/v2/stations/102/cmds/reset") == 1
    assert hub.commands[55].body == {"type": "soft"}
    await call(hass, "reset_station", {"device_id": device_id(hass, "station_102"), "type": "hard"})
    assert hub.commands[56].body == {"type": "hard"}
    assert hub.stations[102].resets == 2


async def test_remote_start_and_stop(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    hub.clock.advance(20)  # Bay 3 has just finished charging
    await refresh(hass, loaded_entry)
    assert state(hass, "sensor", "station_103_status") == "finishing"
    station = device_id(hass, "station_103")
    await call(hass, "remote_start", {"device_id": station, "connector": 1, "id_tag": "04AABB"})
    assert sim.requests("POST /api/v2/stations/103/cmds/remote_start") == 1
    # Followed until accepted (2 s on the station's side, 1 s between checks).
    assert sim.requests("GET /api/v2/stations/103/cmds/status/55") == 3
    assert state(hass, "sensor", "station_103_status") == "charging"
    transaction = hub_transaction(hub, 103, 1)
    await call(hass, "remote_stop", {"device_id": station, "transaction_id": transaction})
    assert state(hass, "sensor", "station_103_status") == "finishing"


async def test_remote_stop_of_a_connector_stops_its_transaction(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    # Bay 2 has two connectors; connector 1 charges.
    transaction = hub_transaction(hub, 102, 1)
    status = entity_state(hass, "sensor", f"{SERIAL}_station_102_connector_1_status")
    assert status.attributes["transaction_id"] == transaction
    await call(hass, "remote_stop", {"device_id": device_id(hass, "station_102_connector_1")})
    assert hub.commands[55].name == "remote_stop"
    assert hub.commands[55].body == {"transaction_id": transaction}
    assert state(hass, "sensor", "station_102_connector_1_status") == "finishing"
    # Started again on the connector device itself: no connector number needed.
    await call(hass, "remote_start", {"device_id": device_id(hass, "station_102_connector_1")})
    assert hub.commands[56].body == {"connector_id": 1}


def hub_transaction(hub: ScriptedEvceDevice, station_id: int, evse_id: int) -> int:
    status = hub.station_status(hub.stations[station_id])
    evse = next(item for item in status["evses"] if item["id"] == evse_id)
    return int(evse["transaction_id"])


async def test_remote_start_rejected_names_the_connector(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    # Bay 1 is charging already: the station rejects a second start.
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "remote_start", {"device_id": device_id(hass, "station_101"), "connector": 1}
        )
    assert isinstance(err.value, ServiceValidationError)
    assert str(err.value) == (
        "Bay 1 refused Remote start: the station answered rejected to remote_start"
    )


async def test_remote_stop_times_out(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    hub.control("commands", {"mode": "never"})
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "remote_stop", {"device_id": device_id(hass, "station_101"), "connector": 1}
        )
    assert not isinstance(err.value, ServiceValidationError)
    assert str(err.value) == (
        "Bay 1 gave no final answer to Remote stop in time; check its state before trying again"
    )
    # Followed for 30 s of simulated time, once a second, then given up.
    assert sim.requests("GET /api/v2/stations/101/cmds/status/55") == 31


@pytest.mark.parametrize(
    ("target", "action", "data", "key"),
    [
        ("station_101", "remote_start", {"connector": 3}, "evce_unknown_connector"),
        ("station_101", "remote_start", {}, "evce_connector_required"),
        ("station_101", "remote_stop", {"connector": 2}, "evce_unknown_connector"),
        ("station_101", "remote_stop", {}, "evce_connector_or_transaction"),
        ("station_101_connector_1", "remote_stop", {"connector": 2}, "evce_connector_mismatch"),
    ],
)
async def test_validation(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    target: str,
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, {"device_id": device_id(hass, target), **data})
    assert err.value.translation_key == key
    assert sim.requests(f"POST /api/v2/stations/101/cmds/{action}") == 0


async def test_remote_stop_without_a_session(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.stations[101].evses[0].jump(hub.clock.now(), 0)
    await refresh(hass, loaded_entry)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "remote_stop", {"device_id": device_id(hass, "station_101_connector_1")})
    assert err.value.translation_key == "evce_no_session"
    assert err.value.translation_placeholders == {"target": "Bay 1 connector 1"}


async def test_remote_stop_by_connector_where_the_hub_gives_no_transaction(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    statuses = [hub.station_status(station) for station in hub.stations.values()]
    for status in statuses:
        for evse in status["evses"]:
            evse.pop("transaction_id", None)
    hub.scripted["GET /api/v2/stations/statuses"] = (200, statuses)
    await refresh(hass, loaded_entry)
    await call(hass, "remote_stop", {"device_id": device_id(hass, "station_101_connector_1")})
    assert hub.commands[55].body == {"connector_id": 1}


async def test_offline_station_takes_no_command(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.control("station_online", {"id": 102, "online": False})
    await refresh(hass, loaded_entry)
    for target in ("station_102", "station_102_connector_1"):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "remote_start", {"device_id": device_id(hass, target), "connector": 1})
        assert err.value.translation_key == "evce_station_offline"
        assert err.value.translation_placeholders == {"station": "Bay 2"}


async def test_actions_only_target_stations(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "remote_start", {"device_id": device_id(hass, "zone_7"), "connector": 1})
    assert err.value.translation_key == "wrong_target"
