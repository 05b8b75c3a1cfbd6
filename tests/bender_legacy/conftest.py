"""Fixtures for the Bender Legacy REST tests: a simulated controller and its entry."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, State
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.bender_legacy import SERIAL, LegacyDevice
from simulator.clock import SimClock

from ..common import entity_state
from ..conftest import SimServer, StartSimulator

TITLE = "+4983900000000001"  # the simulated controller's charge point id


def sensor_state(hass: HomeAssistant, key: str) -> State:
    """State of the controller's sensor ``key`` (its description key)."""
    return entity_state(hass, "sensor", f"{SERIAL}_controller_{key}")


def binary_state(hass: HomeAssistant, key: str) -> State:
    """State of the controller's binary sensor ``key``."""
    return entity_state(hass, "binary_sensor", f"{SERIAL}_controller_{key}")


# 200 s into the cycle the simulated car charges at full power.
CHARGING_AT = 200.0


@pytest.fixture
def clock() -> SimClock:
    """Simulated time that only moves when a test says so."""
    return SimClock(scale=0, start=CHARGING_AT)


@pytest.fixture
def device(clock: SimClock) -> LegacyDevice:
    """A CC613 with current firmware and an English UI."""
    return LegacyDevice(clock)


@pytest.fixture
async def sim(start_simulator: StartSimulator, device: LegacyDevice) -> SimServer:
    """The controller served on 127.0.0.1."""
    return await start_simulator(device)


@pytest.fixture
def entry(sim: SimServer) -> MockConfigEntry:
    """A config entry pointing at the simulated controller."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=SERIAL,
        data={CONF_VENDOR: "bender_legacy", "host": sim.host},
    )


@pytest.fixture
async def loaded_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
