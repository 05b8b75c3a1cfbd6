"""Settings parameters: the client, the actions, the repair issue and the current-limit number."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.evse_bridge.api import EvseCommandRejectedError, EvseNotSupportedError
from custom_components.evse_bridge.api.bender_v1 import (
    SettingParameter,
    find_current_limit,
    parse_settings,
)
from custom_components.evse_bridge.const import DOMAIN
from simulator.bender_v1 import SERIAL, BenderV1Device
from simulator.bender_v1_controls import (
    CURRENT_LIMIT_KEY,
    NO_CURRENT_LIMIT,
    SETTINGS_FLAT,
    SETTINGS_PUT,
    SETTINGS_REFUSED_WHOLE,
)
from simulator.clock import SimClock

from ..common import entity_state, find_entity_id, get_device
from ..conftest import SimServer
from .conftest import TITLE, V1Setup

SETTINGS_VARIANTS = [
    "default",
    SETTINGS_FLAT,
    SETTINGS_PUT,
    SETTINGS_REFUSED_WHOLE,
    NO_CURRENT_LIMIT,
]
NUMBER_ID = f"{SERIAL}_controller_charging_current_limit"


@pytest.fixture(params=SETTINGS_VARIANTS)
def variant(request: pytest.FixtureRequest) -> str:
    """Every reading of the settings' shape and validating write."""
    return str(request.param)


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, clock: SimClock) -> None:
    """Move both clocks to the next poll and let it run."""
    clock.advance(15)
    freezer.tick(15)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def write_path(variant: str) -> str:
    return "PUT /v1/settings" if variant == SETTINGS_PUT else "POST /v1/settings/validate"


# -- client ----------------------------------------------------------------------------------


async def test_client_reads_values_and_meta(v1: V1Setup, variant: str) -> None:
    everything = await v1.client.settings()
    wlan = everything["Enabled_wlan"]
    assert wlan.value == "off"
    assert wlan.writable is True
    assert wlan.description == "WLAN enabled"
    assert "backend-secret" not in repr(everything)
    hardware = everything["HardwareCurrentLimit_hw"]
    assert hardware.writable is False
    limit = find_current_limit(everything)
    if variant == NO_CURRENT_LIMIT:
        assert limit is None
    else:
        assert limit is not None
        assert limit.key == CURRENT_LIMIT_KEY
        assert (limit.value, limit.minimum, limit.maximum, limit.unit) == (32, 6.0, 32.0, "A")
    named = await v1.client.settings(["Enabled_wlan", "WebUIStyle_web"])
    assert {key: item.value for key, item in named.items()} == {
        "Enabled_wlan": "off",
        "WebUIStyle_web": "bender",
    }
    assert v1.sim.requests("GET /v1/settings") == 2


async def test_client_validated_write(v1: V1Setup, variant: str) -> None:
    result = await v1.client.set_settings({"WebUIStyle_web": "dark"})
    assert result.reboot_required is False
    assert v1.device.settings.value("WebUIStyle_web") == "dark"
    result = await v1.client.set_settings({"Enabled_wlan": "on"})
    assert result.reboot_required is True
    assert v1.sim.requests(write_path(variant)) == 2
    # The plain (unvalidated) write is never used.
    assert v1.sim.requests("POST /v1/settings") == 0
    expected = "PUT /settings" if variant == SETTINGS_PUT else "POST /settings/validate"
    assert v1.client.settings_readings == {"validating_write": expected}


async def test_client_refused_write_writes_nothing(v1: V1Setup) -> None:
    with pytest.raises(EvseCommandRejectedError) as caught:
        await v1.client.set_settings({"Enabled_wlan": "on", "SerialNumber_hw": "x"})
    assert "SerialNumber_hw" in str(caught.value)
    assert "not allowed" in str(caught.value)
    assert v1.device.settings.value("Enabled_wlan") == "off"
    with pytest.raises(EvseCommandRejectedError, match="not found"):
        await v1.client.set_settings({"NoSuchKey_x": 1})


async def test_client_without_rest(v1: V1Setup) -> None:
    await v1.client.login()
    v1.device.control("configure", {"rest": "off"})
    with pytest.raises(EvseNotSupportedError):
        await v1.client.set_settings({"WebUIStyle_web": "dark"})


def test_parse_settings_readings() -> None:
    """Meta nested, in groups (also nested groups), or missing; odd modes and flags."""
    parsed = parse_settings(
        {
            "result": {
                "A_x": {"value": 5, "mode": "RW", "type": "int", "unit": "A"},
                "B_x": 7,
                "C_x": {"currentValue": "x", "readOnly": True},
                "D_x": {"nested": "object without value"},
            },
            "groups": [
                {"name": "g", "groups": [{"params": [{"key": "B_x", "writable": "yes"}]}]},
                "not an object",
            ],
        }
    )
    assert parsed["A_x"].writable is True
    assert parsed["A_x"].numeric is True
    assert parsed["B_x"].value == 7
    assert parsed["B_x"].writable is True
    assert parsed["C_x"].value == "x"
    assert parsed["C_x"].writable is False
    assert parsed["D_x"].writable is None
    assert parsed["D_x"].numeric is False
    # A_x speaks of neither a current nor a limit: not taken.
    assert find_current_limit(parsed) is None
    limit = SettingParameter(
        key="ChargingCurrentMax_lm", value=16, meta={"rw": "rw", "type": "float", "unit": "A"}
    )
    assert find_current_limit({limit.key: limit}) == limit


# -- actions ---------------------------------------------------------------------------------


def controller_id(hass: HomeAssistant) -> str:
    return get_device(hass, f"{SERIAL}_controller").id


async def call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        action,
        {"device_id": controller_id(hass), **data},
        blocking=True,
        return_response=True,
    )


async def test_get_settings(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, sim: SimServer, variant: str
) -> None:
    response = await call(hass, "get_settings", {"params": ["Enabled_wlan", "Nope_x"]})
    assert response["missing"] == ["Nope_x"]
    wlan = response["settings"]["Enabled_wlan"]
    assert wlan["value"] == "off"
    assert wlan["meta"]["type"] == "enum"
    assert wlan["meta"]["options"] == ["on", "off"]
    everything = await call(hass, "get_settings", {})
    assert everything["missing"] == []
    assert everything["settings"]["HardwareCurrentLimit_hw"]["meta"]["rw"] == "r"
    assert (CURRENT_LIMIT_KEY in everything["settings"]) is (variant != NO_CURRENT_LIMIT)


async def test_set_settings_and_the_restart_issue(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    sim: SimServer,
    variant: str,
    freezer: FrozenDateTimeFactory,
    clock: SimClock,
) -> None:
    issues = ir.async_get(hass)
    issue_id = f"reboot_required_{loaded_entry.entry_id}"
    response = await call(hass, "set_settings", {"settings": {"WebUIStyle_web": "dark"}})
    assert response["reboot_required"] is False
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    response = await call(hass, "set_settings", {"settings": {"Enabled_wlan": "on"}})
    assert response["reboot_required"] is True
    assert response["params"] == [{"key": "Enabled_wlan", "value": "on", "success": True}]
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"controller": TITLE}
    assert sim.requests(write_path(variant)) == 2
    # Polls on the same session keep the issue; the restart ends the session, and the
    # new login after it removes the issue.
    await tick(hass, freezer, clock)
    assert issues.async_get_issue(DOMAIN, issue_id) is not None
    device.control("web_login", {})
    await tick(hass, freezer, clock)
    assert issues.async_get_issue(DOMAIN, issue_id) is None


async def test_refused_settings_are_translated(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, device: BenderV1Device
) -> None:
    with pytest.raises(HomeAssistantError) as caught:
        await call(hass, "set_settings", {"settings": {"WebUIStyle_web": 3}})
    assert caught.value.translation_key == "settings_rejected"
    placeholders = caught.value.translation_placeholders or {}
    assert placeholders["controller"] == TITLE
    assert "WebUIStyle_web" in placeholders["cause"]
    assert device.settings.value("WebUIStyle_web") == "bender"


async def test_a_refusal_echoing_a_value_shows_no_value(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A controller that quotes the value it refused: the error the user reads does not."""
    secret = "Backend-Passw0rd"
    controls = loaded_entry.runtime_data.site.controls

    async def echo(name: str, values: dict[str, Any]) -> None:
        raise EvseCommandRejectedError(f"OcppServerPassword_ocpp: {secret.lower()!r} refused")

    with (
        patch.object(controls, "async_set", echo),
        pytest.raises(HomeAssistantError) as caught,
    ):
        await call(hass, "set_settings", {"settings": {"OcppServerPassword_ocpp": secret}})
    assert caught.value.translation_key == "settings_rejected"
    cause = (caught.value.translation_placeholders or {})["cause"]
    assert secret.lower() not in cause.lower()
    assert cause == "OcppServerPassword_ocpp: '***' refused"


async def test_current_limit_number(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device: BenderV1Device,
    sim: SimServer,
    variant: str,
) -> None:
    if variant == NO_CURRENT_LIMIT:
        # Only the actions: the controller's meta names no writable current limit.
        assert find_entity_id(hass, "number", NUMBER_ID) is None
        return
    number = entity_state(hass, "number", NUMBER_ID)
    assert number.state == "32.0"
    assert number.attributes["min"] == 6
    assert number.attributes["max"] == 32
    assert number.attributes["unit_of_measurement"] == "A"
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": number.entity_id, "value": 16},
        blocking=True,
    )
    assert device.settings.value(CURRENT_LIMIT_KEY) == 16
    assert sim.requests(write_path(variant)) == 1
    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert entity_state(hass, "number", NUMBER_ID).state == "16.0"


@pytest.mark.parametrize("variant", ["default"])
async def test_current_limit_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, device: BenderV1Device
) -> None:
    # The controller narrowed the range since the meta was read.
    device.settings.parameters[CURRENT_LIMIT_KEY]["max"] = 20
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": entity_state(hass, "number", NUMBER_ID).entity_id, "value": 25},
            blocking=True,
        )
    assert caught.value.translation_key == "settings_rejected"
    assert device.settings.value(CURRENT_LIMIT_KEY) == 32


@pytest.mark.parametrize("variant", ["default"])
async def test_no_setting_value_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
) -> None:
    await call(hass, "get_settings", {})
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)
    text = json.dumps(diagnostics)
    assert "backend-secret" not in text
    assert "wss://backend.example" not in text
