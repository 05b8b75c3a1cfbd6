"""A site power budget limiting ChargEye DC stations through the cloud's power limits."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.kempower_chargeye import DEFAULT_ORGANIZATION, ChargEyeDevice, sim_card

from ..common import GRID, add_site_budget, entity_state
from ..conftest import SimServer
from .conftest import commands, device_id


async def test_two_dc_stations_share_the_headroom(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    """80 kW for two stations after 20 kW of other load: 40 kW each, one limit per station."""
    devices = loaded.runtime_data.coordinator.data.devices
    stations = ("station_KEMDC-0001", "station_KEMDC-0002")
    drawn = sum((devices[key].data.station.current_power_kw or 0) * 1000 for key in stations)
    hass.states.async_set(GRID, str(drawn + 20000), {"unit_of_measurement": "W"})
    await add_site_budget(hass, [device_id(hass, key) for key in stations])

    written = [c for c in commands(sim) if c["path"].endswith("/powerLimit")]
    assert sorted(c["path"] for c in written) == [
        "/chargingStations/KEMDC-0001/powerLimit",
        "/chargingStations/KEMDC-0002/powerLimit",
    ]
    assert [c["body"] for c in written] == [{"limit": {"dcMaxPowerKw": 40.0}}] * 2
    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert float(allocated.state) == 80000


OFFICE = ("connector_KEMAC-0001_1", "connector_KEMAC-0001_2")


@pytest.fixture
def tags_read(device: ChargEyeDevice) -> None:
    """The account reports each transaction's id token."""
    device.tag_reading = "string"


@pytest.fixture
def no_tags_read(device: ChargEyeDevice) -> None:
    """The account reports no id token."""
    device.tag_reading = "none"


async def setup_tag_budget(
    hass: HomeAssistant, loaded: MockConfigEntry, **groups: list[str]
) -> None:
    """Priority tiers for the office station's two connectors, 30 kW for both."""
    devices = loaded.runtime_data.coordinator.data.devices
    drawn = sum(devices[key].data.connector.power_kw or 0 for key in OFFICE) * 1000
    # Everything else on the account counts as other load: 10 kW of it above the 30 kW.
    hass.states.async_set(GRID, str(drawn + 10000), {"unit_of_measurement": "W"})
    await add_site_budget(
        hass, [device_id(hass, key) for key in OFFICE], limit=40, strategy="priority", **groups
    )


def office_allocations(hass: HomeAssistant) -> list[int]:
    allocations = hass.states.get("sensor.site_allocated_in_total").attributes["allocations"]
    return [allocations[f"Office charger 1 connector {number}"] for number in (1, 2)]


def session_tag(hass: HomeAssistant, number: int) -> str:
    """The tag the connector's Session event shows (a pseudonym)."""
    connector = OFFICE[number - 1]
    return entity_state(hass, "event", f"{DEFAULT_ORGANIZATION}_{connector}_session").attributes[
        "tag"
    ]


async def test_a_session_of_the_high_tag_group_is_served_first(
    hass: HomeAssistant, tags_read: None, loaded: MockConfigEntry
) -> None:
    """Connector 2's card is in the fleet group (by the pseudonym its Session event shows)."""
    await setup_tag_budget(hass, loaded, priority_tags_high=[session_tag(hass, 2)])
    assert office_allocations(hass) == [7920, 22080]


async def test_a_session_of_the_low_tag_group_is_served_last(
    hass: HomeAssistant, tags_read: None, loaded: MockConfigEntry
) -> None:
    """Connector 1's card, by its id in any letter case, is a visitor's."""
    card = sim_card(2, 1).lower()
    await setup_tag_budget(hass, loaded, priority_tags_low=[f" {card} "])
    assert office_allocations(hass) == [7920, 22080]


async def test_a_tag_group_outranks_the_chargers_tier(
    hass: HomeAssistant, tags_read: None, loaded: MockConfigEntry
) -> None:
    """Connector 1 is a high-priority charger, but its session is a visitor's."""
    await setup_tag_budget(
        hass,
        loaded,
        priority_high=[device_id(hass, OFFICE[0])],
        priority_tags_low=[session_tag(hass, 1)],
    )
    assert office_allocations(hass) == [7920, 22080]


async def test_without_tags_reported_the_chargers_tiers_apply(
    hass: HomeAssistant, no_tags_read: None, loaded: MockConfigEntry
) -> None:
    """The account does not report id tokens: the groups rank nothing."""
    await setup_tag_budget(
        hass,
        loaded,
        priority_high=[device_id(hass, OFFICE[0])],
        priority_tags_high=[sim_card(2, 2)],
        priority_tags_low=[sim_card(2, 1)],
    )
    assert office_allocations(hass) == [22080, 7920]
