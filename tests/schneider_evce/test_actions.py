"""Commands of an EVCE hub: availability, zone reduction, restart, remote start and stop."""

from __future__ import annotations

from typing import Any

from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.switch import SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from simulator.schneider_evce import SERIAL

from ..common import entity_id, entity_state, get_device
from ..conftest import SimServer
from .conftest import ScriptedEvceDevice, refresh

#: Bay 1's "Available for charging" switch.
SWITCH = "station_101_availability"


def device_id(hass: HomeAssistant, key: str) -> str:
    return get_device(hass, f"{SERIAL}_{key}").id


def eid(hass: HomeAssistant, platform: str, key: str) -> str:
    """The entity ID of the entry's ``platform`` entity ``{device key}_{description key}``."""
    return entity_id(hass, platform, f"{SERIAL}_{key}")


def state(hass: HomeAssistant, platform: str, key: str) -> str:
    """The state of the entry's ``platform`` entity ``{device key}_{description key}``."""
    return entity_state(hass, platform, f"{SERIAL}_{key}").state


async def call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> None:
    await hass.services.async_call(DOMAIN, action, data, blocking=True)
    await hass.async_block_till_done()


async def test_availability_switch(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    await hass.services.async_call(
        "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: eid(hass, "switch", SWITCH)}, blocking=True
    )
    await hass.async_block_till_done()
    assert sim.requests("POST /api/v2/stations/101/cmds/change_availability") == 1
    assert hub.stations[101].evses[0].frozen_at is not None
    assert state(hass, "switch", SWITCH) == "off"
    assert state(hass, "sensor", "station_101_status") == "inoperative"
    await hass.services.async_call(
        "switch", SERVICE_TURN_ON, {ATTR_ENTITY_ID: eid(hass, "switch", SWITCH)}, blocking=True
    )
    await hass.async_block_till_done()
    assert state(hass, "switch", SWITCH) == "on"
    assert hub.stations[101].evses[0].frozen_at is None


async def test_availability_follows_the_station(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    # The station is made inoperative elsewhere: the switch shows it on the next poll.
    hub.stations[101].evses[0].frozen_at = hub.clock.now()
    await refresh(hass, loaded_entry)
    assert state(hass, "switch", SWITCH) == "off"


async def test_rejected_availability_keeps_the_state(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.control("commands", {"mode": "reject"})
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "switch", SERVICE_TURN_OFF, {ATTR_ENTITY_ID: eid(hass, "switch", SWITCH)}, blocking=True
        )
    assert err.value.translation_key == "command_rejected"
    assert state(hass, "switch", SWITCH) == "on"


async def test_zone_reduction(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: eid(hass, "number", "zone_7_reduction"), ATTR_VALUE: 25},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert sim.requests("PUT /api/v2/em/zones/7/reduction") == 1
    assert hub.zones[7].reduction_value == 25
    assert state(hass, "number", "zone_7_reduction") == "25.0"
    assert state(hass, "sensor", "zone_7_setpoint") == "100.0"
    # Outside the zone's limits Home Assistant refuses before anything is sent.
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "number",
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: eid(hass, "number", "zone_7_reduction"), ATTR_VALUE: 126},
            blocking=True,
        )
    assert sim.requests("PUT /api/v2/em/zones/7/reduction") == 1


async def test_zone_reduced_in_kilowatts(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.zones[8].reduction_type = "power"
    await refresh(hass, loaded_entry)
    number = hass.states.get(eid(hass, "number", "zone_8_reduction"))
    assert number is not None
    assert number.attributes["unit_of_measurement"] == "kW"
    assert number.attributes["device_class"] == "power"
    assert number.attributes["max"] == pytest.approx(86.2)
    await hass.services.async_call(
        "number",
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: eid(hass, "number", "zone_8_reduction"), ATTR_VALUE: 10.5},
        blocking=True,
    )
    assert hub.zones[8].reduction_type == "power"
    assert hub.zones[8].reduction_value == 10.5


async def test_restart_button(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    await hass.services.async_call(
        "button",
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: eid(hass, "button", "station_102_restart")},
        blocking=True,
    )
    assert sim.requests("POST /api/v2/stations/102/cmds/reset") == 1
    assert hub.stations[102].resets == 1


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
    transaction = hub_transaction(hub, 103)
    await call(hass, "remote_stop", {"device_id": station, "transaction_id": transaction})
    assert state(hass, "sensor", "station_103_status") == "finishing"
    await call(hass, "remote_stop", {"device_id": device_id(hass, "station_101"), "connector": 1})
    assert state(hass, "sensor", "station_101_status") == "finishing"


def hub_transaction(hub: ScriptedEvceDevice, station_id: int) -> int:
    evse = hub.station_status(hub.stations[station_id])["evses"][0]
    return int(evse["transaction_id"])


async def test_remote_start_rejected(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    # Bay 1 is charging already: the station rejects a second start.
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "remote_start", {"device_id": device_id(hass, "station_101"), "connector": 1}
        )
    assert err.value.translation_key == "command_rejected"


async def test_remote_stop_times_out(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    hub.control("commands", {"mode": "never"})
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "remote_stop", {"device_id": device_id(hass, "station_101"), "connector": 1}
        )
    assert err.value.translation_key == "command_timeout"
    # Followed for 30 s of simulated time, once a second, then given up.
    assert sim.requests("GET /api/v2/stations/101/cmds/status/55") == 31


@pytest.mark.parametrize(
    ("action", "data", "key"),
    [
        ("remote_start", {"connector": 3}, "evce_unknown_connector"),
        ("remote_stop", {"connector": 2}, "evce_unknown_connector"),
        ("remote_stop", {}, "evce_connector_or_transaction"),
    ],
)
async def test_validation(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, {"device_id": device_id(hass, "station_101"), **data})
    assert err.value.translation_key == key
    assert sim.requests(f"POST /api/v2/stations/101/cmds/{action}") == 0


async def test_offline_station_takes_no_command(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.control("station_online", {"id": 102, "online": False})
    await refresh(hass, loaded_entry)
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "remote_start", {"device_id": device_id(hass, "station_102"), "connector": 1}
        )
    assert err.value.translation_key == "evce_station_offline"


async def test_actions_only_target_stations(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "remote_start", {"device_id": device_id(hass, "zone_7"), "connector": 1})
    assert err.value.translation_key == "wrong_target"
