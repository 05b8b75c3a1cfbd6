"""Fixtures of the Bender v1 tests: a v1 controller on simulated time, and a client for it."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

import aiohttp
import pytest

from custom_components.evse_bridge.api.bender_v1 import BenderV1Client
from simulator.bender_v1 import DEFAULT_PASSWORD, DEFAULT_USERNAME, BenderV1Device
from simulator.clock import SimClock

from ..conftest import SimServer, StartSimulator


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
def clock() -> SimClock:
    """Frozen simulated time, moved only by the test."""
    return SimClock(scale=0)


@pytest.fixture
async def http() -> AsyncGenerator[aiohttp.ClientSession]:
    """The aiohttp session a client gets from its caller."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def v1(
    start_simulator: StartSimulator, clock: SimClock, http: aiohttp.ClientSession
) -> V1Setup:
    """A v1 controller (firmware 5.33, /v1 paths) and a client for it."""
    device = BenderV1Device(clock)
    sim = await start_simulator(device)
    return V1Setup(clock, device, sim, make_client(http, sim, clock), http)
