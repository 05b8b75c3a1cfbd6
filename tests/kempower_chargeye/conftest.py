"""Fixtures for the ChargEye tests: a frozen clock, the simulated account and a client on it.

The Home Assistant tests add an entry on the account and drive both clocks together.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.evse_bridge.api.kempower_chargeye import ChargEyeClient
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.clock import SimClock
from simulator.kempower_chargeye import (
    DEFAULT_ORGANIZATION,
    DEFAULT_REFRESH_TOKEN,
    ChargEyeDevice,
)

from ..common import entity_id, get_device
from ..conftest import SimServer, StartSimulator

#: UTC time the simulated clock's zero maps to, shared by the simulator and the clients.
EPOCH = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> SimClock:
    """Simulated time that only moves when a test advances it."""
    return SimClock(scale=0)


@pytest.fixture
def device(clock: SimClock) -> ChargEyeDevice:
    """A ChargEye account with two DC stations and one AC station."""
    return ChargEyeDevice(clock, epoch=EPOCH)


@pytest.fixture
async def sim(start_simulator: StartSimulator, device: ChargEyeDevice) -> SimServer:
    """The account served over HTTP."""
    return await start_simulator(device)


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session for the clients."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def utc_of(clock: SimClock) -> Callable[[], datetime]:
    """The UTC clock matching the simulator's."""
    return lambda: EPOCH + timedelta(seconds=clock.now())


@pytest.fixture
def make_client(
    session: aiohttp.ClientSession, sim: SimServer, clock: SimClock
) -> Callable[..., ChargEyeClient]:
    """Build clients on the simulated account, driven by the simulated clock."""

    def _make(refresh_token: str = DEFAULT_REFRESH_TOKEN) -> ChargEyeClient:
        return ChargEyeClient(
            session,
            refresh_token,
            base_url=f"{sim.url}/api/",
            monotonic=clock.now,
            utcnow=utc_of(clock),
        )

    return _make


# -- Home Assistant ----------------------------------------------------------------------

#: 600 s in, the simulated account has DC and AC connectors charging.
START = 600.0
#: Device keys of the stations and connectors the tests look at.
DC = "station_KEMDC-0001"
DC_PLUG = "connector_KEMDC-0001_connector1"
AC = "station_KEMAC-0001"
AC_PLUG = "connector_KEMAC-0001_1"


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Home Assistant's clock at the simulator's UTC time ``START`` s in."""
    freezer.move_to(EPOCH + timedelta(seconds=START))
    return freezer


def account_entry(sim: SimServer) -> MockConfigEntry:
    """An entry (not yet added) on the account ``sim`` serves."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Kempower ChargEye",
        unique_id=DEFAULT_ORGANIZATION,
        data={
            CONF_VENDOR: "kempower_chargeye",
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "server_url": f"{sim.url}/api",
        },
    )


@pytest.fixture
def entry(sim: SimServer, frozen: FrozenDateTimeFactory) -> MockConfigEntry:
    """An entry on the simulated account."""
    return account_entry(sim)


@pytest.fixture
async def loaded(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: SimClock, seconds: float
) -> None:
    """Move simulated and Home Assistant time together and let polls run."""
    clock.advance(seconds)
    freezer.tick(timedelta(seconds=seconds))
    # The coordinator adds a fraction of a second to its interval; fire just past it.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    # Scheduled polls run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


def eid(hass: HomeAssistant, platform: str, device_key: str, key: str) -> str:
    """The entity id of a device's entity, found by its unique id."""
    return entity_id(hass, platform, f"{DEFAULT_ORGANIZATION}_{device_key}_{key}")


def device_id(hass: HomeAssistant, key: str) -> str:
    """The registry id of the device ``key``."""
    return get_device(hass, f"{DEFAULT_ORGANIZATION}_{key}").id


def commands(sim: SimServer) -> list[dict[str, Any]]:
    """The commands the simulated account received."""
    assert isinstance(sim.device, ChargEyeDevice)
    return sim.device.commands
