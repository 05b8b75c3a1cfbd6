"""The site at a glance on an EVCE hub: summary sensors, Problem sensors, repair issues."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.alerts import CONF_ALERT_DELAY
from custom_components.evse_bridge.const import DOMAIN
from simulator.schneider_evce import SERIAL

from ..common import entity_state
from .conftest import ScriptedEvceDevice, refresh

STATUSES = ("available", "occupied", "charging", "faulted", "offline", "unavailable")


def summary(hass: HomeAssistant) -> dict[str, str]:
    """The hub's "Charge points ..." counts, by state."""
    return {
        status: entity_state(hass, "sensor", f"{SERIAL}_hub_charge_points_{status}").state
        for status in STATUSES
    }


def problem(hass: HomeAssistant, key: str) -> tuple[str, str | None]:
    """A device's Problem sensor: its state and the neutral status it shows."""
    state = entity_state(hass, "binary_sensor", f"{SERIAL}_{key}_charge_point_problem")
    return state.state, state.attributes.get("status")


def issue_ids(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    return {
        issue_id
        for domain, issue_id in ir.async_get(hass).issues
        if domain == DOMAIN and issue_id.startswith(f"charge_point_{entry.entry_id}_")
    }


async def test_hub_sums_up_its_connectors(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    # The simulated hub's three stations charge on all four connectors.
    assert summary(hass) == dict.fromkeys(STATUSES, "0") | {"charging": "4"}
    power = entity_state(hass, "sensor", f"{SERIAL}_hub_site_power")
    assert (power.state, power.attributes["unit_of_measurement"]) == ("30.5", "kW")
    assert power.attributes["friendly_name"] == "EVCE Total charging power"
    assert (
        entity_state(hass, "sensor", f"{SERIAL}_hub_energy_today").attributes["unit_of_measurement"]
        == "kWh"
    )
    assert (
        entity_state(hass, "sensor", f"{SERIAL}_hub_charge_points_faulted").attributes[
            "friendly_name"
        ]
        == "EVCE Charge points faulted"
    )
    assert problem(hass, "station_102") == ("off", "charging")
    assert problem(hass, "station_102_connector_2") == ("off", "charging")


async def test_offline_station_raises_one_issue_after_the_delay(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    hub.control("station_online", {"id": 101, "online": False})
    await refresh(hass, loaded_entry)
    assert problem(hass, "station_101") == ("on", "offline")
    assert problem(hass, "station_101_connector_1") == ("on", "offline")
    assert summary(hass)["offline"] == "1"
    assert summary(hass)["charging"] == "3"
    assert entity_state(hass, "sensor", f"{SERIAL}_hub_site_power").state != "30.5"

    freezer.tick(timedelta(minutes=14))
    await refresh(hass, loaded_entry)
    assert issue_ids(hass, loaded_entry) == set()

    freezer.tick(timedelta(minutes=2))
    await refresh(hass, loaded_entry)
    # The station, not its connector too.
    issue_id = f"charge_point_{loaded_entry.entry_id}_station_101"
    assert issue_ids(hass, loaded_entry) == {issue_id}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "charge_point_offline"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["name"] == "Bay 1"
    assert issue.translation_placeholders["entry"] == "EVCE"

    hub.control("station_online", {"id": 101, "online": True})
    await refresh(hass, loaded_entry)
    assert issue_ids(hass, loaded_entry) == set()
    assert problem(hass, "station_101") == ("off", "charging")


async def test_faulted_connector_with_a_shorter_delay_and_entry_removal(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    hass.config_entries.async_update_entry(loaded_entry, options={CONF_ALERT_DELAY: 5})
    await hass.async_block_till_done()
    hub.control("connector_fault", {"id": 102, "connector": 2})
    await refresh(hass, loaded_entry)
    assert problem(hass, "station_102_connector_2") == ("on", "faulted")
    assert summary(hass)["faulted"] == "1"

    freezer.tick(timedelta(minutes=6))
    await refresh(hass, loaded_entry)
    issue_id = f"charge_point_{loaded_entry.entry_id}_station_102_connector_2"
    assert issue_ids(hass, loaded_entry) == {issue_id}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "charge_point_faulted"

    assert await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_ids(hass, loaded_entry) == set()


async def test_hub_that_stops_answering_counts_its_stations_offline(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: ScriptedEvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    hub.scripted["GET /api/v2/stations/statuses"] = (500, {"error": "down"})
    await refresh(hass, loaded_entry)
    freezer.tick(timedelta(minutes=16))
    await refresh(hass, loaded_entry)
    # The connectors' stations are offline too: one issue a station.
    assert issue_ids(hass, loaded_entry) == {
        f"charge_point_{loaded_entry.entry_id}_station_{station}" for station in (101, 102, 103)
    }
    del hub.scripted["GET /api/v2/stations/statuses"]
    await refresh(hass, loaded_entry)
    assert issue_ids(hass, loaded_entry) == set()


async def test_offline_station_shows_offline_and_its_controls_unavailable(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    controls = (
        ("switch", "station_101_availability"),
        ("button", "station_101_restart"),
    )
    hub.stations[101].online = False
    await refresh(hass, loaded_entry)
    status = entity_state(hass, "sensor", f"{SERIAL}_station_101_status")
    assert status.state == "offline"
    assert "offline" in status.attributes["options"]
    assert entity_state(hass, "sensor", f"{SERIAL}_station_101_connector_1_status").state == (
        "offline"
    )
    for platform, key in controls:
        assert entity_state(hass, platform, f"{SERIAL}_{key}").state == "unavailable"
    # The other stations go on as before.
    assert entity_state(hass, "sensor", f"{SERIAL}_station_102_status").state == "charging"
    assert entity_state(hass, "switch", f"{SERIAL}_station_102_availability").state == "on"

    hub.stations[101].online = True
    await refresh(hass, loaded_entry)
    assert entity_state(hass, "sensor", f"{SERIAL}_station_101_status").state == "charging"
    for platform, key in controls:
        assert entity_state(hass, platform, f"{SERIAL}_{key}").state != "unavailable"
