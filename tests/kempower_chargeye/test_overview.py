"""The site at a glance on a ChargEye account: the account device, Problem sensors, alerts."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from simulator.clock import SimClock
from simulator.kempower_chargeye import DEFAULT_ORGANIZATION

from ..common import entity_state, get_device
from ..conftest import SimServer
from .conftest import AC, AC_PLUG, DC, DC_PLUG, advance


def uid(key: str) -> str:
    return f"{DEFAULT_ORGANIZATION}_{key}"


async def test_account_sums_up_its_connectors(
    hass: HomeAssistant, loaded: MockConfigEntry, sim: SimServer
) -> None:
    account = get_device(hass, uid("account"))
    assert account.name == "Kempower ChargEye"
    assert account.model == "ChargEye account"
    assert get_device(hass, uid(DC)).via_device_id == account.id
    stations = sim.device.describe()["stations"]
    connectors = [connector for station in stations for connector in station["connectors"]]
    charging = [item for item in connectors if str(item["status"]).lower() == "charging"]
    assert charging
    state = entity_state(hass, "sensor", uid("account_charge_points_charging"))
    assert state.state == str(len(charging))
    assert state.attributes["friendly_name"] == "Kempower ChargEye Charge points charging"
    power = entity_state(hass, "sensor", uid("account_site_power"))
    assert power.attributes["unit_of_measurement"] == "kW"
    assert float(power.state) > 0
    assert entity_state(hass, "binary_sensor", uid(f"{DC_PLUG}_charge_point_problem")).state == (
        "off"
    )


async def test_faulted_station_raises_issues_for_its_connectors(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sim: SimServer,
    clock: SimClock,
    frozen: FrozenDateTimeFactory,
) -> None:
    sim.device.control("set_station", {"station_id": "KEMAC-0001", "status": "Faulted"})
    await advance(hass, frozen, clock, 60)
    station = entity_state(hass, "binary_sensor", uid(f"{AC}_charge_point_problem"))
    assert (station.state, station.attributes["status"]) == ("on", "faulted")
    plug = entity_state(hass, "binary_sensor", uid(f"{AC_PLUG}_charge_point_problem"))
    assert (plug.state, plug.attributes["status"]) == ("on", "faulted")
    assert entity_state(hass, "sensor", uid("account_charge_points_faulted")).state != "0"

    for _ in range(16):
        await advance(hass, frozen, clock, 60)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"charge_point_{loaded.entry_id}_{AC_PLUG}")
    assert issue is not None
    assert issue.translation_key == "charge_point_faulted"
    # The fault is told by the connector, not again by its station.
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"charge_point_{loaded.entry_id}_{AC}") is None
    )

    sim.device.control("set_station", {"station_id": "KEMAC-0001", "status": "Operative"})
    await advance(hass, frozen, clock, 60)
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"charge_point_{loaded.entry_id}_{AC_PLUG}")
        is None
    )
