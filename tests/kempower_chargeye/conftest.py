"""Fixtures for the ChargEye tests: a frozen clock, the simulated account and a client on it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from custom_components.evse_bridge.api.kempower_chargeye import ChargEyeClient
from simulator.clock import SimClock
from simulator.kempower_chargeye import DEFAULT_REFRESH_TOKEN, ChargEyeDevice

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
