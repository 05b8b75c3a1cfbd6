"""Tag groups of a site power budget over two simulated v1 controllers: the card decides."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.bender_v1 import DEFAULT_PASSWORD, DEFAULT_USERNAME, SERIAL, BenderV1Device
from simulator.bender_v1_controls import CURRENT_LIMIT_KEY
from simulator.clock import SimClock

from ..common import GRID, add_site_budget, entity_state, get_device
from ..conftest import StartSimulator
from .test_budget import CHARGING_AT, controller_id

OTHER_SERIAL = "1803000043"
FLEET_CARD = "04F1EE7CA4D5E6"
VISITOR_CARD = "04B15170A4D5E7"


@pytest.fixture
def start_at() -> float:
    """Both controllers charge (11 kW each) when the test starts."""
    return CHARGING_AT


@pytest.fixture
def device(clock: SimClock) -> BenderV1Device:
    """Bay 1: a visitor's card."""
    device = BenderV1Device(clock)
    device.session_tag = VISITOR_CARD
    return device


@pytest.fixture
def other_device(clock: SimClock) -> BenderV1Device:
    """Bay 2: a fleet vehicle's card."""
    device = BenderV1Device(clock, serial=OTHER_SERIAL, charge_point_id="+4983900000000043")
    device.session_tag = FLEET_CARD
    return device


@pytest.fixture
async def other(other_device: BenderV1Device, start_simulator: StartSimulator) -> MockConfigEntry:
    """Bay 2's controller, in an entry of its own."""
    sim = await start_simulator(other_device)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Bay 2",
        unique_id=OTHER_SERIAL,
        data={
            CONF_VENDOR: "bender_v1",
            CONF_HOST: sim.host,
            CONF_USERNAME: DEFAULT_USERNAME,
            CONF_PASSWORD: DEFAULT_PASSWORD,
        },
    )


def session_tag(hass: HomeAssistant, serial: str) -> str:
    """The tag the controller's Session event shows (a pseudonym)."""
    tag: str = entity_state(hass, "event", f"{serial}_controller_session").attributes["tag"]
    return tag


async def setup_tag_budget(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, other: MockConfigEntry, **config: Any
) -> None:
    """20 kW over both controllers in the priority strategy, no other load."""
    if other.state is not ConfigEntryState.LOADED:
        other.add_to_hass(hass)
        assert await hass.config_entries.async_setup(other.entry_id)
        await hass.async_block_till_done()
    drawn = sum(
        entry.runtime_data.coordinator.data.devices["controller"].data.state.transaction.power_w
        for entry in (loaded_entry, other)
    )
    hass.states.async_set(GRID, str(drawn), {"unit_of_measurement": "W"})
    devices = [
        get_device(hass, entry.runtime_data.site.registry_identifier("controller")[1]).id
        for entry in (loaded_entry, other)
    ]
    await add_site_budget(hass, devices, **{"limit": 20, "strategy": "priority", **config})


def limits(device: BenderV1Device, other_device: BenderV1Device) -> list[int]:
    """The current limit each controller was given (A), Bay 1 first."""
    return [item.settings.value(CURRENT_LIMIT_KEY) for item in (device, other_device)]


def allocations(hass: HomeAssistant) -> dict[str, int]:
    allocated: dict[str, int] = hass.states.get("sensor.site_allocated_in_total").attributes[
        "allocations"
    ]
    return allocated


async def step(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    devices: tuple[BenderV1Device, ...],
    seconds: float,
) -> None:
    """Both controllers polled, time passes, the meter reports what they draw."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.data.get("kind") != "site_budget":
            await entry.runtime_data.coordinator.async_refresh()
    freezer.tick(seconds)
    drawn = sum(item.system_state()["transaction"]["power"] for item in devices)
    hass.states.async_set(GRID, str(drawn), {"unit_of_measurement": "W"})
    async_fire_time_changed(hass, dt_util.utcnow())
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_without_tag_groups_one_tier_shares_equally(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    other: MockConfigEntry,
    device: BenderV1Device,
    other_device: BenderV1Device,
) -> None:
    """No tag groups: one tier, shared equally."""
    await setup_tag_budget(hass, loaded_entry, other)
    assert limits(device, other_device) == [14, 14]


@pytest.mark.parametrize(
    ("group", "tag"),
    [
        ("priority_tags_high", "pseudonym"),
        ("priority_tags_high", f" {FLEET_CARD.lower()} "),
        ("priority_tags_low", "pseudonym"),
        ("priority_tags_low", VISITOR_CARD),
    ],
    ids=["fleet_pseudonym", "fleet_card", "visitor_pseudonym", "visitor_card"],
)
async def test_a_fleet_session_is_served_before_a_visitors(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    other: MockConfigEntry,
    device: BenderV1Device,
    other_device: BenderV1Device,
    group: str,
    tag: str,
) -> None:
    """Bay 2's fleet card, or Bay 1's visitor card, in its group: Bay 2 first, Bay 1 keeps its
    minimum (6 A: it cannot be paused).

    By the pseudonym the controller's Session event shows, or by the card in any case.
    """
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    if tag == "pseudonym":
        tag = session_tag(hass, OTHER_SERIAL if group == "priority_tags_high" else SERIAL)
    await setup_tag_budget(hass, loaded_entry, other, **{group: [tag]})

    assert limits(device, other_device) == [6, 22]
    assert allocations(hass) == {"+4983900000000042": 4140, "+4983900000000043": 15860}


async def test_a_visitors_session_outranks_the_chargers_tier(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    other: MockConfigEntry,
    device: BenderV1Device,
    other_device: BenderV1Device,
) -> None:
    """Bay 1 is a high-priority charger, but a visitor charges there."""
    await setup_tag_budget(
        hass,
        loaded_entry,
        other,
        priority_high=[controller_id(hass, loaded_entry)],
        priority_tags_low=[VISITOR_CARD],
    )
    assert limits(device, other_device) == [6, 22]


async def test_a_pseudonym_ranks_the_card_at_every_controller(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    other: MockConfigEntry,
    device: BenderV1Device,
    other_device: BenderV1Device,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The fleet card's pseudonym, as Bay 2 shows it, is in the group; the card's next
    session is at Bay 1 (each entry shows its own pseudonym): Bay 1 is served first."""
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    fleet = session_tag(hass, OTHER_SERIAL)
    await setup_tag_budget(hass, loaded_entry, other, priority_tags_high=[fleet])
    assert limits(device, other_device) == [6, 22]

    # The next sessions, one charging cycle later: the cars changed places.
    device.session_tag, other_device.session_tag = FLEET_CARD, VISITOR_CARD
    clock.advance(device.cycle.times.period)
    devices = (device, other_device)
    # The first completed session establishes the controllers' summary units: they reload.
    await step(hass, freezer, devices, 5)
    await step(hass, freezer, devices, 5)
    assert session_tag(hass, SERIAL) not in (fleet, session_tag(hass, OTHER_SERIAL))
    await step(hass, freezer, devices, 31)
    await step(hass, freezer, devices, 1)
    assert limits(device, other_device) == [22, 6]
