"""Fixtures shared by every test: simulated devices served over real HTTP(S) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
import logging
import ssl
from typing import Any
from unittest.mock import PropertyMock, patch

from aiohttp.resolver import AsyncResolver
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
import pytest

from simulator.device import SimDevice, build_app


@dataclass
class SimServer:
    """A running simulated device: its device object and its address."""

    device: SimDevice
    server: TestServer

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, as a user would type it in the config flow."""
        return f"{self.server.host}:{self.server.port}"

    @property
    def url(self) -> str:
        """Base URL with scheme."""
        return str(self.server.make_url("")).rstrip("/")

    def requests(self, path: str | None = None) -> int:
        """How many requests reached the device (optionally only ``METHOD path``)."""
        stats = self.device.stats.by_path
        if path is None:
            return sum(stats.values())
        return stats.get(path, 0)


StartSimulator = Callable[..., Awaitable[SimServer]]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


#: How Home Assistant starts a report against this integration (a deprecated API used).
REPORT = "Detected that custom integration 'evse_bridge'"


class _Reports(logging.Handler):
    """Collects every report Home Assistant logs against this integration."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if REPORT in message:
            self.messages.append(message)


@pytest.fixture(autouse=True)
def fail_on_integration_reports() -> Generator[None]:
    """Fail the test when Home Assistant reports this integration (a deprecated API call).

    Such a report turns into an error a few releases later; failing here catches
    it the day the newest lane's harness is bumped.
    """
    reports = _Reports()
    root = logging.getLogger()
    root.addHandler(reports)
    yield
    root.removeHandler(reports)
    if reports.messages:
        pytest.fail("Home Assistant reported evse_bridge:\n" + "\n".join(reports.messages))


@pytest.fixture(autouse=True)
async def own_dns_resolver(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Give each test its own DNS resolver for the names the tests resolve (``localhost``).

    Newer test harnesses share one resolver across the session, and the first test
    whose Home Assistant stops closes it for every later test.
    """
    resolvers: list[AsyncResolver] = []

    def make_resolver(_hass: HomeAssistant) -> AsyncResolver:
        resolver = AsyncResolver()
        # Home Assistant closes its resolver through real_close when it stops.
        resolver.real_close = resolver.close  # type: ignore[attr-defined]
        resolvers.append(resolver)
        return resolver

    with patch("homeassistant.helpers.aiohttp_client._async_make_resolver", make_resolver):
        yield
    for resolver in resolvers:
        await resolver.close()


@pytest.fixture
async def start_simulator(socket_enabled: None) -> AsyncGenerator[StartSimulator]:
    """Start simulated devices in the test's own event loop; stopped after the test."""
    servers: list[TestServer] = []

    async def _start(device: SimDevice, **kwargs: Any) -> SimServer:
        server = TestServer(build_app(device), host="127.0.0.1")
        ssl_context: ssl.SSLContext | None = device.ssl_context() if device.tls else None
        if ssl_context is not None:
            server.scheme = "https"
        await server.start_server(ssl=ssl_context, **kwargs)
        servers.append(server)
        return SimServer(device, server)

    yield _start
    for server in servers:
        await server.close()


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Every entity enabled, those disabled by default too (as Home Assistant's own tests do)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield
