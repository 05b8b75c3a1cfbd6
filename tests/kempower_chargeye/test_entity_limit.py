"""An entry stays within the enabled entities Home Assistant adds for one, and says so.

Newer releases add no more of an entry's enabled entities once it has 10 000 (only a log
line asks to report it): a ChargEye account of about 400 DC stations or more would miss
whole platforms. The integration adds the least needed entities disabled instead and
raises a repair issue. The limit is patched small here, so a small account is over it on
every release.
"""

from __future__ import annotations

from collections import Counter
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge import entity_limit
from custom_components.evse_bridge.const import DOMAIN
from simulator.clock import SimClock
from simulator.kempower_chargeye import ChargEyeDevice

from .conftest import advance

#: The simulated account's 3 stations and 6 connectors.
PROBLEM_SENSORS = 9
#: The account's counts by status and total power (Energy today is an energy sensor).
SUMMARY_SENSORS = 7
#: A connector's session event.
SESSION_EVENTS = 6
#: The account's entities enabled by default.
WANTED = 84
#: A DC station's entities enabled by default, its two connectors' included.
DC_STATION_WANTED = 26


def _entries(hass: HomeAssistant, entry: MockConfigEntry) -> list[er.RegistryEntry]:
    return er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)


def _enabled(hass: HomeAssistant, entry: MockConfigEntry) -> list[er.RegistryEntry]:
    return [item for item in _entries(hass, entry) if item.disabled_by is None]


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"too_many_entities_{entry.entry_id}")


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry, limit: int | None) -> None:
    with patch.object(entity_limit, "ENABLED_ENTITIES_PER_ENTRY", limit):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


async def test_an_entry_over_the_limit_adds_the_least_needed_disabled(
    hass: HomeAssistant, entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """The alerts, the overview and the sessions keep their place; the rest is added disabled."""
    entry.add_to_hass(hass)
    limit = PROBLEM_SENSORS + SUMMARY_SENSORS + SESSION_EVENTS
    await _set_up(hass, entry, limit)
    added_disabled_ids = entry.runtime_data.coordinator.added_disabled
    wanted = limit + len(added_disabled_ids)
    assert wanted == WANTED

    enabled = _enabled(hass, entry)
    assert len(enabled) == limit
    assert Counter(item.domain for item in enabled) == {
        "binary_sensor": PROBLEM_SENSORS,
        "sensor": SUMMARY_SENSORS,
        "event": SESSION_EVENTS,
    }
    assert all(
        item.unique_id.endswith("_problem") for item in enabled if item.domain == "binary_sensor"
    )
    added_disabled = [
        item for item in _entries(hass, entry) if item.unique_id in added_disabled_ids
    ]
    assert len(added_disabled) == len(added_disabled_ids)
    assert all(item.disabled_by is er.RegistryEntryDisabler.INTEGRATION for item in added_disabled)
    assert {item.domain for item in added_disabled} >= {"switch", "number", "button", "sensor"}
    # Disabled entities have no state; the enabled ones do.
    assert all(hass.states.get(item.entity_id) is None for item in added_disabled)
    assert all(hass.states.get(item.entity_id) is not None for item in enabled)

    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.translation_key == "too_many_entities"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "name": "Kempower ChargEye",
        "entities": str(wanted),
        "limit": str(limit),
        "missing": str(wanted - limit),
    }
    assert f"Kempower ChargEye would have {wanted} enabled entities, more than the {limit}" in (
        caplog.text
    )

    # A restart keeps the choice and the issue (the user has not enabled them yet) ...
    await hass.config_entries.async_unload(entry.entry_id)
    await _set_up(hass, entry, wanted)
    assert len(_enabled(hass, entry)) == limit
    assert _issue(hass, entry) is not None

    # ... until the user has enabled, or disabled on purpose, what was added disabled.
    registry = er.async_get(hass)
    half = len(added_disabled) // 2
    for item in added_disabled[:half]:
        registry.async_update_entity(item.entity_id, disabled_by=None)
    for item in added_disabled[half:]:
        registry.async_update_entity(item.entity_id, disabled_by=er.RegistryEntryDisabler.USER)
    await hass.config_entries.async_unload(entry.entry_id)
    await _set_up(hass, entry, wanted)
    assert len(_enabled(hass, entry)) == limit + half
    assert _issue(hass, entry) is None


async def test_entities_home_assistant_did_not_add_are_counted(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    """An enabled-by-default entity missing from the registry is one Home Assistant refused."""
    registry = er.async_get(hass)
    enabled = len(_enabled(hass, loaded))
    for item in _enabled(hass, loaded)[:3]:
        registry.async_remove(item.entity_id)

    with patch.object(entity_limit, "ENABLED_ENTITIES_PER_ENTRY", enabled - 3):
        runtime = loaded.runtime_data
        entity_limit.async_check_entity_limit(
            hass,
            loaded.entry_id,
            loaded.title,
            runtime.site,
            runtime.vendor.descriptions,
            runtime.coordinator.data.devices,
        )
    issue = _issue(hass, loaded)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["entities"] == str(enabled)
    assert issue.translation_placeholders["missing"] == "3"


@pytest.mark.parametrize("limit", [None, 10_000])
async def test_an_entry_within_the_limit_disables_nothing(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: ChargEyeDevice,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
    limit: int | None,
) -> None:
    """No limit (the minimum release) or room for every entity: defaults as they are."""
    entry.add_to_hass(hass)
    await _set_up(hass, entry, limit)
    assert entry.runtime_data.coordinator.added_disabled == frozenset()
    assert _issue(hass, entry) is None
    assert len(_enabled(hass, entry)) == WANTED
    with patch.object(entity_limit, "ENABLED_ENTITIES_PER_ENTRY", limit):
        device.add_station("dc")
        await advance(hass, frozen, clock, 60)
        await advance(hass, frozen, clock, 60)
    assert len(_enabled(hass, entry)) == WANTED + DC_STATION_WANTED
    assert _issue(hass, entry) is None


async def test_a_stations_totals_keep_their_place_before_its_connectors_detail(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """Within power and energy, the descriptions of fewer devices first: every station's."""
    entry.add_to_hass(hass)
    # The first places, then Energy today and each station's energy delivered and power.
    await _set_up(hass, entry, PROBLEM_SENSORS + SUMMARY_SENSORS + SESSION_EVENTS + 1 + 3 + 3)
    sensors = {
        item.unique_id.split("_", 1)[1] for item in _enabled(hass, entry) if item.domain == "sensor"
    }
    stations = ("station_KEMDC-0001", "station_KEMDC-0002", "station_KEMAC-0001")
    assert {
        f"{station}_{key}" for station in stations for key in ("delivered_energy", "output_power")
    } <= sensors
    assert any(unique_id.endswith("energy_today") for unique_id in sensors)
    assert not [unique_id for unique_id in sensors if unique_id.startswith("connector_")]


async def test_a_station_added_at_the_limit_gets_its_entities_disabled(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device: ChargEyeDevice,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    """A station that appears on a later poll is registered, its entities disabled, and said."""
    entry.add_to_hass(hass)
    with patch.object(entity_limit, "ENABLED_ENTITIES_PER_ENTRY", WANTED):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert len(_enabled(hass, entry)) == WANTED
        assert _issue(hass, entry) is None
        station = device.add_station("dc")
        await advance(hass, frozen, clock, 60)
        new = [item for item in _entries(hass, entry) if station.station_id in item.unique_id]
        assert new
        assert all(item.disabled_by is er.RegistryEntryDisabler.INTEGRATION for item in new)
        assert len(_enabled(hass, entry)) == WANTED
        # The next poll finds them in the registry and tells the user, once.
        await advance(hass, frozen, clock, 60)
        issue = _issue(hass, entry)
        assert issue is not None
        assert issue.translation_placeholders is not None
        held_back = int(issue.translation_placeholders["missing"])
        assert held_back == DC_STATION_WANTED
        assert issue.translation_placeholders["entities"] == str(WANTED + held_back)
