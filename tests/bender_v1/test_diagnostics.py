"""Diagnostics of a v1 entry after pairing, whitelist and settings actions and a tagged session.

Shown: firmware, states, the running transaction's readings and how the client read the
controller. Hidden: the password, every tag (paired, whitelisted, charging), the OCPP
backend's address and password, the serial numbers.
"""

from __future__ import annotations

import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.evse_bridge.const import DOMAIN
from custom_components.evse_bridge.diagnostics import async_get_config_entry_diagnostics
from simulator.bender_v1 import (
    CHARGE_BOX_SERIAL,
    DEFAULT_PASSWORD,
    DEFAULT_TAG_ID,
    SERIAL,
)
from simulator.clock import SimClock

from ..common import get_device
from .test_entities import CHARGING_AT, tick

CARD = "0477AB12CD34EF"
SECRETS = (
    DEFAULT_PASSWORD,
    DEFAULT_TAG_ID,
    CARD,
    "046e453af012ca3",  # the running transaction's tag
    "backend-secret",
    "wss://backend.example",
    SERIAL,
    CHARGE_BOX_SERIAL,
)


async def call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        action,
        {"device_id": get_device(hass, f"{SERIAL}_controller").id, **data},
        blocking=True,
        return_response=action.startswith(("get_", "start_pairing")),
    )


async def test_diagnostics_show_readings_not_secrets(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    clock: SimClock,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert (await call(hass, "start_pairing", {}))["id"] == DEFAULT_TAG_ID
    await call(hass, "add_whitelist_tag", {"id": CARD})
    await call(hass, "get_whitelist", {})
    settings = await call(hass, "get_settings", {})
    assert "backend-secret" in json.dumps(settings)  # an administrator's answer has them
    clock.advance(CHARGING_AT - clock.now() - 15)
    await tick(hass, freezer, clock)

    # Called directly: the diagnostics view cannot serialize under frozen time.
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_entry)

    text = json.dumps(diagnostics, default=str).lower()
    for secret in SECRETS:
        assert secret.lower() not in text, secret
    raw = diagnostics["raw_payloads"]
    assert raw["settings"]["ChargePointInfo"]["firmwareVersion"] == "5.33.5-20112"
    assert raw["settings"]["ChargePointInfo"]["chargePointSerialNumber"] == "**REDACTED**"
    assert raw["system_state"]["systemState"] == "charging"
    transaction = raw["system_state"]["transaction"]
    assert transaction["idTag"] == "**REDACTED**"
    assert transaction["energy"] > 0
    assert raw["client"]["identity_source"] == "ChargePointInfo.chargePointSerialNumber"
    assert raw["whitelist_readings"]["write_method"] == "POST"
    controller = diagnostics["devices"]["controller"]["data"]
    assert controller["info"]["firmware"] == "5.33.5-20112"
    assert controller["state"]["system"] == "charging"
    assert controller["state"]["authorization"] == "authorized_for_charging"
    assert controller["state"]["transaction"]["id_tag"] == "**REDACTED**"
    assert controller["current_limit"]["value"] == 32
