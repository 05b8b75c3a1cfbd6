"""Two entries of one organisation share one JWT and one request budget."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.clock import SimClock
from simulator.kempower_chargeye import DEFAULT_ORGANIZATION, DEFAULT_REFRESH_TOKEN

from ..common import entity_state
from ..conftest import SimServer
from .conftest import AC, DC, advance

TOKEN_PATH = "GET /api/auth/refreshAccessToken"
STATIONS_PATH = "GET /api/stations"


def _entry(sim: SimServer, location: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Kempower ChargEye {location}",
        unique_id=DEFAULT_ORGANIZATION,
        data={
            CONF_VENDOR: "kempower_chargeye",
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "server_url": f"{sim.url}/api",
            "location": location,
        },
    )


@pytest.fixture
async def depot_and_office(
    hass: HomeAssistant, sim: SimServer, frozen: FrozenDateTimeFactory, clock: SimClock
) -> tuple[MockConfigEntry, MockConfigEntry]:
    """The organisation's depot and office, each its own entry, set up 20 s apart."""
    entries = (_entry(sim, "loc-depot"), _entry(sim, "loc-office"))
    for entry in entries:
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        if entry is entries[0]:
            await advance(hass, frozen, clock, 20)
    return entries


def _power(hass: HomeAssistant, station: str) -> str:
    return entity_state(hass, "sensor", f"{DEFAULT_ORGANIZATION}_{station}_output_power").state


async def test_one_token_for_both_entries(
    hass: HomeAssistant,
    depot_and_office: tuple[MockConfigEntry, MockConfigEntry],
    sim: SimServer,
) -> None:
    assert all(entry.state is ConfigEntryState.LOADED for entry in depot_and_office)
    assert sim.requests(STATIONS_PATH) == 2
    assert sim.requests(TOKEN_PATH) == 1


async def test_a_429_holds_back_the_other_entry(
    hass: HomeAssistant,
    depot_and_office: tuple[MockConfigEntry, MockConfigEntry],
    sim: SimServer,
    frozen: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    # Counted from now, 20 s after the depot's setup: no requests until 170 s in.
    sim.device.control("rate_limit", {"seconds": 150})
    # 60 s in, the depot meets the 429 (Retry-After 110 s) ...
    await advance(hass, frozen, clock, 40)
    assert sim.requests(STATIONS_PATH) == 3
    # ... and 80 s in the office waits for it without asking.
    await advance(hass, frozen, clock, 20)
    assert sim.requests(STATIONS_PATH) == 3
    assert _power(hass, DC) != STATE_UNAVAILABLE
    assert _power(hass, AC) != STATE_UNAVAILABLE
    await advance(hass, frozen, clock, 80)
    assert sim.requests(STATIONS_PATH) == 3
    # 180 s in, the Retry-After has passed for both.
    await advance(hass, frozen, clock, 20)
    assert sim.requests(STATIONS_PATH) == 5
    assert sim.requests(TOKEN_PATH) == 1


async def test_the_last_entry_unloaded_drops_the_shared_state(
    hass: HomeAssistant,
    depot_and_office: tuple[MockConfigEntry, MockConfigEntry],
    sim: SimServer,
) -> None:
    depot, office = depot_and_office
    assert await hass.config_entries.async_unload(depot.entry_id)
    # The office keeps the JWT: reloading the depot exchanges no new one.
    assert await hass.config_entries.async_setup(depot.entry_id)
    await hass.async_block_till_done()
    assert sim.requests(TOKEN_PATH) == 1
    for entry in depot_and_office:
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert hass.data[f"{DOMAIN}_chargeye_accounts"] == {}
