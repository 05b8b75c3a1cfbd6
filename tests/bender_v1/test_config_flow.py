"""Config flow of the v1 vendor: setup with a connection test, reauth, reconfigure."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from simulator.bender_v1 import DEFAULT_PASSWORD, SERIAL, BenderV1Device
from simulator.clock import SimClock

from ..conftest import SimServer, StartSimulator
from .conftest import TITLE


async def open_vendor_step(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "bender_v1" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "bender_v1"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "bender_v1"
    assert {str(key) for key in result["data_schema"].schema} == {
        CONF_HOST,
        CONF_USERNAME,
        CONF_PASSWORD,
        CONF_NAME,
    }
    flow_id: str = result["flow_id"]
    return flow_id


def form(host: str, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
    return {CONF_HOST: host, CONF_USERNAME: "operator", CONF_PASSWORD: password}


async def test_user_flow_creates_the_entry(
    hass: HomeAssistant, sim: SimServer, device: BenderV1Device
) -> None:
    flow_id = await open_vendor_step(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form(f" {sim.host} "))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"{TITLE} (Bender REST API v1)"
    assert result["result"].unique_id == SERIAL
    assert result["data"] == {
        CONF_VENDOR: "bender_v1",
        CONF_HOST: sim.host,
        CONF_USERNAME: "operator",
        CONF_PASSWORD: DEFAULT_PASSWORD,
        "automatic_title": f"{TITLE} (Bender REST API v1)",
    }
    # The connection test logged out again, freeing the controller's single session.
    assert sim.requests("POST /v1/logout") == 1
    await hass.async_block_till_done()


async def test_wrong_password_then_right(hass: HomeAssistant, sim: SimServer) -> None:
    flow_id = await open_vendor_step(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim.host, "wrong"))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PASSWORD: "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim.host))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_rest_interface_disabled(
    hass: HomeAssistant, sim: SimServer, device: BenderV1Device
) -> None:
    device.control("configure", {"rest": "off"})
    flow_id = await open_vendor_step(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim.host))
    assert result["errors"] == {CONF_HOST: "rest_disabled"}


async def test_nothing_listening(hass: HomeAssistant, socket_enabled: None) -> None:
    flow_id = await open_vendor_step(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form("127.0.0.1:1"))
    assert result["errors"] == {CONF_HOST: "cannot_connect"}


async def test_not_a_bender_controller(
    hass: HomeAssistant, sim: SimServer, device: BenderV1Device
) -> None:
    device.faults.update({"mode": "garbage"})
    flow_id = await open_vendor_step(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim.host))
    assert result["errors"] == {CONF_HOST: "not_bender_controller"}


class ControllerWithoutSerial(BenderV1Device):
    """Neither ``ChargePointInfo`` nor the settings state a serial."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs, serial_at="none")

    def charge_point_info(self) -> dict[str, str]:
        return {"chargePointVendor": "Bender GmbH Co. KG"}


@pytest.mark.parametrize("device_class", [ControllerWithoutSerial])
async def test_controller_without_serial(hass: HomeAssistant, sim: SimServer) -> None:
    """A controller that logged in but states no serial is added under a stable identifier."""
    flow_id = await open_vendor_step(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim.host))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    unique_id = result["result"].unique_id
    assert unique_id
    # The same controller again is the same entry.
    flow_id = await open_vendor_step(hass)
    again = await hass.config_entries.flow.async_configure(flow_id, form(sim.host))
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_configured"


async def test_serial_stated_only_among_the_settings(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
    sim = await start_simulator(BenderV1Device(SimClock(scale=0), serial_at="settings"))
    flow_id = await open_vendor_step(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim.host))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == SERIAL


async def test_already_configured(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer
) -> None:
    flow_id = await open_vendor_step(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, form(sim.host))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_with_the_new_password(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, device: BenderV1Device
) -> None:
    device.control("configure", {"password": "new-password"})
    result = await loaded_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert {str(key) for key in result["data_schema"].schema} == {CONF_PASSWORD}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {CONF_PASSWORD: "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data[CONF_PASSWORD] == "new-password"
    await hass.async_block_till_done()


async def test_reconfigure_to_a_new_address(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    start_simulator: StartSimulator,
    clock: SimClock,
) -> None:
    moved = await start_simulator(BenderV1Device(clock))
    units = {"energy": "kWh", "duration": "min"}
    hass.config_entries.async_update_entry(
        loaded_entry, data={**loaded_entry.data, "summary_units": units}
    )
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert {str(key) for key in result["data_schema"].schema} == {CONF_HOST, CONF_USERNAME}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: moved.host, CONF_USERNAME: "operator"}
    )
    # The stored password is not sent to the new address unasked.
    assert result["step_id"] == "reconfigure_secret"
    assert moved.requests() == 0
    assert {str(key) for key in result["data_schema"].schema} == {CONF_PASSWORD}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: DEFAULT_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert loaded_entry.data[CONF_HOST] == moved.host
    assert loaded_entry.data[CONF_PASSWORD] == DEFAULT_PASSWORD
    # What the controller showed about its summary's units stays established.
    assert loaded_entry.data["summary_units"] == units
    await hass.async_block_till_done()


async def test_reconfigure_to_another_controller(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    start_simulator: StartSimulator,
    clock: SimClock,
    sim: SimServer,
) -> None:
    other = await start_simulator(BenderV1Device(clock, serial="1803999999"))
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: other.host, CONF_USERNAME: "operator"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: DEFAULT_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"
    assert loaded_entry.data[CONF_HOST] == sim.host
