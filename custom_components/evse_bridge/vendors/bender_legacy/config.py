"""Bender Legacy REST: the config step's form, the client it makes and the connection test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from ...api import EvseNotSupportedError
from ...api.bender_common import BenderV1ControllerError, offers_v1_api
from ...api.bender_legacy import BenderLegacyClient, LegacyState
from ...contract.http import device_clientsession
from ...contract.vendor import ProbeResult

#: Entry data: the authentication scheme the controller accepted (``auth_scheme``).
CONF_AUTH_SCHEME = "auth_scheme"
USERNAMES = ["operator", "manufacturer"]


def user_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The config step's form: host, and the user and password where the controller asks."""
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): TextSelector(),
            vol.Optional(
                CONF_USERNAME, default=defaults.get(CONF_USERNAME, "operator")
            ): SelectSelector(
                SelectSelectorConfig(
                    options=USERNAMES,
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key="legacy_username",
                )
            ),
            vol.Optional(CONF_PASSWORD): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
        }
    )


def legacy_client(hass: HomeAssistant, data: Mapping[str, Any]) -> BenderLegacyClient:
    """A client for the controller the entry (or the form) names."""
    return BenderLegacyClient(
        device_clientsession(hass),
        data[CONF_HOST],
        username=data.get(CONF_USERNAME),
        password=data.get(CONF_PASSWORD),
        auth_scheme=data.get(CONF_AUTH_SCHEME),
    )


def controller_title(state: LegacyState) -> str:
    """What the controller calls itself: its charge point id, else model and serial."""
    if state.charge_point_id:
        return state.charge_point_id
    return f"{state.model or 'Charge controller'} {state.manufacturer_serial or state.serial}"


async def async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    """Read the full state once; keep the credentials and the scheme that authenticated."""
    client = legacy_client(hass, data)
    try:
        state = await client.full_state()
    except EvseNotSupportedError as err:
        # No Legacy API: tell a v1 controller apart from one with REST disabled.
        if await offers_v1_api(device_clientsession(hass), data[CONF_HOST]):
            raise BenderV1ControllerError("the controller serves REST API v1") from err
        raise
    entry_data = {CONF_HOST: data[CONF_HOST].strip()}
    if data.get(CONF_PASSWORD):
        entry_data |= {
            CONF_USERNAME: data.get(CONF_USERNAME) or "operator",
            CONF_PASSWORD: data[CONF_PASSWORD],
            CONF_AUTH_SCHEME: client.auth_scheme,
        }
    return ProbeResult(unique_id=state.serial, title=controller_title(state), data=entry_data)
