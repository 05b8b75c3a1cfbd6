"""Polls reuse one connection to the controller instead of opening one each time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp import web_protocol
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.contract import http
from simulator.bender_legacy import SERIAL, LegacyDevice

from ..conftest import SimServer, StartSimulator
from .conftest import sensor_state

POLLS = 20


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch, sim: SimServer) -> list[int]:
    """Client ports of the TCP connections the simulated controller accepted."""
    accepted: list[int] = []
    made: Callable[..., None] = web_protocol.RequestHandler.connection_made

    def counting(handler: web_protocol.RequestHandler, transport: Any) -> None:
        if transport.get_extra_info("sockname")[1] == sim.server.port:
            accepted.append(transport.get_extra_info("peername")[1])
        made(handler, transport)

    monkeypatch.setattr(web_protocol.RequestHandler, "connection_made", counting)
    return accepted


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(timedelta(seconds=15))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _poll_many(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, connections: list[int]
) -> None:
    # The first tick moves the event loop's clock from real to frozen time, a jump that
    # expires every idle connection: count from the poll after it.
    await _poll(hass, freezer)
    connections.clear()
    for _ in range(POLLS):
        await _poll(hass, freezer)


async def test_polls_every_15_s_share_one_connection(
    hass: HomeAssistant,
    connections: list[int],
    loaded_entry: MockConfigEntry,
    sim: SimServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _poll_many(hass, freezer, connections)
    assert sim.requests("GET /rest/full_state") == POLLS + 2
    assert len(connections) < POLLS / 20


async def test_a_keep_alive_shorter_than_the_poll_opens_one_per_poll(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    connections: list[int],
    entry: MockConfigEntry,
    sim: SimServer,
    freezer: FrozenDateTimeFactory,
) -> None:
    # Home Assistant's shared session keeps 15 s, which a real poll (15 s after the last
    # one ended) just exceeds: the count tells the two apart.
    monkeypatch.setattr(http, "KEEPALIVE_S", 14.0)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _poll_many(hass, freezer, connections)
    assert sim.requests("GET /rest/full_state") == POLLS + 2
    assert len(connections) == POLLS


async def test_a_connection_the_controller_closed_costs_no_poll(
    hass: HomeAssistant,
    start_simulator: StartSimulator,
    device: LegacyDevice,
    freezer: FrozenDateTimeFactory,
) -> None:
    # This controller drops an idle connection after 5 s, long before the next poll.
    sim = await start_simulator(device, keepalive_timeout=5)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=SERIAL,
        data={CONF_VENDOR: "bender_legacy", "host": sim.host},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(5):
        await _poll(hass, freezer)
    assert sim.requests("GET /rest/full_state") == 6
    assert sensor_state(hass, "power_w").state == "11.0"
