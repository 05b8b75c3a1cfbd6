"""Priority tiers and the boost action, on the simulated EVCE hub's two zones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import restore_state as rs
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_load_restore_state_from_storage,
)

from custom_components.evse_bridge.const import DOMAIN
from simulator.schneider_evce import EvceDevice

from ..common import find_device
from .test_evce_zones import (
    GRID,
    ZONE_MINIMUM_A,
    setup_budget,
    step,
    zone_device_ids,
    zone_limits,
)

#: All of the limit but the other zone's minimum.
ALL_BUT_MINIMUM = 100 - ZONE_MINIMUM_A


@pytest.fixture(autouse=True)
def no_other_load(hass: HomeAssistant) -> None:
    hass.states.async_set(GRID, "0", {"unit_of_measurement": "W"})


async def boost(
    hass: HomeAssistant, device_id: str, minutes: int, context: Context | None = None
) -> None:
    await hass.services.async_call(
        DOMAIN,
        "boost",
        {"device_id": device_id, "duration": minutes},
        blocking=True,
        context=context,
    )
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_the_high_tier_is_served_first(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    """Priority strategy, Parking A high: it gets all but Parking B's minimum."""
    zone_a, zone_b = zone_device_ids(hass, loaded_entry)
    await setup_budget(hass, loaded_entry, strategy="priority", priority_high=[zone_a])
    assert zone_limits(hub) == [ALL_BUT_MINIMUM, ZONE_MINIMUM_A]


async def test_the_low_tier_is_served_last(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice
) -> None:
    zone_a, zone_b = zone_device_ids(hass, loaded_entry)
    await setup_budget(hass, loaded_entry, strategy="priority", priority_low=[zone_a])
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ALL_BUT_MINIMUM]


async def test_a_boost_serves_one_zone_first_for_its_time(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Parking B boosted for an hour: A drops at once, B ramps; both equal again after."""
    # Parking A's stations ignore the zone's set-point.
    hub.zones[7].follows = False
    zone_a, zone_b = zone_device_ids(hass, loaded_entry)
    await setup_budget(hass, loaded_entry)
    assert zone_limits(hub) == [50.0, 50.0]

    started = dt_util.utcnow()
    await boost(hass, zone_b, 60)
    # The decrease is written at once, the increase after the increase delay (30 s).
    assert zone_limits(hub) == [ZONE_MINIMUM_A, 50.0]
    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert allocated.attributes["boosted_until"] == {"Parking B": started + timedelta(hours=1)}
    await step(hass, freezer, 31)
    await step(hass, freezer, 1)
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ALL_BUT_MINIMUM]
    # Zone A goes on drawing more than its minimum: reported, and taken from B.
    await step(hass, freezer, 60)
    degraded = hass.states.get("binary_sensor.site_budget_degraded")
    assert degraded.attributes["not_following"] == ["Parking A"]
    assert zone_limits(hub)[1] < ALL_BUT_MINIMUM

    # The hour is over: B drops at once, A ramps back.
    await step(hass, freezer, 3600 - 92)
    assert zone_limits(hub) == [ZONE_MINIMUM_A, 50.0]
    assert hass.states.get("sensor.site_allocated_in_total").attributes["boosted_until"] == {}
    await step(hass, freezer, 31)
    await step(hass, freezer, 1)
    assert zone_limits(hub) == [50.0, 50.0]
    # A's share covers what it draws again: it follows.
    assert hass.states.get("binary_sensor.site_budget_degraded").state == "off"


async def test_a_boost_of_zero_minutes_ends_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    zone_a, zone_b = zone_device_ids(hass, loaded_entry)
    await setup_budget(hass, loaded_entry)
    await boost(hass, zone_a, 120)
    assert zone_limits(hub) == [50.0, ZONE_MINIMUM_A]
    await boost(hass, zone_a, 0)
    # A drops back at once; B ramps up after the increase delay.
    assert zone_limits(hub) == [50.0, ZONE_MINIMUM_A]
    await step(hass, freezer, 31)
    await step(hass, freezer, 1)
    assert zone_limits(hub) == [50.0, 50.0]
    assert hass.states.get("sensor.site_allocated_in_total").attributes["boosted_until"] == {}


async def test_only_managed_chargers_are_boosted(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A station of a managed zone is not managed itself: a translated error says so."""
    await setup_budget(hass, loaded_entry)
    site = loaded_entry.runtime_data.site
    station = next(
        device
        for key in loaded_entry.runtime_data.coordinator.data.devices
        if key.startswith("station")
        and (device := find_device(hass, site.registry_identifier(key)[1]))
    )
    with pytest.raises(ServiceValidationError) as caught:
        await boost(hass, station.id, 60)
    assert caught.value.translation_key == "budget_not_managed"
    assert caught.value.translation_placeholders == {"target": station.name}


async def test_a_user_who_may_not_control_the_charger_may_not_boost_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: EvceDevice, hass_read_only_user: User
) -> None:
    zone_a, _ = zone_device_ids(hass, loaded_entry)
    await setup_budget(hass, loaded_entry)
    with pytest.raises(Unauthorized):
        await boost(hass, zone_a, 60, Context(user_id=hass_read_only_user.id))
    assert zone_limits(hub) == [50.0, 50.0]


@pytest.mark.parametrize("minutes", [-1, 721])
async def test_a_boost_is_bounded(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, minutes: int
) -> None:
    zone_a, _ = zone_device_ids(hass, loaded_entry)
    await setup_budget(hass, loaded_entry)
    with pytest.raises(ServiceValidationError) as caught:
        await boost(hass, zone_a, minutes)
    assert str(caught.value) == "Boost a charger: Duration must be from 0 to 720"


async def restart(
    hass: HomeAssistant,
    budget: MockConfigEntry,
    loaded_entry: MockConfigEntry,
    storage: dict[str, Any],
    *,
    stored_boosts: object = None,
) -> None:
    """Both entries stop, the states are saved (the boosts replaced by ``stored_boosts``
    if given) and read again, both start."""
    for entry in (budget, loaded_entry):
        assert await hass.config_entries.async_unload(entry.entry_id)
    await rs.async_get(hass).async_dump_states()
    if stored_boosts is not None:
        for stored in storage[rs.STORAGE_KEY]["data"]:
            if stored["state"]["entity_id"] == "sensor.site_allocated_in_total":
                stored["extra_data"] = {"boosts": stored_boosts}
    await async_mock_load_restore_state_from_storage(hass)
    # The meter reports again before the budget starts (else its value is stale).
    hass.states.async_set(GRID, "0", {"unit_of_measurement": "W"})
    for entry in (loaded_entry, budget):
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_boost_survives_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Boosted for an hour, restarted 10 minutes later: boosted until the hour is over."""
    _, zone_b = zone_device_ids(hass, loaded_entry)
    budget = await setup_budget(hass, loaded_entry)
    started = dt_util.utcnow()
    await boost(hass, zone_b, 60)
    await step(hass, freezer, 31)
    await step(hass, freezer, 1)
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ALL_BUT_MINIMUM]

    freezer.tick(600)
    await restart(hass, budget, loaded_entry, hass_storage)

    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert allocated.attributes["boosted_until"] == {"Parking B": started + timedelta(hours=1)}
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ALL_BUT_MINIMUM]
    await step(hass, freezer, 3600 - 632)
    assert hass.states.get("sensor.site_allocated_in_total").attributes["boosted_until"] == {}
    assert zone_limits(hub) == [ZONE_MINIMUM_A, 50.0]


async def test_a_boost_that_ended_during_the_restart_is_not_restored(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    _, zone_b = zone_device_ids(hass, loaded_entry)
    budget = await setup_budget(hass, loaded_entry)
    await boost(hass, zone_b, 60)

    freezer.tick(3601)
    await restart(hass, budget, loaded_entry, hass_storage)

    assert hass.states.get("sensor.site_allocated_in_total").attributes["boosted_until"] == {}
    assert zone_limits(hub) == [50.0, 50.0]


@pytest.mark.parametrize(
    "stored_a",
    [-1, 721 * 60, "soon", True, None],
    ids=["ended", "beyond_the_longest_boost", "text", "boolean", "none"],
)
async def test_only_a_stored_boost_that_runs_on_is_restored(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
    stored_a: object,
) -> None:
    """Parking B's boost runs another 30 minutes; Parking A's stored one is not restored,
    nor is a boost of a charger the budget no longer manages."""
    zone_a, zone_b = zone_device_ids(hass, loaded_entry)
    budget = await setup_budget(hass, loaded_entry)
    now = dt_util.utcnow()
    until_b = now + timedelta(minutes=30)
    boosts = {
        zone_a: now.timestamp() + stored_a if type(stored_a) is int else stored_a,
        zone_b: until_b.timestamp(),
        "no_longer_managed": until_b.timestamp(),
    }
    await restart(hass, budget, loaded_entry, hass_storage, stored_boosts=boosts)

    allocated = hass.states.get("sensor.site_allocated_in_total")
    assert allocated.attributes["boosted_until"] == {"Parking B": until_b}
    assert zone_limits(hub) == [ZONE_MINIMUM_A, ALL_BUT_MINIMUM]


async def test_stored_boosts_that_make_no_sense_are_ignored(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loaded_entry: MockConfigEntry,
    hub: EvceDevice,
) -> None:
    budget = await setup_budget(hass, loaded_entry)
    await restart(hass, budget, loaded_entry, hass_storage, stored_boosts=["Parking B"])

    assert hass.states.get("sensor.site_allocated_in_total").attributes["boosted_until"] == {}
    assert zone_limits(hub) == [50.0, 50.0]
