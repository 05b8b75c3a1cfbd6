"""Units, bounds and values of the power limit numbers, from what a station reports."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api.kempower_chargeye import parse_stations
from custom_components.evse_bridge.vendors.kempower_chargeye.limits import (
    FALLBACK_MAX_A,
    FALLBACK_MAX_KW,
    limit_numbers,
    limit_rating,
)
from custom_components.evse_bridge.vendors.kempower_chargeye.model import (
    ConnectorData,
    StationData,
)
from simulator.clock import SimClock
from simulator.kempower_chargeye import DEFAULT_ORGANIZATION, ChargEyeDevice

from ..common import entity_state
from ..conftest import SimServer
from .conftest import DC, DC_PLUG, advance, commands, eid


def test_ratings_fall_back_when_the_station_reports_zeros() -> None:
    # The vendor's own example answer: every rating 0.
    dc, ac = parse_stations(
        [
            {
                "stationId": "charger1",
                "maxPowerKw": 0,
                "maxPowerA": 0,
                "connectors": [{"connectorId": "charger1_connector2", "type": "CCS"}],
            },
            {
                "stationId": "wallbox",
                "maxPowerA": 0,
                "connectors": [{"connectorId": "1", "type": "Type2"}],
            },
        ]
    )
    assert limit_rating(StationData(dc, None)) == FALLBACK_MAX_KW
    assert limit_rating(ConnectorData(dc, dc.connectors[0], None)) == FALLBACK_MAX_KW
    assert limit_rating(StationData(ac, None)) == FALLBACK_MAX_A
    assert limit_rating(ConnectorData(ac, ac.connectors[0], None)) == FALLBACK_MAX_A
    # No limit set: the rating, marked as not limited.
    current, power = limit_numbers("connector")
    assert power.value_fn(ConnectorData(dc, dc.connectors[0], None)) == FALLBACK_MAX_KW
    assert power.attributes_fn is not None
    assert power.attributes_fn(ConnectorData(dc, dc.connectors[0], None)) == {"limited": False}
    assert power.value_fn(ConnectorData(dc, dc.connectors[0], 42.0)) == 42.0
    assert power.attributes_fn(ConnectorData(dc, dc.connectors[0], 42.0)) == {"limited": True}
    # Each number has one unit; the one not of the station's kind does not exist.
    assert (current.native_unit_of_measurement, current.device_class) == ("A", "current")
    assert (power.native_unit_of_measurement, power.device_class) == ("kW", "power")
    assert [d.exists_fn(StationData(ac, None)) for d in (current, power)] == [True, False]
    assert [d.exists_fn(StationData(dc, None)) for d in (current, power)] == [False, True]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_limit_number_keeps_its_unit(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    """A station that later reads as AC leaves its kW numbers unavailable, never in A."""
    assert isinstance(sim.device, ChargEyeDevice)
    for connector in sim.device.stations["KEMDC-0001"].connectors:
        connector.plug = "Type2"
    await advance(hass, frozen, clock, 60)
    for device_key, key in (
        (DC, "power_limit"),
        (DC_PLUG, "power_limit"),
        (DC_PLUG, "session_power_limit"),
    ):
        number = entity_state(hass, "number", f"{DEFAULT_ORGANIZATION}_{device_key}_{key}")
        assert number.state == STATE_UNAVAILABLE
        assert number.attributes["unit_of_measurement"] == "kW"
    # Home Assistant passes an unavailable entity by: 40 is sent neither as kW nor as A.
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": eid(hass, "number", DC, "power_limit"), "value": 40},
        blocking=True,
    )
    assert not [c for c in commands(sim) if c["path"].endswith("/powerLimit")]
    # Read as DC again: the numbers are back, in kW.
    for connector in sim.device.stations["KEMDC-0001"].connectors:
        connector.plug = "CCS"
    await advance(hass, frozen, clock, 60)
    number = entity_state(hass, "number", f"{DEFAULT_ORGANIZATION}_{DC}_power_limit")
    assert (number.state, number.attributes["unit_of_measurement"]) == ("300.0", "kW")
