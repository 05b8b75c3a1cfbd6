"""Config flow of the EVCE hub: certificate choice and confirmation, errors, reauth, reconfigure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.clock import SimClock
from simulator.schneider_evce import LOGIN, PASSWORD, SERIAL, EvceDevice

from ..conftest import SimServer, StartSimulator
from .conftest import LOGIN_PATH, ScriptedEvceDevice, refresh


def form(sim: SimServer, **overrides: Any) -> dict[str, Any]:
    return {
        "host": sim.host,
        "username": LOGIN,
        "password": PASSWORD,
        "certificate": "pinned",
        **overrides,
    }


async def start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "schneider_evce" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "schneider_evce"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "schneider_evce"
    return str(result["flow_id"])


def colon_fingerprint(fingerprint: str) -> str:
    text = fingerprint.upper()
    return ":".join(text[index : index + 2] for index in range(0, len(text), 2))


async def test_pinned_hub_is_confirmed_then_created(
    hass: HomeAssistant, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim))
    # The fingerprint is shown before any credential leaves Home Assistant.
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm_certificate"
    assert result["description_placeholders"] == {
        "host": sim.host,
        "fingerprint": colon_fingerprint(hub.certificate.fingerprint),
    }
    assert sim.requests(LOGIN_PATH) == 0
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # No answer names the hub: model and serial (from product_status / product_caps).
    assert result["title"] == f"HMIBSCEA53D1EDB {SERIAL} (Schneider EVCE)"
    assert result["result"].unique_id == SERIAL
    data = result["data"]
    assert data[CONF_VENDOR] == "schneider_evce"
    assert data["fingerprint"] == hub.certificate.fingerprint
    assert data["certificate"] == "pinned"
    assert data["token"]
    # The entry starts with the token of the connection test: one login in all.
    assert result["result"].state is ConfigEntryState.LOADED
    assert sim.requests(LOGIN_PATH) == 1

    # The same hub cannot be added twice.
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim))
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_no_verification_needs_no_confirmation(hass: HomeAssistant, sim: SimServer) -> None:
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, form(sim, certificate="insecure")
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "fingerprint" not in result["data"]


@pytest.mark.usefixtures("tolerate_tls_handshake_failures")
async def test_system_authorities_refuse_the_self_signed_hub(
    hass: HomeAssistant, sim: SimServer
) -> None:
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, form(sim, certificate="system")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"certificate": "evce_certificate_untrusted"}


async def test_wrong_password_returns_to_the_form(
    hass: HomeAssistant, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    flow_id = await start(hass)
    await hass.config_entries.flow.async_configure(flow_id, form(sim, password="Wrong-Pass1!"))
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "schneider_evce"
    assert result["errors"] == {"password": "invalid_auth"}
    assert sim.requests(LOGIN_PATH) == 1
    # The certificate was confirmed once: the corrected password goes straight to the hub.
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim))
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["fingerprint"] == hub.certificate.fingerprint


async def test_user_without_api_permission(
    hass: HomeAssistant, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    hub.users[LOGIN].role = "User"
    flow_id = await start(hass)
    await hass.config_entries.flow.async_configure(flow_id, form(sim))
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["errors"] == {"username": "evce_no_permission"}


async def test_unreachable_hub(
    hass: HomeAssistant, socket_enabled: None, unused_tcp_port: int
) -> None:
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "host": f"127.0.0.1:{unused_tcp_port}",
            "username": LOGIN,
            "password": PASSWORD,
            "certificate": "pinned",
        },
    )
    assert result["errors"] == {"host": "cannot_connect"}


@pytest.mark.parametrize("certificate", ["pinned", "insecure"])
async def test_hub_without_serial_is_known_by_its_certificate(
    hass: HomeAssistant, start_simulator: StartSimulator, certificate: str
) -> None:
    hub = EvceDevice(SimClock(scale=0), variant="identity=none")
    sim = await start_simulator(hub)
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, form(sim, certificate=certificate)
    )
    if certificate == "pinned":
        result = await hass.config_entries.flow.async_configure(flow_id, {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == f"cert-{hub.certificate.fingerprint[:32]}"
    assert entry.data["hub_id_source"] == "certificate"
    assert result["title"] == f"EV Charging Expert {sim.host} (Schneider EVCE)"
    # A renewed certificate keeps the entry's identity: reconfigure accepts it.
    await hass.config_entries.async_unload(entry.entry_id)
    hub.renew_certificate()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": sim.host, "username": LOGIN, "certificate": certificate}
    )
    if certificate == "pinned":
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"


@pytest.mark.parametrize("variant", ["identity=infos", "maintenance_auth=open"])
async def test_identity_variants_set_up(
    hass: HomeAssistant, start_simulator: StartSimulator, variant: str
) -> None:
    hub = EvceDevice(SimClock(scale=0), variant=variant)
    sim = await start_simulator(hub)
    flow_id = await start(hass)
    await hass.config_entries.flow.async_configure(flow_id, form(sim))
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == SERIAL
    assert result["result"].state is ConfigEntryState.LOADED


async def test_probe_hands_its_token_to_the_running_entry(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    """One connection per user: the probe's login must not leave the entry a dead token."""
    flow_id = await start(hass)
    await hass.config_entries.flow.async_configure(flow_id, form(sim))
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["reason"] == "already_configured"
    assert sim.requests(LOGIN_PATH) == 2
    assert len(hub.tokens) == 1
    assert loaded_entry.runtime_data.site.client.token == loaded_entry.data["token"]
    await refresh(hass, loaded_entry)
    assert loaded_entry.runtime_data.coordinator.last_update_success
    assert sim.requests(LOGIN_PATH) == 2


async def test_reauth_after_a_password_change(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    hub.control("set_password", {"password": "New-Passw0rd!!"})
    await refresh(hass, loaded_entry)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=10))
    await hass.async_block_till_done()
    # One refused login, then the entry waits for the user: no login loop.
    assert sim.requests(LOGIN_PATH) == 2
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {"password": "wrong"})
    assert result["errors"] == {"password": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, {"password": "New-Passw0rd!!"})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data["password"] == "New-Passw0rd!!"
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_same_certificate(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer
) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": sim.host, "username": LOGIN, "certificate": "pinned"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_reconfigure_errors_and_other_hub(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    start_simulator: StartSimulator,
    unused_tcp_port: int,
) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {"host": f"127.0.0.1:{unused_tcp_port}", "username": LOGIN, "certificate": "pinned"},
    )
    assert result["step_id"] == "reconfigure_secret"
    result = await hass.config_entries.flow.async_configure(flow_id, {"password": PASSWORD})
    assert result["errors"] == {"host": "cannot_connect"}
    other = await start_simulator(EvceDevice(SimClock(scale=0), serial="3N2499999999"))
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": other.host, "username": "nobody", "certificate": "pinned"}
    )
    result = await hass.config_entries.flow.async_configure(flow_id, {"password": PASSWORD})
    assert result["step_id"] == "confirm_certificate"
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"password": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": other.host, "username": LOGIN, "certificate": "insecure"}
    )
    result = await hass.config_entries.flow.async_configure(flow_id, {"password": PASSWORD})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"


async def test_changed_certificate_fails_the_entry_until_accepted(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    old = hub.certificate.fingerprint
    new = hub.renew_certificate()
    await refresh(hass, loaded_entry)
    await hass.async_block_till_done()
    # Reloaded, the entry refuses to start with a certificate nobody confirmed.
    assert loaded_entry.state is ConfigEntryState.SETUP_ERROR
    issue_id = f"certificate_changed_{loaded_entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {
        "name": loaded_entry.title,
        "expected": colon_fingerprint(old),
        "received": colon_fingerprint(new),
    }
    assert loaded_entry.data["fingerprint"] == old

    # Accepting the new certificate: reconfigure, compare, confirm.
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": sim.host, "username": LOGIN, "certificate": "pinned"}
    )
    assert result["step_id"] == "confirm_certificate"
    assert result["description_placeholders"]["fingerprint"] == colon_fingerprint(new)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data["fingerprint"] == new
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
