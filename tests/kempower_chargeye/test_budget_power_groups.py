"""A site power budget over ChargEye stations that share a power group: one group limit.

The depot's two DC stations are in one group of 400 A input current; the budget's site
limit is in kW, the group's in A (230 V a phase, three phases: 690 W an ampere).
"""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.clock import SimClock
from simulator.kempower_chargeye import ChargEyeDevice

from ..common import GRID, add_site_budget
from ..conftest import SimServer
from .conftest import DC, EPOCH, advance, commands, device_id

DC2 = "station_KEMDC-0002"
DC2_PLUG = "connector_KEMDC-0002_connector1"
GROUP = "power_group_depot"
#: What the budget sees besides the managed stations (W).
OTHER_LOAD = 20000.0


@pytest.fixture
def device(clock: SimClock) -> ChargEyeDevice:
    """The account of the other tests; its DC stations share the power group "Depot"."""
    device = ChargEyeDevice(clock, epoch=EPOCH)
    device.add_power_group("depot", ["KEMDC-0001", "KEMDC-0002"], limit=400, name="Depot")
    return device


def report_grid(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The meter reads what the depot draws, as last polled, plus the other load."""
    devices = entry.runtime_data.coordinator.data.devices
    drawn = sum((devices[key].data.station.current_power_kw or 0) * 1000 for key in (DC, DC2))
    hass.states.async_set(GRID, str(drawn + OTHER_LOAD), {"unit_of_measurement": "W"})


async def setup_budget(
    hass: HomeAssistant, entry: MockConfigEntry, managed: tuple[str, ...], **config: Any
) -> MockConfigEntry:
    report_grid(hass, entry)
    return await add_site_budget(hass, [device_id(hass, key) for key in managed], **config)


def group_writes(sim: SimServer) -> list[float]:
    """The group limits the account received, in order (A)."""
    return [
        command["body"]["group"]["maxCurrentA"]
        for command in commands(sim)
        if command["operation"] == "power_group"
    ]


def station_writes(sim: SimServer) -> list[str]:
    return [c["path"] for c in commands(sim) if c["path"].endswith("/powerLimit")]


async def set_site_limit(hass: HomeAssistant, entry: MockConfigEntry, value: float) -> None:
    report_grid(hass, entry)
    await hass.services.async_call(
        "number", "set_value", {"entity_id": "number.site_limit", "value": value}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def later(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    clock: SimClock,
    seconds: float,
) -> None:
    """Time passes on both clocks, the meter reporting every 10 s (it never goes stale)."""
    while seconds > 0:
        report_grid(hass, entry)
        await advance(hass, freezer, clock, min(10, seconds))
        seconds -= 10


@pytest.mark.parametrize(
    "managed",
    [(DC, DC2), (DC, DC2_PLUG), (GROUP,), (GROUP, DC)],
    ids=["both stations", "a station and a connector", "the group", "the group and a station"],
)
async def test_the_budget_writes_the_group_limit_once(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    device: ChargEyeDevice,
    managed: tuple[str, ...],
) -> None:
    """80 kW of headroom for the group: one PATCH of 115 A, no station limit at all."""
    await setup_budget(hass, loaded, managed)

    assert group_writes(sim) == [115.0]
    assert device.power_groups["depot"].limit == 115
    assert station_writes(sim) == []
    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert allocated.attributes["allocations"] == {"Depot": 80000}
    assert hass.states.get("sensor.site_limit_writes_in_the_last_hour").state == "1"


async def test_a_group_only_partly_managed_keeps_its_limit(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, device: ChargEyeDevice
) -> None:
    """One of the group's two stations managed: that station's limit, the group untouched."""
    await setup_budget(hass, loaded, (DC,))

    assert group_writes(sim) == []
    assert device.power_groups["depot"].limit == 400
    assert station_writes(sim) == ["/chargingStations/KEMDC-0001/powerLimit"]


async def test_a_lower_group_limit_is_written_at_once_a_higher_one_ramps(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    clock: SimClock,
    frozen: FrozenDateTimeFactory,
) -> None:
    """Lowering bypasses the write interval; raising waits for the increase delay."""
    await setup_budget(hass, loaded, (DC, DC2))
    assert group_writes(sim) == [115.0]

    # Within the same second as the first write: coalescing would have deferred it.
    await set_site_limit(hass, loaded, 60)
    assert group_writes(sim) == [115.0, 57.0]

    await set_site_limit(hass, loaded, 100)
    assert group_writes(sim) == [115.0, 57.0]
    await later(hass, loaded, frozen, clock, 10)
    assert group_writes(sim) == [115.0, 57.0]
    await later(hass, loaded, frozen, clock, 30)
    assert group_writes(sim) == [115.0, 57.0, 115.0]


async def test_the_write_budget_holds_for_a_group(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    clock: SimClock,
    frozen: FrozenDateTimeFactory,
) -> None:
    """With one increase an hour, a second is not written; a decrease is."""
    await setup_budget(hass, loaded, (DC, DC2), write_budget=1, limit=40)
    assert group_writes(sim) == [28.0]
    for limit in (60, 80):
        await set_site_limit(hass, loaded, limit)
        await later(hass, loaded, frozen, clock, 31)
    # The first write, then one increase (to 40 kW): the budget of 1 is spent.
    assert group_writes(sim) == [28.0, 57.0]
    await set_site_limit(hass, loaded, 30)
    assert group_writes(sim) == [28.0, 57.0, 14.0]
    assert hass.states.get("sensor.site_limit_writes_in_the_last_hour").state == "3"
