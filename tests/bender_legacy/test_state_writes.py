"""A poll writes the state of exactly the entities whose state changed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from simulator.bender_legacy import LegacyDevice
from simulator.clock import SimClock

from .conftest import binary_state, sensor_state


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(timedelta(seconds=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
def writes(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> list[Event]:
    """Every state write of the entry's entities after setup: changed or only reported."""
    written: list[Event] = []
    registry = er.async_get(hass)
    ours = {
        item.entity_id
        for item in er.async_entries_for_config_entry(registry, loaded_entry.entry_id)
    }

    @callback
    def is_ours(data: Mapping[str, Any]) -> bool:
        return data["entity_id"] in ours

    @callback
    def collect(event: Event) -> None:
        written.append(event)

    hass.bus.async_listen(EVENT_STATE_CHANGED, collect, event_filter=is_ours)
    hass.bus.async_listen(EVENT_STATE_REPORTED, collect, event_filter=is_ours)
    return written


async def test_unchanged_poll_writes_nothing(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    writes: list[Event],
    freezer: FrozenDateTimeFactory,
) -> None:
    # The simulated clock stands still: every poll answers the same values.
    for _ in range(3):
        await _poll(hass, freezer)
    assert writes == []


async def test_changed_value_writes_exactly_that_entity(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: LegacyDevice,
    writes: list[Event],
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full_state = device.full_state
    monkeypatch.setattr(device, "full_state", lambda: full_state() | {"ambient_temp": "+31.25"})
    await _poll(hass, freezer)
    assert [event.event_type for event in writes] == [EVENT_STATE_CHANGED]
    assert writes[0].data["new_state"].state == "31.25"
    assert writes[0].data["old_state"].state != "31.25"

    await _poll(hass, freezer)
    assert len(writes) == 1


async def test_availability_change_is_written(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: LegacyDevice,
    writes: list[Event],
    freezer: FrozenDateTimeFactory,
) -> None:
    entities = len(er.async_entries_for_config_entry(er.async_get(hass), loaded_entry.entry_id))
    device.faults.update({"mode": "http_500"})
    await _poll(hass, freezer)
    unavailable = [e for e in writes if e.data["new_state"].state == STATE_UNAVAILABLE]
    enabled = len(hass.states.async_all())
    assert 0 < len(unavailable) == len(writes) <= entities
    assert len(unavailable) == enabled
    writes.clear()
    await _poll(hass, freezer)
    assert writes == []
    device.faults.update({"mode": "none"})
    await _poll(hass, freezer)
    assert len(writes) == enabled
    assert all(event.data["new_state"].state != STATE_UNAVAILABLE for event in writes)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_new_error_writes_the_error_sensor_and_the_problem(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: LegacyDevice,
    writes: list[Event],
    freezer: FrozenDateTimeFactory,
) -> None:
    device.errors = ["rcmb_error"]
    await _poll(hass, freezer)
    written = {event.data["entity_id"]: event.data["new_state"] for event in writes}
    assert {entity_id.split(".")[0] for entity_id in written} == {"sensor", "binary_sensor"}
    errors = written[sensor_state(hass, "errors").entity_id]
    assert (errors.state, errors.attributes["errors"]) == ("1", ["rcmb_error"])
    problem = written[binary_state(hass, "errors_problem").entity_id]
    assert (problem.state, problem.attributes["errors"]) == ("on", ["rcmb_error"])
    # The site overview follows: the charge point's Problem and the faulted count.
    overview = {
        "binary_sensor.4983900000000001_problem": "on",
        "sensor.4983900000000001_charge_points_faulted": "1",
    }
    assert {entity_id: written[entity_id].state for entity_id in overview} == overview
    assert len(writes) == 4

    device.errors = ["rcmb_error", "rcd_error"]
    writes.clear()
    await _poll(hass, freezer)
    # The problem stays on, its attributes changed: written too.
    assert sorted(event.data["new_state"].state for event in writes) == ["2", "on"]


async def test_a_unit_the_user_chose_is_kept_by_later_polls(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    clock: SimClock,
    writes: list[Event],
) -> None:
    coordinator = loaded_entry.runtime_data.coordinator
    meter = sensor_state(hass, "meter_wh")
    assert meter.attributes["unit_of_measurement"] == "kWh"
    er.async_get(hass).async_update_entity_options(
        meter.entity_id, "sensor", {"unit_of_measurement": "Wh"}
    )
    await hass.async_block_till_done()
    converted = hass.states.get(meter.entity_id)
    assert converted is not None
    assert converted.attributes["unit_of_measurement"] == "Wh"
    assert float(converted.state) == pytest.approx(float(meter.state) * 1000)
    writes.clear()

    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert writes == []

    clock.advance(15)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    after = hass.states.get(meter.entity_id)
    assert after is not None
    assert after.attributes["unit_of_measurement"] == "Wh"
    assert float(after.state) > float(converted.state)
    assert meter.entity_id in {event.data["entity_id"] for event in writes}
