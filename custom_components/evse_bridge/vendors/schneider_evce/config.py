"""Adding an EVCE hub: the form, the hub's certificate, and the connection test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
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

from ...api import EvseBridgeError
from ...api.schneider_evce import EvceProductInfo, EvceSslMode, fetch_certificate_fingerprint
from ...const import CONF_FINGERPRINT, DOMAIN
from ...contract.vendor import ProbeResult
from .model import CONF_CERTIFICATE, CONF_DEVICE_KEYS, CONF_HUB_ID, CONF_HUB_ID_SOURCE
from .site import EvceSite, create_client, ssl_mode


def user_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The form of the EVCE step, pre-filled with ``defaults``."""
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): TextSelector(),
            vol.Required(
                CONF_USERNAME, default=defaults.get(CONF_USERNAME, vol.UNDEFINED)
            ): TextSelector(),
            vol.Required(CONF_PASSWORD): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
            vol.Required(
                CONF_CERTIFICATE,
                default=defaults.get(CONF_CERTIFICATE, EvceSslMode.PINNED.value),
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[mode.value for mode in EvceSslMode],
                    mode=SelectSelectorMode.LIST,
                    translation_key="evce_certificate",
                )
            ),
        }
    )


async def async_certificate_fingerprint(hass: HomeAssistant, data: dict[str, Any]) -> str | None:
    """The hub's certificate fingerprint, when the user chose to pin it."""
    if ssl_mode(data) is not EvceSslMode.PINNED:
        return None
    return await fetch_certificate_fingerprint(data[CONF_HOST])


async def _async_hub_id(data: Mapping[str, Any], info: EvceProductInfo) -> tuple[str, str]:
    """The entry's unique id and where it came from.

    The hub's serial where any answer gives one; else the fingerprint of the
    certificate the hub presents. An entry that took the fingerprint keeps it
    (reauth, reconfigure), so a renewed certificate does not make it another hub.
    """
    stored = data.get(CONF_HUB_ID)
    if stored and data.get(CONF_HUB_ID_SOURCE) == "certificate":
        return str(stored), "certificate"
    if info.serial:
        return info.serial, "serial"
    fingerprint = data.get(CONF_FINGERPRINT)
    if not fingerprint:
        fingerprint = await fetch_certificate_fingerprint(data[CONF_HOST])
    return f"cert-{str(fingerprint)[:32]}", "certificate"


def _running_site(hass: HomeAssistant, unique_id: str, username: str) -> EvceSite | None:
    """The loaded entry's site for this hub and user, if any."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if (
            entry.unique_id == unique_id
            and entry.data.get(CONF_USERNAME) == username
            and entry.state is ConfigEntryState.LOADED
            and isinstance(site := entry.runtime_data.site, EvceSite)
        ):
            return site
    return None


async def async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    """Log in, then read the hub's identity; the token is kept for the entry.

    The hub allows one connection per user, so this login revoked the token of
    an entry already running for the same hub and user (reauth, reconfigure, a
    second attempt to add it): that entry is handed the new token.
    """
    host = data[CONF_HOST].strip()
    client = create_client(hass, {**data, CONF_HOST: host}, token=None)
    await client.login()
    assert client.token is not None
    try:
        info = await client.product_info()
        unique_id, source = await _async_hub_id({**data, CONF_HOST: host}, info)
    except EvseBridgeError:
        await client.logout()
        raise
    if (site := _running_site(hass, unique_id, data[CONF_USERNAME])) is not None:
        site.client.adopt_token(client.token)
    entry_data: dict[str, Any] = {
        key: value for key, value in data.items() if key in (CONF_DEVICE_KEYS,)
    }
    entry_data.update(
        {
            CONF_HOST: host,
            CONF_USERNAME: data[CONF_USERNAME],
            CONF_PASSWORD: data[CONF_PASSWORD],
            CONF_CERTIFICATE: ssl_mode(data).value,
            CONF_TOKEN: client.token,
            CONF_HUB_ID: unique_id,
            CONF_HUB_ID_SOURCE: source,
        }
    )
    if ssl_mode(data) is EvceSslMode.PINNED:
        entry_data[CONF_FINGERPRINT] = data[CONF_FINGERPRINT]
    label = info.name or info.model or "EV Charging Expert"
    return ProbeResult(
        unique_id=unique_id,
        title=f"{label} {info.serial or host}",
        data=entry_data,
    )
