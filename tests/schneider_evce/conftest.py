"""Fixtures of the EVCE tests: a hub simulator over HTTPS and a client pinned to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
import json
import ssl
from typing import Any

import aiohttp
from aiohttp import web
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.api.schneider_evce import EvceClient, EvceSslMode
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.clock import SimClock
from simulator.schneider_evce import LOGIN, PASSWORD, SERIAL, EvceDevice

from ..conftest import SimServer, StartSimulator

LOGIN_PATH = "POST /api/v2/login/login"
STATUSES_PATH = "GET /api/v2/stations/statuses"


class ScriptedEvceDevice(EvceDevice):
    """A hub whose answers to chosen requests tests can replace (odd firmware)."""

    def __init__(self, clock: SimClock, **kwargs: Any) -> None:
        super().__init__(clock, **kwargs)
        #: "METHOD path" -> (status, JSON body or raw bytes)
        self.scripted: dict[str, tuple[int, Any]] = {}

    def add_routes(self, app: web.Application) -> None:
        super().add_routes(app)

        @web.middleware
        async def scripted(
            request: web.Request,
            handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        ) -> web.StreamResponse:
            answer = self.scripted.get(f"{request.method} {request.path}")
            if answer is None:
                return await handler(request)
            status, body = answer
            if isinstance(body, bytes):
                return web.Response(status=status, body=body)
            return web.Response(
                status=status, text=json.dumps(body), content_type="application/json"
            )

        app.middlewares.append(scripted)


@pytest.fixture
def tolerate_tls_handshake_failures(hass: HomeAssistant) -> None:
    """Let the simulated hub's side of a handshake the client refused fail quietly.

    The client refusing the hub's certificate is what the test expects; the
    server's handshake error would otherwise fail the test at teardown.
    """
    loop = hass.loop
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), ssl.SSLError | ConnectionResetError):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


@pytest.fixture
def clock() -> SimClock:
    """Simulated time that only moves when a test says so."""
    return SimClock(scale=0)


@pytest.fixture
def hub(clock: SimClock) -> ScriptedEvceDevice:
    """A hub with the default three stations, two zones and one power meter."""
    return ScriptedEvceDevice(clock)


@pytest.fixture
async def sim(start_simulator: StartSimulator, hub: ScriptedEvceDevice) -> SimServer:
    """The hub served over HTTPS on 127.0.0.1."""
    return await start_simulator(hub)


@pytest.fixture
async def http_session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def fake_sleep(clock: SimClock) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves simulated time instead of waiting."""

    async def _sleep(seconds: float) -> None:
        clock.advance(seconds)

    return _sleep


MakeClient = Callable[..., EvceClient]


@pytest.fixture
def make_client(
    sim: SimServer,
    hub: EvceDevice,
    http_session: aiohttp.ClientSession,
    fake_sleep: Callable[[float], Awaitable[None]],
) -> MakeClient:
    """Build clients pinned to the hub's certificate (options may be overridden)."""

    def _make(**kwargs: Any) -> EvceClient:
        options: dict[str, Any] = {
            "ssl_mode": EvceSslMode.PINNED,
            "fingerprint": hub.certificate.fingerprint,
            "sleep": fake_sleep,
        }
        options.update(kwargs)
        login = options.pop("login", LOGIN)
        password = options.pop("password", PASSWORD)
        return EvceClient(http_session, sim.host, login, password, **options)

    return _make


@pytest.fixture
def client(make_client: MakeClient) -> EvceClient:
    """A client with the right credentials."""
    return make_client()


# --- Home Assistant side ----------------------------------------------------------------------

TITLE = "EVCE"


def entry_data(sim: SimServer, hub: EvceDevice, **extra: Any) -> dict[str, Any]:
    """Entry data as the config flow stores it for a pinned hub."""
    return {
        CONF_VENDOR: "schneider_evce",
        "host": sim.host,
        "username": LOGIN,
        "password": PASSWORD,
        "certificate": "pinned",
        "fingerprint": hub.certificate.fingerprint,
        **extra,
    }


@pytest.fixture
def entry(sim: SimServer, hub: EvceDevice) -> MockConfigEntry:
    """A config entry pinned to the simulated hub, without a stored token."""
    return MockConfigEntry(domain=DOMAIN, title=TITLE, unique_id=SERIAL, data=entry_data(sim, hub))


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    fake_sleep: Callable[[float], Awaitable[None]],
) -> MockConfigEntry:
    """The entry, set up; commands are followed in simulated time."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entry.runtime_data.site.client.sleep = fake_sleep
    return entry


async def refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """One poll of the entry's coordinator, and the entity updates it causes."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
