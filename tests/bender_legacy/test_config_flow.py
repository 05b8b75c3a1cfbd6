"""Config flow for the Bender Legacy REST API: every branch, against the simulator."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from simulator.bender_legacy import SERIAL, LegacyDevice
from simulator.bender_v1 import BenderV1Device

from ..conftest import SimServer, StartSimulator


async def _legacy_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "bender_legacy" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "bender_legacy"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bender_legacy"
    return result["flow_id"]


async def test_user_flow_creates_entry(hass: HomeAssistant, sim: SimServer) -> None:
    flow_id = await _legacy_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"host": f" {sim.host} "})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # Titled by what the controller calls itself: its charge point id.
    assert result["title"] == "+4983900000000001 (Bender Legacy REST)"
    assert result["data"] == {
        "vendor": "bender_legacy",
        "host": sim.host,
        "automatic_title": result["title"],
    }
    assert result["result"].unique_id == SERIAL


async def test_name_given_in_the_form_titles_the_entry(hass: HomeAssistant, sim: SimServer) -> None:
    flow_id = await _legacy_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": "no-such-host.invalid", "name": " Garage bay 4 "}
    )
    # A failed test shows the form again with the name the user typed.
    assert result["type"] is FlowResultType.FORM
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested["name"] == "Garage bay 4"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": sim.host, "name": " Garage bay 4 "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Garage bay 4"
    # The automatic title is kept apart, so an update keeps the user's name.
    assert result["data"]["automatic_title"] == "+4983900000000001 (Bender Legacy REST)"
    assert "name" not in result["data"]


async def test_title_falls_back_to_model_and_serial(
    hass: HomeAssistant, sim: SimServer, device: LegacyDevice
) -> None:
    device.charge_point_id = ""
    flow_id = await _legacy_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"host": sim.host})
    assert result["title"] == "CC613_2M3PR 1703512493 (Bender Legacy REST)"


async def test_v1_controller_is_named(hass: HomeAssistant, start_simulator: StartSimulator) -> None:
    """A controller without the Legacy API that hands out v1 login tokens: pick v1."""
    v1 = await start_simulator(BenderV1Device())
    flow_id = await _legacy_form(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"host": v1.host})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"host": "bender_is_v1"}


async def test_user_flow_with_password(
    hass: HomeAssistant, sim: SimServer, device: LegacyDevice
) -> None:
    device.password = "secret"
    flow_id = await _legacy_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": sim.host, "username": "manufacturer", "password": "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"password": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": sim.host, "username": "manufacturer", "password": "secret"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "vendor": "bender_legacy",
        "host": sim.host,
        "username": "manufacturer",
        "password": "secret",
        "auth_scheme": "documented_headers",
        "automatic_title": result["title"],
    }


async def test_http_basic_auth_is_tried_and_remembered(
    hass: HomeAssistant, sim: SimServer, device: LegacyDevice
) -> None:
    device.password = "secret"
    device.variant = "basic_auth"
    flow_id = await _legacy_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"host": sim.host, "password": "secret"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["auth_scheme"] == "http_basic"
    await hass.async_block_till_done()
    # Headers refused and Basic accepted in the probe; the entry starts with Basic.
    assert sim.requests("GET /rest/full_state") == 3


@pytest.mark.parametrize(
    ("setup", "errors"),
    [
        (lambda device: setattr(device, "rest_enabled", False), {"host": "rest_disabled"}),
        (
            lambda device: device.faults.update({"mode": "garbage"}),
            {"host": "not_bender_controller"},
        ),
        (lambda device: device.faults.update({"mode": "drop"}), {"host": "cannot_connect"}),
    ],
)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant, sim: SimServer, device: LegacyDevice, setup, errors
) -> None:
    flow_id = await _legacy_form(hass)
    setup(device)
    result = await hass.config_entries.flow.async_configure(flow_id, {"host": sim.host})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    device.rest_enabled = True
    device.faults.update({"mode": "none"})
    result = await hass.config_entries.flow.async_configure(flow_id, {"host": sim.host})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_unexpected_error(hass: HomeAssistant, sim: SimServer) -> None:
    flow_id = await _legacy_form(hass)
    with patch(
        "custom_components.evse_bridge.api.bender_legacy.BenderLegacyClient.full_state",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, {"host": sim.host})
    assert result["errors"] == {"base": "unknown"}


#: "localhost" is the simulator under another address; where it resolves to ::1 as well, the
#: connection tries that first and the test harness, which allows 127.0.0.1 only, blocks it.
#: (A filter cannot hold a colon: "..1" is "::1".)
LOCALHOST_IPV6_BLOCKED = pytest.mark.filterwarnings(
    'ignore:A test tried to use socket.socket.connect\\(\\) with host "..1"'
)


@LOCALHOST_IPV6_BLOCKED
async def test_same_controller_by_another_address_aborts(
    hass: HomeAssistant, sim: SimServer, entry: MockConfigEntry
) -> None:
    entry.add_to_hass(hass)
    flow_id = await _legacy_form(hass)
    other_address = sim.host.replace("127.0.0.1", "localhost")
    result = await hass.config_entries.flow.async_configure(flow_id, {"host": other_address})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth(
    hass: HomeAssistant, sim: SimServer, device: LegacyDevice, loaded_entry: MockConfigEntry
) -> None:
    device.password = "new-secret"
    result = await loaded_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert list(result["data_schema"].schema) == ["password"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": "wrong"}
    )
    assert result["errors"] == {"password": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": "new-secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data["password"] == "new-secret"
    assert loaded_entry.data["username"] == "operator"


@LOCALHOST_IPV6_BLOCKED
async def test_reconfigure_to_new_address(
    hass: HomeAssistant, sim: SimServer, loaded_entry: MockConfigEntry
) -> None:
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert "password" not in result["data_schema"].schema
    new_host = sim.host.replace("127.0.0.1", "localhost")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"host": "127.0.0.1:9"}
    )
    # A new address: the password is asked for it, not taken from the entry.
    assert result["step_id"] == "reconfigure_secret"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"password": "wrong-for-old-host"}
    )
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"host": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"host": new_host})
    assert result["step_id"] == "reconfigure_secret"
    # This controller has no password: none is given.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data["host"] == new_host


async def test_reconfigure_to_another_controller_aborts(
    hass: HomeAssistant,
    sim: SimServer,
    device: LegacyDevice,
    loaded_entry: MockConfigEntry,
) -> None:
    device.serial = "99999/other"
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"host": sim.host})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"


async def test_reconfigure_at_the_same_address_that_does_not_answer(
    hass: HomeAssistant, sim: SimServer, device: LegacyDevice, loaded_entry: MockConfigEntry
) -> None:
    """The same address needs no new secret; a failed test shows the form again."""
    result = await loaded_entry.start_reconfigure_flow(hass)
    device.rest_enabled = False
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"host": sim.host})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"host": "rest_disabled"}
    device.rest_enabled = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"host": sim.host})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
