"""A 403 at login: the account is blocked or lacks the EBMS role; never a reauthentication."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.schneider_evce import LOGIN

from ..conftest import SimServer
from .conftest import LOGIN_PATH, ScriptedEvceDevice, refresh
from .test_config_flow import form, start


def _reauth_flows(hass: HomeAssistant) -> list[object]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"].get("source") == SOURCE_REAUTH
    ]


async def test_a_blocked_account_says_both_readings_on_the_form(
    hass: HomeAssistant, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    hub.users[LOGIN].locked = True
    flow_id = await start(hass)
    await hass.config_entries.flow.async_configure(flow_id, form(sim))
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["errors"] == {"username": "evce_no_permission"}
    assert sim.requests(LOGIN_PATH) == 1  # never retried


async def test_a_blocked_account_at_set_up_is_an_error_not_a_reauthentication(
    hass: HomeAssistant, entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    hub.users[LOGIN].locked = True
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "blocked after too many failed logins" in str(entry.reason)
    assert _reauth_flows(hass) == []
    assert sim.requests(LOGIN_PATH) == 1


async def test_a_role_taken_away_stops_logins_until_reload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, hub: ScriptedEvceDevice
) -> None:
    hub.users[LOGIN].role = "User"
    hub.tokens.clear()  # the hub revoked the token: the next poll logs in
    hub.stats.by_path.clear()
    await refresh(hass, loaded_entry)
    coordinator = loaded_entry.runtime_data.coordinator
    assert not coordinator.last_update_success
    assert "lacks the EBMS role" in str(coordinator.last_exception)
    assert sim.requests(LOGIN_PATH) == 1
    await refresh(hass, loaded_entry)
    await refresh(hass, loaded_entry)
    assert sim.requests(LOGIN_PATH) == 1  # not every poll: a blocked account stays blocked
    assert _reauth_flows(hass) == []
    # Given the role again in the hub, a reload logs in and the entry works.
    hub.users[LOGIN].role = "EBMS"
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert loaded_entry.runtime_data.coordinator.last_update_success


async def test_a_wrong_password_still_asks_for_new_credentials(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hub: ScriptedEvceDevice
) -> None:
    hub.users[LOGIN].password = "Changed-Passw0rd!"
    hub.tokens.clear()
    await refresh(hass, loaded_entry)
    assert len(_reauth_flows(hass)) == 1
