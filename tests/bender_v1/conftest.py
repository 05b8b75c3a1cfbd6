"""Fixtures of the Bender v1 tests: a v1 controller on simulated time, and a client for it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from functools import partial
from unittest.mock import patch

import aiohttp
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api.bender_v1 import BenderV1Client
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.bender_v1 import (
    CHARGE_POINT_ID,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    DEFAULT_VARIANT,
    SERIAL,
    BenderV1Device,
)
from simulator.clock import SimClock

from ..conftest import SimServer, StartSimulator

TITLE = CHARGE_POINT_ID  # what the simulated controller calls itself


def uid(key: str) -> str:
    """Unique id of the controller's entity ``key`` (its description key)."""
    return f"{SERIAL}_controller_{key}"


@dataclass
class V1Setup:
    """A running simulated controller, its clock and a client logged in to nothing yet."""

    clock: SimClock
    device: BenderV1Device
    sim: SimServer
    client: BenderV1Client
    http: aiohttp.ClientSession

    def make_client(self, password: str = DEFAULT_PASSWORD) -> BenderV1Client:
        """Another client of the same controller, paced by simulated time."""
        return make_client(self.http, self.sim, self.clock, password)


def make_client(
    http: aiohttp.ClientSession, sim: SimServer, clock: SimClock, password: str = DEFAULT_PASSWORD
) -> BenderV1Client:
    """A client whose pairing wait advances the simulated clock instead of sleeping."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    return BenderV1Client(
        http, sim.host, DEFAULT_USERNAME, password, sleep=sleep, monotonic=clock.now
    )


@pytest.fixture
def start_at() -> float:
    """Simulated second the test starts at (parametrize to start elsewhere in the cycle)."""
    return 0.0


@pytest.fixture
def clock(start_at: float) -> SimClock:
    """Frozen simulated time, moved only by the test."""
    return SimClock(scale=0, start=start_at)


@pytest.fixture
async def http() -> AsyncGenerator[aiohttp.ClientSession]:
    """The aiohttp session a client gets from its caller."""
    # Like the integration's own session: cookies kept, also for IP-address hosts.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest.fixture
async def v1(
    start_simulator: StartSimulator, device: BenderV1Device, http: aiohttp.ClientSession
) -> V1Setup:
    """The controller (by default firmware 5.33, /v1 paths) and a client for it."""
    sim = await start_simulator(device)
    return V1Setup(device.clock, device, sim, make_client(http, sim, device.clock), http)


# Home Assistant side


@pytest.fixture
def device_class() -> type[BenderV1Device]:
    """The simulated controller's class (parametrize for firmware variants)."""
    return BenderV1Device


@pytest.fixture
def variant() -> str:
    """The reading of the API the simulated controller plays (parametrize for others)."""
    return DEFAULT_VARIANT


@pytest.fixture
def device(clock: SimClock, device_class: type[BenderV1Device], variant: str) -> BenderV1Device:
    """The controller behind the config entry and behind ``v1``."""
    return device_class(clock, variant=variant)


@pytest.fixture
async def sim(start_simulator: StartSimulator, device: BenderV1Device) -> SimServer:
    """The controller served on 127.0.0.1."""
    return await start_simulator(device)


@pytest.fixture(autouse=True)
def paced_by_simulated_time(clock: SimClock) -> Iterator[None]:
    """The integration's clients wait for pairing in simulated time, never on the wall clock."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    with patch(
        "custom_components.evse_bridge.vendors.bender_v1.config.BenderV1Client",
        partial(BenderV1Client, sleep=sleep, monotonic=clock.now),
    ):
        yield


@pytest.fixture
def entry(sim: SimServer) -> MockConfigEntry:
    """A config entry for the simulated controller."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id=SERIAL,
        data={
            CONF_VENDOR: "bender_v1",
            CONF_HOST: sim.host,
            CONF_USERNAME: DEFAULT_USERNAME,
            CONF_PASSWORD: DEFAULT_PASSWORD,
        },
    )


@pytest.fixture
async def loaded_entry(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
