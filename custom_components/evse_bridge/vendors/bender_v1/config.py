"""Bender v1: the config step's form, the client it makes and the connection test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
import voluptuous as vol

from ...api import EvseNotSupportedError, EvseResponseError
from ...api.bender_common import BenderLegacyControllerError, offers_legacy_api
from ...api.bender_v1 import BenderV1Client, ChargePointInfo
from ...contract.http import device_cookie_session
from ...contract.vendor import ProbeResult

DEFAULT_USERNAME = "operator"
#: Entry data: the established units of the transaction summary.
CONF_SUMMARY_UNITS = "summary_units"
#: Entry data: the lifetime meter when the last watched transaction ended (Wh), so a
#: restart does not show the summary's rounding as a dip.
CONF_LIFETIME_WH = "lifetime_wh"


def user_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The config step's form: host, user and password."""
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): TextSelector(),
            vol.Required(
                CONF_USERNAME, default=defaults.get(CONF_USERNAME, DEFAULT_USERNAME)
            ): TextSelector(),
            vol.Required(CONF_PASSWORD): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
        }
    )


def http_session(hass: HomeAssistant) -> aiohttp.ClientSession:
    """A session of its own for one controller (its login cookie) on the devices' pool.

    The owner detaches it when done.
    """
    return device_cookie_session(hass)


def v1_client(http: aiohttp.ClientSession, data: Mapping[str, Any]) -> BenderV1Client:
    """A client for the controller the entry (or the form) names."""
    return BenderV1Client(
        http,
        data[CONF_HOST].strip(),
        data.get(CONF_USERNAME) or DEFAULT_USERNAME,
        data[CONF_PASSWORD],
    )


def controller_title(info: ChargePointInfo) -> str:
    """What the controller calls itself: its charge point id, else model and serial."""
    if info.charge_point_id:
        return info.charge_point_id
    return f"{info.model or 'Charge controller'} {info.serial or info.identifier}"


async def async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    """Log in, read who the controller is, log out again to free the single session."""
    http = http_session(hass)
    client = v1_client(http, data)
    try:
        try:
            info = await client.charge_point_info()
        finally:
            await client.logout()
    except EvseNotSupportedError as err:
        # No v1 API: tell a Legacy controller apart from one with REST disabled.
        if await offers_legacy_api(http, data[CONF_HOST]):
            raise BenderLegacyControllerError("the controller serves the Legacy API") from err
        raise
    finally:
        http.detach()
    if info.identifier is None:
        raise EvseResponseError("the controller states no identity")
    entry_data = {
        CONF_HOST: data[CONF_HOST].strip(),
        CONF_USERNAME: data.get(CONF_USERNAME) or DEFAULT_USERNAME,
        CONF_PASSWORD: data[CONF_PASSWORD],
    }
    if units := data.get(CONF_SUMMARY_UNITS):
        # Reauth and reconfigure reach the same controller (same serial): keep what it showed.
        entry_data[CONF_SUMMARY_UNITS] = units
    # The serial wherever the controller states it; else its OCPP identity or host (the
    # client's ``identity_source`` says which, and diagnostics show it).
    return ProbeResult(unique_id=info.identifier, title=controller_title(info), data=entry_data)
