"""HTTP sessions for the controllers and hubs on the local network.

Home Assistant's shared session keeps an idle connection for 15 s: exactly the
Legacy poll, so nearly every poll opened a new TCP connection (and, to a hub, a
new TLS handshake). These sessions keep idle connections for ``KEEPALIVE_S``,
longer than the slowest local poll (30 s), so one connection serves poll after
poll. A connection the device closed meanwhile costs no poll: aiohttp sends an
idempotent request (GET) once more on a fresh connection when a reused one fails.
"""

from __future__ import annotations

import aiohttp
from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import SERVER_SOFTWARE
from homeassistant.util import ssl as ssl_util
from homeassistant.util.hass_dict import HassKey

from ..compat import connection_resolver
from ..const import DOMAIN

#: How long an idle connection to a device stays open (s).
KEEPALIVE_S = 60.0
#: Connections open at once across all devices, and to one device.
MAX_CONNECTIONS = 100
MAX_CONNECTIONS_PER_HOST = 4

_CONNECTORS: HassKey[dict[bool, aiohttp.TCPConnector]] = HassKey(f"{DOMAIN}_device_connectors")
_SESSIONS: HassKey[dict[bool, aiohttp.ClientSession]] = HassKey(f"{DOMAIN}_device_sessions")


@callback
def device_connector(hass: HomeAssistant, *, verify_ssl: bool = True) -> aiohttp.TCPConnector:
    """The connection pool to the local devices, closed when Home Assistant stops."""
    connectors = hass.data.setdefault(_CONNECTORS, {})
    if (connector := connectors.get(verify_ssl)) is not None:
        return connector
    resolver = connection_resolver(hass)
    connector = aiohttp.TCPConnector(
        ssl=ssl_util.client_context() if verify_ssl else ssl_util.client_context_no_verify(),
        keepalive_timeout=KEEPALIVE_S,
        limit=MAX_CONNECTIONS,
        limit_per_host=MAX_CONNECTIONS_PER_HOST,
        resolver=resolver,
    )
    connectors[verify_ssl] = connector

    async def _close(_: Event) -> None:
        for session in hass.data.get(_SESSIONS, {}).values():
            session.detach()
        await connector.close()
        if resolver is not None:  # the connector leaves a resolver it was given open
            await resolver.close()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, _close)
    return connector


@callback
def device_clientsession(hass: HomeAssistant, *, verify_ssl: bool = True) -> aiohttp.ClientSession:
    """The session shared by every entry whose device needs no cookies of its own."""
    sessions = hass.data.setdefault(_SESSIONS, {})
    if (session := sessions.get(verify_ssl)) is None:
        session = sessions[verify_ssl] = _session(hass, verify_ssl, aiohttp.DummyCookieJar())
    return session


@callback
def device_cookie_session(hass: HomeAssistant) -> aiohttp.ClientSession:
    """A session with cookies of its own (one device's login) on the shared pool.

    ``unsafe`` keeps cookies for IP-address hosts too. The owner detaches it when
    done; the pool stays.
    """
    return _session(hass, True, aiohttp.CookieJar(unsafe=True))


def _session(
    hass: HomeAssistant, verify_ssl: bool, cookie_jar: aiohttp.abc.AbstractCookieJar
) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=device_connector(hass, verify_ssl=verify_ssl),
        connector_owner=False,
        cookie_jar=cookie_jar,
        headers={"User-Agent": SERVER_SOFTWARE},
    )
