"""An EVCE zone's minimum follows its sessions: 6 A for each, nothing without one."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.clock import SimClock

from ..schneider_evce.conftest import ScriptedEvceDevice
from .test_evce_zones import GRID, amps, setup_budget, step, zone_limits, zones_power

#: Seconds into the simulated charging cycle: charging, and before the car arrives.
CHARGING = 500.0
NO_CAR = 50.0
#: What each simulated car draws: a little below 6 A on three phases.
CAR_W = 4000.0


@pytest.fixture
def hub(clock: SimClock) -> ScriptedEvceDevice:
    """Parking A: Bay 1-3, each charging; Parking B: Bay 4, charging."""
    device = ScriptedEvceDevice(clock, stations=0)
    for _ in range(4):
        station = device.add_station()
        evse = station.evses[0]
        evse.cycle.max_power_w = CAR_W
        evse.jump(clock.now(), CHARGING)
    device.zone_of_station = {101: 7, 102: 7, 103: 7, 104: 8}
    return device


def no_car_at_bay_4(hub: ScriptedEvceDevice, clock: SimClock) -> None:
    hub.stations[104].evses[0].jump(clock.now(), NO_CAR)


def measure(hass: HomeAssistant, loaded_entry: MockConfigEntry, other_load_a: float = 0) -> None:
    """The grid meter shows the zones' draw and ``other_load_a`` on top."""
    watts = zones_power(loaded_entry) + amps(other_load_a)
    hass.states.async_set(GRID, str(watts), {"unit_of_measurement": "W"})


def allocations(hass: HomeAssistant) -> dict[str, int]:
    return hass.states.get("sensor.site_allocated_in_total").attributes["allocations"]


async def test_three_sessions_get_three_shares(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    """30 A for four cars is 7.5 A each: Parking A's three get 22.5 A, above their 18 A.

    Shared per zone, 15 A each, A's cars would get 5 A each and B's one car 15 A.
    """
    measure(hass, loaded_entry)
    await setup_budget(hass, loaded_entry, limit=30)

    assert zone_limits(hub) == [22.5, 7.5]
    assert allocations(hass) == {"Parking A": round(amps(22.5)), "Parking B": round(amps(7.5))}
    assert float(hass.states.get("sensor.site_allocated_in_total").state) <= amps(30)
    # The reduction written: the zone's 125 A less what it may draw.
    assert hass.states.get("number.parking_a_current_reduction").state == "102.5"


async def test_above_their_minimums_every_car_gets_an_equal_share(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    """60 A for four cars: 15 A each, three of them in Parking A."""
    measure(hass, loaded_entry, other_load_a=20)
    await setup_budget(hass, loaded_entry, limit=80)

    assert zone_limits(hub) == [45.0, 15.0]
    assert float(hass.states.get("sensor.site_available_for_charging").state) == amps(60)


@pytest.mark.parametrize("strategy", ["equal", "priority", "minimum_first"])
async def test_a_zone_that_cannot_get_its_minimums_is_paused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice, strategy: str
) -> None:
    """15 A: not enough for three cars at 6 A, so Parking A is paused, not given 15 A."""
    measure(hass, loaded_entry)
    await setup_budget(hass, loaded_entry, limit=15, strategy=strategy)

    assert zone_limits(hub) == [0.0, 15.0]
    assert allocations(hass) == {"Parking A": 0, "Parking B": round(amps(15))}


async def test_a_zone_without_a_session_needs_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Parking B without a car gives its share to A; a car arriving takes its minimum back."""
    no_car_at_bay_4(hub, clock)
    await loaded_entry.runtime_data.coordinator.async_refresh()
    measure(hass, loaded_entry)
    await setup_budget(hass, loaded_entry, limit=30)
    assert zone_limits(hub) == [22.5, 7.5]

    # B keeps nothing for a car (its minimum is 0): dropped at once, A ramps up.
    await step(hass, freezer, 10)
    assert zone_limits(hub) == [22.5, 0.0]
    await step(hass, freezer, 30)
    assert zone_limits(hub) == [30.0, 0.0]

    hub.stations[104].evses[0].jump(clock.now(), CHARGING)
    await loaded_entry.runtime_data.coordinator.async_refresh()
    measure(hass, loaded_entry)
    await step(hass, freezer, 10)
    # A gives back at once B's car's share; B gets it once the increase delay is over.
    assert zone_limits(hub) == [22.5, 0.0]
    await step(hass, freezer, 30)
    assert zone_limits(hub) == [22.5, 7.5]


async def test_the_failsafe_keeps_each_session_its_minimum(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    no_car_at_bay_4(hub, clock)
    await loaded_entry.runtime_data.coordinator.async_refresh()
    measure(hass, loaded_entry)
    await setup_budget(hass, loaded_entry)

    hass.states.async_set(GRID, STATE_UNAVAILABLE)
    await step(hass, freezer, 10)
    assert zone_limits(hub) == [18.0, 0.0]
    assert hass.states.get("binary_sensor.site_budget_degraded").attributes["failsafe"] is True


@pytest.fixture
def zone_a_unlisted(hub: ScriptedEvceDevice) -> None:
    """The hub does not say which stations Parking A holds."""
    hub.scripted["GET /api/v2/em/zones/7/stations"] = (404, {"message": "not found"})


async def test_a_zone_whose_stations_are_not_listed_needs_one_car(
    hass: HomeAssistant,
    zone_a_unlisted: None,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
) -> None:
    """Without the zone's station list it is known to need one car's 6 A (not 18 A: it is
    not paused under 15 A, as it is where the hub lists its three stations)."""
    measure(hass, loaded_entry)
    await setup_budget(hass, loaded_entry, limit=15)

    assert zone_limits(hub) == [7.5, 7.5]
