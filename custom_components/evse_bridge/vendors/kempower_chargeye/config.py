"""The ChargEye config form, its connection test, and the client an entry's data makes.

The user hands over a refresh token; the probe exchanges it once and the JWT it
obtains goes into the entry, so the first poll needs no second exchange.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import contextlib
from datetime import datetime
import ipaddress
from typing import Any

from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util.hass_dict import HassKey
import voluptuous as vol
from yarl import URL

from ...api import EvseBridgeError
from ...api.kempower_chargeye import (
    DEFAULT_BASE_URL,
    ChargEyeAccount,
    ChargEyeClient,
    Station,
)
from ...const import DOMAIN
from ...contract.vendor import ProbeResult

CONF_REFRESH_TOKEN = "refresh_token"
CONF_LOCATION = "location_uid"
CONF_ADVANCED = "advanced"
CONF_SERVER_URL = "server_url"
#: Entry data: when the handed-over JWT (``token``) expires, ISO 8601.
CONF_TOKEN_VALID_UNTIL = "token_valid_until"
#: Entry data: limits this entry set and had accepted, by device key.
CONF_LIMITS = "limits"


class NoStationsError(EvseBridgeError):
    """The account (or the chosen location) has no charging station."""


class InsecureServerError(EvseBridgeError):
    """The server URL is not ``https://`` (plain HTTP only to this machine, for tests)."""


def check_server_url(url: str) -> None:
    """Refuse a server the refresh token must not travel to: not HTTPS, or no host.

    ``http://`` is accepted only for a loopback address: a simulator on this machine.
    """
    try:
        parsed = URL(url)
    except ValueError as err:
        raise InsecureServerError from err
    host = parsed.host or ""
    if parsed.user is not None or parsed.password is not None or not host:
        raise InsecureServerError
    if parsed.scheme == "https":
        return
    if parsed.scheme == "http":
        with contextlib.suppress(ValueError):
            if ipaddress.ip_address(host.strip("[]")).is_loopback:
                return
    raise InsecureServerError


def user_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The refresh token, an optional location filter, and the server (collapsed)."""
    return vol.Schema(
        {
            vol.Required(CONF_REFRESH_TOKEN): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            ),
            # Defaults to "" so that emptying it in reconfigure removes the stored filter.
            vol.Optional(
                CONF_LOCATION,
                default="",
                description={"suggested_value": defaults.get(CONF_LOCATION)},
            ): TextSelector(),
            vol.Required(CONF_ADVANCED): section(
                vol.Schema(
                    {
                        vol.Required(CONF_SERVER_URL, default=_server_url(defaults)): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.URL)
                        ),
                    }
                ),
                # Open when it holds another server, so a form shown again after an error
                # shows the URL the user typed.
                {"collapsed": _server_url(defaults) == DEFAULT_BASE_URL},
            ),
        }
    )


def server_address(data: Mapping[str, Any]) -> str:
    """Where the refresh token goes: the server URL of a form or of stored entry data."""
    return _server_url(data)


def _server_url(data: Mapping[str, Any]) -> str:
    """The server from the advanced section of a form, or from stored entry data."""
    advanced = data.get(CONF_ADVANCED)
    if isinstance(advanced, Mapping) and advanced.get(CONF_SERVER_URL):
        return str(advanced[CONF_SERVER_URL]).strip().rstrip("/")
    return str(data.get(CONF_SERVER_URL) or DEFAULT_BASE_URL).strip().rstrip("/")


def _valid_until(data: Mapping[str, Any]) -> datetime | None:
    text = data.get(CONF_TOKEN_VALID_UNTIL)
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


#: The shared state of each organisation in use, by (server, account id), and how many
#: entries hold it.
_ACCOUNTS: HassKey[dict[tuple[str, str], tuple[ChargEyeAccount, int]]] = HassKey(
    f"{DOMAIN}_chargeye_accounts"
)


def account_key(data: Mapping[str, Any], account_id: str) -> tuple[str, str]:
    """Which organisation on which server the entry data names."""
    return (_server_url(data), account_id)


def acquire_account(hass: HomeAssistant, key: tuple[str, str]) -> ChargEyeAccount:
    """The JWT and request budget every entry of this organisation on this server shares."""
    accounts = hass.data.setdefault(_ACCOUNTS, {})
    account, holders = accounts.get(key, (ChargEyeAccount(), 0))
    accounts[key] = (account, holders + 1)
    return account


def release_account(hass: HomeAssistant, key: tuple[str, str]) -> None:
    """An entry no longer uses the organisation's shared state; the last one drops it."""
    accounts = hass.data[_ACCOUNTS]
    account, holders = accounts.pop(key)
    if holders > 1:
        accounts[key] = (account, holders - 1)


def create_client(
    hass: HomeAssistant, data: Mapping[str, Any], account: ChargEyeAccount | None = None
) -> ChargEyeClient:
    """A client for entry (or form) data, starting with the JWT stored there, if any."""
    token = data.get(CONF_TOKEN)
    return ChargEyeClient(
        async_get_clientsession(hass),
        str(data[CONF_REFRESH_TOKEN]).strip(),
        base_url=_server_url(data),
        token=token if isinstance(token, str) else None,
        token_valid_until=_valid_until(data),
        account=account,
    )


def token_data(client: ChargEyeClient) -> dict[str, Any]:
    """The client's JWT as entry data, for the next client to start with."""
    if client.token is None or client.token_valid_until is None:
        return {}
    return {CONF_TOKEN: client.token, CONF_TOKEN_VALID_UNTIL: client.token_valid_until.isoformat()}


async def async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    """Exchange the refresh token once; the JWT is handed to the entry."""
    # Before any request: the refresh token goes to this server.
    check_server_url(_server_url(data))
    # A JWT left in the data (reauth, reconfigure) may belong to the old refresh token.
    client = create_client(hass, {key: value for key, value in data.items() if key != CONF_TOKEN})
    location = str(data.get(CONF_LOCATION) or "").strip() or None
    account = await client.account_id()
    stations = await client.get_stations(location)
    if not stations:
        raise NoStationsError
    title = "Kempower ChargEye"
    if location is not None:
        place = stations[0].location
        title = f"{title} {place.name if place and place.name else location}"
    entry_data: dict[str, Any] = {
        CONF_REFRESH_TOKEN: str(data[CONF_REFRESH_TOKEN]).strip(),
        CONF_SERVER_URL: _server_url(data),
        **token_data(client),
    }
    if location is not None:
        entry_data[CONF_LOCATION] = location
    return ProbeResult(
        unique_id=account,
        title=title,
        data=entry_data,
        locations={} if location is not None else account_locations(stations),
    )


def account_locations(stations: Sequence[Station]) -> dict[str, str]:
    """The locations the stations name (UID to name, the UID where they give no name)."""
    return {
        station.location.uid: station.location.name or station.location.uid
        for station in stations
        if station.location is not None and station.location.uid
    }
