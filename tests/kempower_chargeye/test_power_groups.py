"""ChargEye power groups (Load Balancing API) over HTTP against the simulated account.

Only the group list's ``tree`` and the PATCH are Kempower's; how a group lists its stations
and subgroups is not public, so every shape the simulator plays must read the same.
"""

from __future__ import annotations

from collections.abc import Callable
import json
import logging
import math

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api import EvseCommandRejectedError
from custom_components.evse_bridge.api.kempower_chargeye import (
    ChargEyeClient,
    GroupLimitation,
    parse_power_groups,
)
from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from custom_components.evse_bridge.vendors.kempower_chargeye.site import (
    POWER_GROUPS_ABSENT_REFRESH_S,
    POWER_GROUPS_REFRESH_S,
)
from simulator.clock import SimClock
from simulator.kempower_chargeye import (
    DEFAULT_REFRESH_TOKEN,
    GROUP_SHAPES,
    ChargEyeDevice,
)

from ..common import entity_state
from ..conftest import SimServer, StartSimulator
from .conftest import AC_PLUG, DC, EPOCH, account_entry, advance, commands, device_id, eid

GROUPS_PATH = "GET /api/loadBalancing/powerGroups"
DEPOT = "power_group_depot"
DC2 = "station_KEMDC-0002"


def with_groups(device: ChargEyeDevice) -> ChargEyeDevice:
    """The depot's two DC stations share 400 A of input current; a subgroup holds one."""
    device.add_power_group("depot", ["KEMDC-0001"], limit=400, name="Depot")
    device.add_power_group("bay2", ["KEMDC-0002"], limit=300, name="Bay 2", parent_id="depot")
    return device


@pytest.fixture
def device(clock: SimClock) -> ChargEyeDevice:
    """The account of the other tests, with power groups."""
    return with_groups(ChargEyeDevice(clock, epoch=EPOCH))


# -- the client ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", GROUP_SHAPES)
async def test_groups_read_alike_in_every_shape(
    make_client: Callable[..., ChargEyeClient], device: ChargEyeDevice, shape: str
) -> None:
    """Ids, unit, limit, stations and the subgroup's parent, however the answer writes them."""
    device.group_shape = shape
    groups = {group.group_id: group for group in await make_client().get_power_groups()}

    assert set(groups) == {"depot", "bay2"}
    depot, bay = groups["depot"], groups["bay2"]
    assert (depot.name, depot.limit, depot.limit_field) == ("Depot", 400.0, "maxCurrentA")
    assert depot.limitation is GroupLimitation.INPUT_CURRENT
    assert depot.station_ids == ("KEMDC-0001",)
    assert (bay.parent_id, bay.station_ids, bay.limit) == ("depot", ("KEMDC-0002",), 300.0)
    assert depot.site_fuse_a == 630.0


def test_a_group_without_limitation_type_takes_the_unit_of_its_limit_field() -> None:
    """An output-power limit in kW; values that are no finite limit are unknown."""
    groups = parse_power_groups(
        [
            {"groupId": "dc", "maxPowerKw": "250", "members": [{"chargerId": "S1"}, "S2"]},
            {"id": 7, "limitationType": "InputCurrent", "maxCurrentA": "NaN"},
            {"groupId": "big", "limitationType": "OutputPower", "maxPowerKw": 1e9},
            {"groupId": "odd", "limitationType": "Weird", "maxCurrentA": 10},
            "not a group",
        ]
    )
    dc, seven, big, odd = groups
    assert (dc.limitation, dc.limit, dc.station_ids) == (
        GroupLimitation.OUTPUT_POWER,
        250.0,
        ("S1", "S2"),
    )
    assert (seven.group_id, seven.limit) == ("7", None)
    assert big.limit is None
    # A limitation nobody listed: the limit's field tells the unit.
    assert (odd.limitation, odd.limit) == (GroupLimitation.INPUT_CURRENT, 10.0)


def test_an_answer_without_a_group_list_is_an_error() -> None:
    """Neither a tree nor a list: the caller reads it as no groups for now."""
    with pytest.raises(Exception, match="power group list missing"):
        parse_power_groups({"message": "maintenance"})


async def test_a_group_limit_is_one_patch_in_the_groups_unit(
    make_client: Callable[..., ChargEyeClient], sim: SimServer, device: ChargEyeDevice
) -> None:
    """The partial body names only the limit; the id is one path segment.

    The simulator's route takes one segment: an id with ``/`` reaches it only quoted.
    """
    device.add_power_group("hall/1 #a", ["KEMDC-0001"], limitation="OutputPower", limit=200)
    client = make_client()
    groups = {group.group_id: group for group in await client.get_power_groups()}

    await client.set_power_group_limit(groups["depot"], 480)
    await client.set_power_group_limit(groups["hall/1 #a"], 150.5)

    patches = [c for c in commands(sim) if c["operation"] == "power_group"]
    assert [(c["method"], c["path"], c["body"]) for c in patches] == [
        ("PATCH", "/loadBalancing/powerGroup/depot", {"group": {"maxCurrentA": 480}}),
        ("PATCH", "/loadBalancing/powerGroup/hall/1 #a", {"group": {"maxPowerKw": 150.5}}),
    ]
    assert device.power_groups["depot"].limit == 480
    assert device.power_groups["hall/1 #a"].limit == 150.5


async def test_a_refused_or_impossible_group_limit_is_an_error(
    make_client: Callable[..., ChargEyeClient], sim: SimServer, device: ChargEyeDevice
) -> None:
    """``{"success": false}`` is a refusal; a limit that is no finite value is never sent."""
    client = make_client()
    (depot, *_) = await client.get_power_groups()
    device.rejected = {"power_group"}
    with pytest.raises(EvseCommandRejectedError, match="simulated refusal"):
        await client.set_power_group_limit(depot, 100)
    sent = len(commands(sim))
    for value in (math.nan, math.inf, -1.0, 1e6):
        with pytest.raises(ValueError, match="power group limit"):
            await client.set_power_group_limit(depot, value)
    assert len(commands(sim)) == sent
    assert device.power_groups["depot"].limit == 400


@pytest.mark.parametrize("answer", ["none", "forbidden", "garbage", "http_500", "timeout"])
async def test_a_failing_group_list_is_no_groups_logged_once(
    session: aiohttp.ClientSession,
    sim: SimServer,
    device: ChargEyeDevice,
    clock: SimClock,
    caplog: pytest.LogCaptureFixture,
    answer: str,
) -> None:
    """404, 403, a server error, garbage or no answer: None, one log line, then back."""
    client = ChargEyeClient(
        session,
        DEFAULT_REFRESH_TOKEN,
        base_url=f"{sim.url}/api",
        timeout_s=0.2,
        monotonic=clock.now,
    )
    if answer.startswith(("http_", "timeout")):
        device.faults.paths = {"/api/loadBalancing/powerGroups": answer}
    else:
        device.groups_answer = answer
    caplog.set_level(logging.INFO)

    assert await client.optional_power_groups() is None
    assert await client.optional_power_groups() is None
    assert client.power_groups_unavailable is not None
    assert caplog.text.count("ChargEye gives no power groups for now") == 1
    # The stations are read as before.
    assert len(await client.get_stations()) == 3

    device.faults.paths = {}
    device.groups_answer = "normal"
    groups = await client.optional_power_groups()
    assert groups is not None
    assert {group.group_id for group in groups} == {"depot", "bay2"}
    assert client.power_groups_unavailable is None
    assert caplog.text.count("ChargEye gives the power groups again") == 1


# -- the simulator ---------------------------------------------------------------------


def test_the_simulator_shares_a_group_limit_by_demand(device: ChargEyeDevice) -> None:
    """Charging connectors of the group's stations draw no more than its limit together."""
    device.power_groups.pop("bay2")
    device.power_groups["depot"].station_ids = ["KEMDC-0001", "KEMDC-0002"]
    device.clock.advance(600)
    free = sum(device.render_station(device.stations[s])["currentPowerKw"] for s in _DEPOT)
    device.power_groups["depot"].limit = 100  # 100 A of input: 69 kW
    limited = [device.render_station(device.stations[s])["currentPowerKw"] for s in _DEPOT]
    assert free > 69
    assert sum(limited) <= 69
    assert all(power > 0 for power in limited)


_DEPOT = ("KEMDC-0001", "KEMDC-0002")


# -- Home Assistant --------------------------------------------------------------------


async def test_a_power_group_is_a_device_with_its_limit(
    hass: HomeAssistant, loaded: MockConfigEntry, device: ChargEyeDevice
) -> None:
    """A device per group below the account: its limit in A, what it draws, its stations."""
    limit = entity_state(hass, "number", f"{loaded.unique_id}_{DEPOT}_group_limit")
    assert (limit.state, limit.attributes["unit_of_measurement"]) == ("400.0", "A")
    assert limit.attributes["max"] == pytest.approx(2 * round(300_000 / (math.sqrt(3) * 400), 1))
    stations = entity_state(hass, "sensor", f"{loaded.unique_id}_{DEPOT}_stations")
    assert stations.state == "1"
    assert stations.attributes["stations"] == ["KEMDC-0001"]
    power = entity_state(hass, "sensor", f"{loaded.unique_id}_{DEPOT}_power")
    devices = loaded.runtime_data.coordinator.data.devices
    drawn = sum(devices[key].data.station.current_power_kw for key in (DC, DC2))
    # The depot's limit binds its subgroup's station too.
    assert float(power.state) == pytest.approx(drawn, abs=0.1)
    assert hass.states.get(eid(hass, "number", "power_group_bay2", "group_limit")).state == "300.0"


async def test_the_group_limit_number_writes_the_patch(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer, device: ChargEyeDevice
) -> None:
    """Setting the number is one PATCH; the number shows the limit written."""
    entity = eid(hass, "number", DEPOT, "group_limit")
    await hass.services.async_call(
        "number", "set_value", {"entity_id": entity, "value": 350}, blocking=True
    )
    await hass.async_block_till_done()
    patches = [c for c in commands(sim) if c["operation"] == "power_group"]
    assert [(c["path"], c["body"]) for c in patches] == [
        ("/loadBalancing/powerGroup/depot", {"group": {"maxCurrentA": 350.0}})
    ]
    assert device.power_groups["depot"].limit == 350
    assert hass.states.get(entity).state == "350.0"


async def test_an_output_power_group_is_limited_in_kilowatts(
    hass: HomeAssistant,
    clock: SimClock,
    start_simulator: StartSimulator,
    frozen: FrozenDateTimeFactory,
) -> None:
    """No ``limitationType`` in the answer, ``maxPowerKw`` given: a number in kW."""
    device = ChargEyeDevice(clock, epoch=EPOCH, group_shape="list")
    device.add_power_group("dc", ["KEMDC-0001", "KEMDC-0002"], limitation="OutputPower", limit=250)
    sim = await start_simulator(device)
    entry = account_entry(sim)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    entity = eid(hass, "number", "power_group_dc", "group_limit")
    state = hass.states.get(entity)
    assert (state.state, state.attributes["unit_of_measurement"]) == ("250.0", "kW")
    await hass.services.async_call(
        "number", "set_value", {"entity_id": entity, "value": 120}, blocking=True
    )
    assert [c["body"] for c in commands(sim) if c["operation"] == "power_group"] == [
        {"group": {"maxPowerKw": 120.0}}
    ]


@pytest.mark.parametrize("answer", ["none", "forbidden", "garbage", "http_503"])
async def test_a_failing_group_list_leaves_set_up_and_polls_working(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sim: SimServer,
    device: ChargEyeDevice,
    clock: SimClock,
    frozen: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    answer: str,
) -> None:
    """The stations load and poll as before; the groups come once the list is back."""
    if answer.startswith("http_"):
        device.faults.paths = {"/api/loadBalancing/powerGroups": answer}
    else:
        device.groups_answer = answer
    caplog.set_level(logging.INFO)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(eid(hass, "number", DC, "power_limit")) is not None
    assert DEPOT not in entry.runtime_data.coordinator.data.devices
    stations_read = sim.requests("GET /api/stations")
    await advance(hass, frozen, clock, POWER_GROUPS_REFRESH_S)
    assert sim.requests("GET /api/stations") > stations_read
    assert entry.runtime_data.coordinator.last_update_success
    assert caplog.text.count("ChargEye gives no power groups for now") == 1

    # Asked again after 5 minutes; an account without the API (404) only after an hour.
    absent = answer == "none"
    assert sim.requests(GROUPS_PATH) == (1 if absent else 2)

    device.faults.paths = {}
    device.groups_answer = "normal"
    await advance(
        hass,
        frozen,
        clock,
        POWER_GROUPS_ABSENT_REFRESH_S - POWER_GROUPS_REFRESH_S
        if absent
        else POWER_GROUPS_REFRESH_S,
    )
    assert DEPOT in entry.runtime_data.coordinator.data.devices
    assert hass.states.get(eid(hass, "number", DEPOT, "group_limit")).state == "400.0"


async def test_the_groups_are_read_far_less_often_than_the_stations(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    clock: SimClock,
    frozen: FrozenDateTimeFactory,
) -> None:
    """One group read per refresh period, however many polls run in it."""
    assert sim.requests(GROUPS_PATH) == 1
    for _ in range(4):
        await advance(hass, frozen, clock, 60)
    assert sim.requests(GROUPS_PATH) == 1
    await advance(hass, frozen, clock, 60)
    assert sim.requests(GROUPS_PATH) == 2


async def test_diagnostics_show_the_groups(hass: HomeAssistant, loaded: MockConfigEntry) -> None:
    """The group list's fields and the parsed group are on the allow-list."""
    diagnostics = json.loads(
        json.dumps(await async_get_config_entry_diagnostics(hass, loaded), default=str)
    )
    raw = diagnostics["raw_payloads"]["power_groups"]["tree"]["depot"]
    assert raw["limitationType"] == "InputCurrent"
    assert raw["maxCurrentA"] == 400
    # Members written as text may be anything: the key and shape stay, the parsed ids show.
    assert raw["chargers"] == ["**REDACTED**"]
    assert raw["subGroups"]["bay2"]["maxCurrentA"] == 300
    assert raw["defaultOfflinePowerKw"] == 10
    parsed = diagnostics["devices"][DEPOT]["data"]
    assert parsed["group"]["limit"] == 400
    assert parsed["group"]["station_ids"] == ["KEMDC-0001"]
    assert parsed["limit"] == 400
    assert diagnostics["raw_payloads"]["readings"]["power_groups_unavailable"] is None


async def test_stop_transaction_on_a_group_stops_only_its_stations_sessions(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    """A group as the target bounds the transaction to its stations' connectors."""
    devices = loaded.runtime_data.coordinator.data.devices
    bay_id = devices["connector_KEMDC-0002_connector1"].data.connector.latest_transaction
    ac_id = devices[AC_PLUG].data.connector.latest_transaction
    assert bay_id is not None
    assert ac_id is not None
    target = {"device_id": device_id(hass, "power_group_bay2")}
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "stop_transaction",
            {**target, "transaction_id": ac_id.transaction_id},
            blocking=True,
        )
    assert refused.value.translation_key == "chargeye_unknown_transaction"
    assert not [c for c in commands(sim) if c["operation"] == "stop"]
    await hass.services.async_call(
        DOMAIN,
        "stop_transaction",
        {**target, "transaction_id": bay_id.transaction_id},
        blocking=True,
    )
    assert [c["path"] for c in commands(sim) if c["operation"] == "stop"] == [
        f"/transactions/{bay_id.transaction_id}/stop"
    ]
