"""The host field takes a host, host:port or an IPv6 address, nothing else."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.evse_bridge.config_flow import normalize_host
from simulator.bender_legacy import LegacyDevice
from simulator.clock import SimClock
from simulator.device import build_app

from ..conftest import SimServer
from .test_config_flow import _legacy_form

HOSTILE_HOSTS = (
    "http://{host}",
    "{host}/rest/full_state",
    "{host}?debug=1",
    "{host}#x",
    "operator:secret@{host}",
    "{host}:99999",
    "{host} other",
    "",
    ":8080",
    "[]:8080",
)


@pytest.mark.parametrize("template", HOSTILE_HOSTS)
async def test_hostile_host_is_refused(hass: HomeAssistant, sim: SimServer, template: str) -> None:
    flow_id = await _legacy_form(hass)
    before = sim.requests()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": template.format(host=sim.host)}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"host": "invalid_host"}
    assert sim.requests() == before


@pytest.fixture
async def ipv6_sim(socket_enabled: None) -> AsyncGenerator[TestServer]:
    """A Legacy controller on the IPv6 loopback address (which the harness blocks)."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"])
    server = TestServer(build_app(LegacyDevice(SimClock(scale=0, start=200))), host="::1")
    await server.start_server()
    yield server
    await server.close()
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


async def test_bracketed_ipv6_with_port(hass: HomeAssistant, ipv6_sim: TestServer) -> None:
    flow_id = await _legacy_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": f"[::1]:{ipv6_sim.port}"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["host"] == f"[::1]:{ipv6_sim.port}"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("::1", "[::1]"), (" fd00::20 ", "[fd00::20]"), ("[fd00::20]", "[fd00::20]")],
)
def test_bare_ipv6_is_bracketed(typed: str, stored: str) -> None:
    """A bare address gets the brackets a URL needs."""
    assert normalize_host(typed) == stored


async def test_reconfigure_refuses_a_url(
    hass: HomeAssistant, sim: SimServer, loaded_entry: MockConfigEntry
) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)
    before = sim.requests()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": f"http://{sim.host}"}
    )
    assert result["errors"] == {"host": "invalid_host"}
    assert sim.requests() == before
    assert loaded_entry.data["host"] == sim.host
