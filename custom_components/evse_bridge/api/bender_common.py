"""What the two Bender APIs share: states, addresses, the Legacy body format, detection.

The Legacy REST API and REST API v1 run on the same controllers (CC612/CC613 and
rebrands) and report the same connector states. A config step for one API tells
the user when the controller serves the other; this module lets each client do
that without importing the other's client.
"""

from __future__ import annotations

from enum import StrEnum
import math
from typing import Any

import aiohttp

from .errors import EvseBridgeError, EvseNotSupportedError, EvseResponseError
from .http import DEFAULT_TIMEOUT, decode_json, http_request
from .parsing import get_ci

#: The Legacy API's one endpoint.
FULL_STATE_PATH = "/rest/full_state"
#: The key without which an answer is not a Bender controller's full state.
LEGACY_IDENTITY_KEY = "cc_serial_n"
#: REST API v1 serves under this prefix (some firmware without it), login first.
V1_API_PREFIX = "/v1"
V1_LOGIN_PATH = "/login"


class ConnectionState(StrEnum):
    """``conn_state``: what is plugged in and whether it charges."""

    NO_VEHICLE_CONNECTED = "no_vehicle_connected"
    VEHICLE_CONNECTED_SCHUKO = "vehicle_connected_schuko"
    VEHICLE_CHARGING_SCHUKO = "vehicle_charging_schuko"
    VEHICLE_CONNECTED_TYPE2 = "vehicle_connected_type2"
    VEHICLE_CHARGING_TYPE2 = "vehicle_charging_type2"
    VEHICLE_CONNECTOR_ERROR = "vehicle_connector_error"


class AuthorizationState(StrEnum):
    """``auth_state``."""

    NOT_AUTHORIZED_FOR_CHARGING = "not_authorized_for_charging"
    WAIT_FOR_AUTH = "wait_for_auth"
    AUTHORIZED_FOR_CHARGING = "authorized_for_charging"
    AUTH_TIMEOUT = "auth_timeout"


class OcppState(StrEnum):
    """``ocpp_state`` and ``slave_state``: the OCPP 1.6 connector status."""

    AVAILABLE = "available"
    OCCUPIED = "occupied"
    RESERVED = "reserved"
    UNAVAILABLE = "unavailable"
    FAULTED = "faulted"
    PREPARING = "preparing"
    CHARGING = "charging"
    SUSPENDEDEVSE = "suspendedevse"
    SUSPENDEDEV = "suspendedev"
    FINISHING = "finishing"


class Type2State(StrEnum):
    """``type2_state``: IEC 61851 control pilot state A to E."""

    A = "a"
    B = "b"
    C = "c"
    D = "d"
    E = "e"


_OUT_OF_SERVICE = {OcppState.FAULTED: "faulted", OcppState.UNAVAILABLE: "unavailable"}


def charge_point_state(
    connection: ConnectionState | None, ocpp: OcppState | None, has_errors: bool
) -> str | None:
    """What the controller's one charge point does, in the integration's neutral words.

    ``available``, ``occupied``, ``charging``, ``faulted`` or ``unavailable`` (None when
    no state tells): an active error or a faulted connector first, then what is plugged
    in, then the OCPP status.
    """
    if has_errors or connection is ConnectionState.VEHICLE_CONNECTOR_ERROR:
        return "faulted"
    if ocpp in _OUT_OF_SERVICE:
        return _OUT_OF_SERVICE[ocpp]
    if connection is ConnectionState.NO_VEHICLE_CONNECTED:
        return "available"
    if connection in (
        ConnectionState.VEHICLE_CHARGING_TYPE2,
        ConnectionState.VEHICLE_CHARGING_SCHUKO,
    ):
        return "charging"
    if connection is not None:
        return "occupied"
    if ocpp is None:
        return None
    if ocpp is OcppState.AVAILABLE:
        return "available"
    return "charging" if ocpp is OcppState.CHARGING else "occupied"


def base_url(host: str) -> str:
    """``http://host[:port]`` from what a user typed: a host, host:port or a URL."""
    text = host.strip().rstrip("/")
    if "://" in text:
        return text
    return f"http://{text}"


def _finite(value: Any) -> Any:
    """A JSON value with ``NaN``/``Infinity`` (and ``1e999``) as None, in lists too."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def parse_body(body: str) -> dict[str, Any]:
    """Key/value pairs from a JSON object or ``key:value`` lines.

    JSON numbers stay numbers; ``NaN`` and ``Infinity``, which encoders such as
    Python's emit, and numbers out of range become None (unknown).
    """
    text = body.strip()
    if text.startswith("{"):
        decoded = decode_json(text)
        if not isinstance(decoded, dict):
            raise EvseResponseError("JSON answer is not an object")
        return {str(key): _finite(value) for key, value in decoded.items()}
    values: dict[str, Any] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key and key.replace("_", "").isalnum():
            values[key] = value.strip()
    return values


class BenderLegacyControllerError(EvseNotSupportedError):
    """The controller serves the Legacy REST API (and not the API that was asked for)."""


async def offers_legacy_api(
    session: aiohttp.ClientSession, host: str, *, timeout_s: float = 10.0
) -> bool:
    """Whether ``host`` answers like a Legacy controller: its full state, or a refusal of it."""
    try:
        answer = await http_request(
            session, "GET", base_url(host) + FULL_STATE_PATH, timeout_s=timeout_s
        )
    except EvseBridgeError:
        return False
    if answer.status in (401, 403):
        return True
    if answer.status != 200:
        return False
    try:
        return LEGACY_IDENTITY_KEY in parse_body(answer.text())
    except EvseResponseError:
        return False


class BenderV1ControllerError(EvseNotSupportedError):
    """The controller serves REST API v1 (and not the API that was asked for)."""


async def offers_v1_api(
    session: aiohttp.ClientSession, host: str, *, timeout_s: float = DEFAULT_TIMEOUT
) -> bool:
    """Whether ``host`` hands out a v1 login token (with or without the ``/v1`` prefix)."""
    for prefix in (V1_API_PREFIX, ""):
        try:
            answer = await http_request(
                session, "GET", f"{base_url(host)}{prefix}{V1_LOGIN_PATH}", timeout_s=timeout_s
            )
            payload = answer.json() if answer.status == 200 else None
        except EvseBridgeError:
            continue
        if isinstance(payload, dict) and isinstance(get_ci(payload, "token"), str):
            return True
    return False
