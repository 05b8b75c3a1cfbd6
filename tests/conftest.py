"""Fixtures shared by every test: simulated devices served over real HTTP(S) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
import ssl
from typing import Any

from aiohttp.test_utils import TestServer
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
