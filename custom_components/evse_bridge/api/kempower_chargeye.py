"""Kempower ChargEye cloud: charging stations, connectors, power limits and commands.

Authentication: an organisation admin creates a long-lived refresh token in
ChargEye; ``GET /auth/refreshAccessToken`` exchanges it for a JWT valid about
8 h. The JWT is cached and renewed shortly before ``validUntil``; a 401 renews
it once and retries. Only a refused refresh token (or a 401 with a JWT fresh
from that exchange) is an authentication error: the user must give a new one.

Rate limits are not published: the client never sends a request before a
``Retry-After`` has passed (it raises EvseRateLimitedError without sending),
and ``get_stations`` (the poll) backs off exponentially after failed polls.

Account identity: the refresh token is a secret and can be replaced, so the
stable identity of the account is read from the JWT's payload (organisation
claim, else ``sub``); a JWT without either falls back to the smallest station
id of the account. The signature is not checked: the claim only names the
account, it grants nothing.

Paths and field names follow ``vendor-apis.md`` §4; they live only here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import logging
import re
import time
from typing import Any

import aiohttp

from .errors import (
    EvseAuthenticationError,
    EvseCommandRejectedError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseRateLimitedError,
    EvseResponseError,
    secrets_scrubbed,
)
from .http import DEFAULT_TIMEOUT, MAX_BODY, MAX_LIST_BODY, HttpAnswer, decode_json, http_request
from .parsing import (
    error_text,
    get_ci,
    header_token,
    report_once,
    to_enum,
    to_float,
    to_int,
    to_str,
    to_timestamp,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://kempower.io/api"

#: Assumed JWT lifetime when neither ``validUntil`` nor the ``exp`` claim is usable.
DEFAULT_TOKEN_LIFETIME_S = 8 * 3600.0
#: Renew the JWT this long before it expires, so no poll runs into an expired token.
TOKEN_RENEW_MARGIN_S = 300.0
#: A lifetime shorter than this means the clocks disagree; trust the 401 retry instead.
MIN_PLAUSIBLE_LIFETIME_S = 60.0
#: Back-off of the poll after consecutive failures: first, doubling up to the cap.
POLL_BACKOFF_FIRST_S = 30.0
POLL_BACKOFF_MAX_S = 600.0

#: JWT claims that name the organisation/account, most specific first.
_ACCOUNT_CLAIMS = (
    "organizationId",
    "organisationId",
    "organization_id",
    "orgId",
    "org_id",
    "tenantId",
    "customerId",
    "accountId",
    "sub",
)

_AUTH_PATH = "/auth/refreshAccessToken"
#: Fields of the token answer that carry secrets (compared in lower case).
_TOKEN_FIELDS = frozenset({"token", "accesstoken", "refreshtoken"})
_STATIONS_PATH = "/stations"


class StationStatus(StrEnum):
    """Operational status of a charging station."""

    FAULTED = "faulted"
    OPERATIVE = "operative"
    UNAVAILABLE = "unavailable"


class OnlineStatus(StrEnum):
    """Whether the station is connected to the cloud."""

    ONLINE = "online"
    OFFLINE = "offline"


class ConnectorStatus(StrEnum):
    """Status of one connector (evse)."""

    AVAILABLE = "available"
    CHARGING = "charging"
    FAULTED = "faulted"
    OCCUPIED = "occupied"
    RESERVED = "reserved"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


class ConnectorType(StrEnum):
    """Plug type of a connector."""

    AC = "ac"
    CCS = "ccs"
    CHADEMO = "chademo"
    TYPE2 = "type2"
    OPPCHARGE = "oppcharge"


class TransactionStatus(StrEnum):
    """Status of a connector's latest transaction (API values in CamelCase)."""

    ALARM = "alarm"
    AUTHORIZED_NOT_PLUGGED_IN = "authorized_not_plugged_in"
    CHARGING = "charging"
    ENDED = "ended"
    INSULATION_TEST = "insulation_test"
    PLUGGED_IN_IDLE = "plugged_in_idle"
    UNKNOWN = "unknown"


class LimitUnit(StrEnum):
    """How a power limit is expressed; the value is the body's field name."""

    AC_AMPERE = "acMaxPowerA"
    AC_KILOWATT = "acMaxPowerKw"
    DC_KILOWATT = "dcMaxPowerKw"


class AvailabilityType(StrEnum):
    """Target availability of a connector."""

    OPERATIVE = "Operative"
    INOPERATIVE = "Inoperative"


class ResetType(StrEnum):
    """When a station restarts."""

    IMMEDIATE = "Immediate"
    ON_IDLE = "OnIdle"


_AC_CONNECTOR_TYPES = frozenset({ConnectorType.AC, ConnectorType.TYPE2})
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _snake(value: Any) -> Any:
    """``AuthorizedNotPluggedIn`` -> ``Authorized_Not_Plugged_In`` (case is folded later)."""
    return _CAMEL_BOUNDARY.sub("_", value) if isinstance(value, str) else value


def _to_datetime(value: Any) -> datetime | None:
    """Parse an ISO 8601 timestamp (``Z`` allowed); naive values are taken as UTC."""
    text = to_str(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def jwt_claims(token: str) -> dict[str, Any]:
    """Decode the payload of a JWT without verifying it; ``{}`` when it is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = decode_json(base64.urlsafe_b64decode(payload))
    except (EvseResponseError, binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass(frozen=True, slots=True)
class Location:
    """Where a station stands."""

    uid: str | None
    name: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class Transaction:
    """A connector's latest charging session."""

    transaction_id: str | None
    status: TransactionStatus | None
    energy_kwh: float | None
    power_kw: float | None
    soc: int | None
    start_time: datetime | None

    @property
    def running(self) -> bool:
        """Whether the session has not ended."""
        return self.status is not None and self.status is not TransactionStatus.ENDED


@dataclass(frozen=True, slots=True)
class Connector:
    """One connector (``evse`` in the operation paths) of a station."""

    connector_id: str
    name: str | None
    status: ConnectorStatus | None
    connector_type: ConnectorType | None
    max_power_kw: float | None
    max_power_kw_actual: float | None
    reported_power_kw: float | None
    latest_transaction: Transaction | None

    @property
    def running_transaction(self) -> Transaction | None:
        """The latest transaction while it has not ended."""
        transaction = self.latest_transaction
        return transaction if transaction is not None and transaction.running else None

    @property
    def power_kw(self) -> float | None:
        """Power now: the connector's own field, else the running session's, else 0."""
        if self.reported_power_kw is not None:
            return self.reported_power_kw
        running = self.running_transaction
        if running is None:
            return 0.0
        return running.power_kw

    @property
    def is_ac(self) -> bool:
        """Whether the plug is an AC one."""
        return self.connector_type in _AC_CONNECTOR_TYPES


@dataclass(frozen=True, slots=True)
class Station:
    """A charging station with its connectors, as ``GET /stations`` lists it."""

    station_id: str
    name: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    status: StationStatus | None
    online_status: OnlineStatus | None
    current_power_kw: float | None
    current_power_a: float | None
    max_power_kw: float | None
    max_power_a: float | None
    ac_dc_power_ratio: float | None
    location: Location | None
    connectors: tuple[Connector, ...]

    @property
    def is_ac(self) -> bool:
        """Whether this is an AC station: all plugs AC, or only an ampere rating reported."""
        types = {c.connector_type for c in self.connectors if c.connector_type is not None}
        if types:
            return types <= _AC_CONNECTOR_TYPES
        return bool(self.max_power_a) and not self.max_power_kw

    @property
    def limit_unit(self) -> LimitUnit:
        """The unit power limits of this station and its connectors are set in."""
        return LimitUnit.AC_AMPERE if self.is_ac else LimitUnit.DC_KILOWATT

    def connector(self, connector_id: str) -> Connector | None:
        """Return the connector with this id, if the station has it."""
        return next((c for c in self.connectors if c.connector_id == connector_id), None)


def _parse_location(raw: Any) -> Location | None:
    if not isinstance(raw, Mapping):
        return None
    address = get_ci(raw, "address", "streetAddress", "street")
    if isinstance(address, Mapping):
        address = ", ".join(
            text
            for text in (
                to_str(get_ci(address, "street", "streetAddress")),
                to_str(get_ci(address, "city")),
            )
            if text
        )
    return Location(
        uid=to_str(get_ci(raw, "locationUid", "uid", "id")),
        name=to_str(get_ci(raw, "name", "locationName")),
        address=to_str(address),
    )


def _parse_transaction(raw: Any) -> Transaction | None:
    if not isinstance(raw, Mapping):
        return None
    return Transaction(
        transaction_id=to_str(get_ci(raw, "txId", "transactionId", "id")),
        status=to_enum(TransactionStatus, _snake(get_ci(raw, "status"))),
        energy_kwh=to_float(get_ci(raw, "chargedEnergyKwh", "energyKwh", "chargedEnergy")),
        power_kw=to_float(get_ci(raw, "powerKw", "currentPowerKw")),
        soc=to_int(get_ci(raw, "soc", "stateOfCharge")),
        start_time=_to_datetime(get_ci(raw, "startTime", "startedAt")),
    )


def _parse_connector(raw: Any) -> Connector | None:
    if not isinstance(raw, Mapping):
        return None
    connector_id = to_str(get_ci(raw, "connectorId", "evseId", "id"))
    if connector_id is None:
        report_once("chargeye", "connector-id", "A ChargEye connector has no id; it is skipped")
        return None
    return Connector(
        connector_id=connector_id,
        name=to_str(get_ci(raw, "name")),
        status=to_enum(ConnectorStatus, get_ci(raw, "status")),
        connector_type=to_enum(ConnectorType, get_ci(raw, "type", "connectorType")),
        max_power_kw=to_float(get_ci(raw, "maxPowerKw")),
        max_power_kw_actual=to_float(get_ci(raw, "maxPowerKwActual")),
        reported_power_kw=to_float(get_ci(raw, "currentPowerKw", "powerKw")),
        latest_transaction=_parse_transaction(get_ci(raw, "latestTransaction", "transaction")),
    )


def _parse_station(raw: Any) -> Station | None:
    if not isinstance(raw, Mapping):
        return None
    station_id = to_str(get_ci(raw, "stationId", "chargingStationId", "id"))
    if station_id is None:
        report_once("chargeye", "station-id", "A ChargEye station has no id; it is skipped")
        return None
    raw_connectors = get_ci(raw, "connectors", "evses")
    connectors = tuple(
        connector
        for connector in map(
            _parse_connector, raw_connectors if isinstance(raw_connectors, list) else []
        )
        if connector is not None
    )
    return Station(
        station_id=station_id,
        name=to_str(get_ci(raw, "name")),
        model=to_str(get_ci(raw, "model", "modelName", "chargerModel")),
        serial_number=to_str(get_ci(raw, "serialNumber", "serial")),
        firmware_version=to_str(get_ci(raw, "firmwareVersion", "firmware")),
        status=to_enum(StationStatus, get_ci(raw, "status")),
        online_status=to_enum(OnlineStatus, get_ci(raw, "onlineStatus")),
        current_power_kw=to_float(get_ci(raw, "currentPowerKw")),
        current_power_a=to_float(get_ci(raw, "currentPowerA")),
        max_power_kw=to_float(get_ci(raw, "maxPowerKw")),
        max_power_a=to_float(get_ci(raw, "maxPowerA")),
        ac_dc_power_ratio=to_float(get_ci(raw, "acDcPowerRatio")),
        location=_parse_location(get_ci(raw, "location")),
        connectors=connectors,
    )


def parse_stations(payload: Any) -> list[Station]:
    """Stations of a ``GET /stations`` answer: ``{"stations": [...]}`` or a bare list."""
    raw = get_ci(payload, "stations") if isinstance(payload, Mapping) else payload
    if not isinstance(raw, list):
        raise EvseResponseError("station list missing from the answer")
    return [station for station in map(_parse_station, raw) if station is not None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _monotonic() -> float:
    # Looked up at each call, so a test that freezes time also freezes the client.
    return time.monotonic()


class ChargEyeClient:
    """Client of one ChargEye organisation, authenticated by a refresh token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        refresh_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = DEFAULT_TIMEOUT,
        monotonic: Callable[[], float] = _monotonic,
        utcnow: Callable[[], datetime] = _utcnow,
    ) -> None:
        """Keep the session and the secret; nothing is sent yet.

        ``monotonic`` and ``utcnow`` are the clocks: injectable so tests drive
        token expiry and Retry-After without sleeping.
        """
        self._session = session
        self._refresh_token = refresh_token
        self.base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s
        self._monotonic = monotonic
        self._utcnow = utcnow
        self._token: str | None = None
        self._token_renew_at = 0.0
        self._token_lock = asyncio.Lock()
        self._blocked_until = 0.0
        self._poll_failures = 0
        self._poll_blocked_until = 0.0
        #: Last raw JSON answer of every endpoint, for diagnostics.
        self.raw_payloads: dict[str, Any] = {}
        #: How many token exchanges this client made (diagnostics and tests).
        self.token_exchanges = 0

    # -- rate limit and back-off -------------------------------------------

    @property
    def rate_limited_for(self) -> float:
        """Seconds until the service accepts requests again (0 when it does)."""
        return max(0.0, self._blocked_until - self._monotonic())

    @property
    def poll_backoff_for(self) -> float:
        """Seconds until the next poll may be sent after failed polls."""
        return max(0.0, self._poll_blocked_until - self._monotonic())

    async def _send(self, method: str, path: str, **kwargs: Any) -> HttpAnswer:
        """One request, unless a Retry-After is still running."""
        if (wait := self.rate_limited_for) > 0:
            raise EvseRateLimitedError(wait)
        try:
            return await http_request(
                self._session,
                method,
                f"{self.base_url}{path}",
                timeout_s=self._timeout_s,
                max_body=MAX_LIST_BODY if path == _STATIONS_PATH else MAX_BODY,
                **kwargs,
            )
        except EvseRateLimitedError as err:
            self._blocked_until = self._monotonic() + err.retry_after
            _LOGGER.debug("ChargEye asks to wait %.0f s before the next request", err.retry_after)
            raise

    # -- token -------------------------------------------------------------

    async def _access_token(self, refused: str | None = None) -> str:
        """Return a valid JWT: the cached one, or a new one when it expires or was ``refused``."""
        async with self._token_lock:
            token = self._token
            if token is not None and token != refused and self._monotonic() < self._token_renew_at:
                return token
            return await self._exchange_refresh_token()

    async def _exchange_refresh_token(self) -> str:
        self._token = None
        answer = await self._send(
            "GET", _AUTH_PATH, headers={"Authorization": f"Bearer {self._refresh_token}"}
        )
        self.token_exchanges += 1
        if answer.status in (400, 401, 403):
            raise EvseAuthenticationError("ChargEye refused the refresh token")
        _raise_for_status(answer)
        payload = answer.json()
        token = (
            to_str(get_ci(payload, "token", "accessToken")) if isinstance(payload, dict) else None
        )
        if token is None:
            raise EvseResponseError("token missing from the refresh answer")
        # Keep the shape for diagnostics, never the JWT itself.
        self.raw_payloads["token_exchange"] = {
            key: value for key, value in payload.items() if str(key).lower() not in _TOKEN_FIELDS
        }
        self._token = header_token(token, "token")
        self._token_renew_at = self._monotonic() + self._lifetime(payload, token)
        return token

    def _lifetime(self, payload: Mapping[str, Any], token: str) -> float:
        """Seconds to use the JWT for, measured on the injectable clocks."""
        valid_until = _to_datetime(get_ci(payload, "validUntil", "expiresAt"))
        if valid_until is None:
            valid_until = to_timestamp(jwt_claims(token).get("exp"))
        lifetime = DEFAULT_TOKEN_LIFETIME_S
        if valid_until is not None:
            lifetime = (valid_until - self._utcnow()).total_seconds()
            if lifetime < MIN_PLAUSIBLE_LIFETIME_S:
                # Our clock is off (or the service's): use the documented lifetime, 401 covers us.
                lifetime = DEFAULT_TOKEN_LIFETIME_S
            # Never longer than the documented lifetime, however far away the expiry claims to be.
            lifetime = min(lifetime, DEFAULT_TOKEN_LIFETIME_S)
        return max(MIN_PLAUSIBLE_LIFETIME_S, lifetime - TOKEN_RENEW_MARGIN_S)

    async def account_id(self) -> str:
        """Return the stable identity of the account behind the refresh token (see module doc)."""
        token = await self._access_token()
        claims = jwt_claims(token)
        for claim in _ACCOUNT_CLAIMS:
            if (value := to_str(claims.get(claim))) is not None:
                return value
        station_ids = sorted(station.station_id for station in await self.get_stations())
        if not station_ids:
            raise EvseResponseError("the account has no identity claim and no station")
        return f"station:{station_ids[0]}"

    # -- requests ----------------------------------------------------------

    async def _call(
        self, method: str, path: str, key: str, *, body: Any = None, params: Any = None
    ) -> Any:
        """Send an authorized request, renewing the JWT once on 401; return the JSON answer."""
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs["json"] = body
        if params:
            kwargs["params"] = params
        token = await self._access_token()
        answer = await self._send(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        if answer.status == 401:
            fresh = await self._access_token(refused=token)
            answer = await self._send(
                method, path, headers={"Authorization": f"Bearer {fresh}"}, **kwargs
            )
            if answer.status == 401:
                # A token straight from the exchange is refused: the refresh token's user
                # lacks access, which only a different refresh token can fix.
                raise EvseAuthenticationError("ChargEye refuses access with a fresh token")
        _raise_for_status(answer, command=method != "GET")
        if not answer.body.strip():
            payload: Any = {}
        else:
            payload = answer.json()
        self.raw_payloads[key] = payload
        return payload

    async def get_stations(self, location_uid: str | None = None) -> list[Station]:
        """All stations of the account (one request), optionally of one location.

        This is the poll: after it fails, later polls are refused without a
        request until the back-off has passed.
        """
        if (wait := self.poll_backoff_for) > 0:
            raise EvseConnectionError(f"backing off for {wait:.0f} s after failed polls")
        params = {"locationUid": location_uid} if location_uid else None
        try:
            stations = parse_stations(
                await self._call("GET", _STATIONS_PATH, "stations", params=params)
            )
        except EvseRateLimitedError:
            raise
        except (EvseConnectionError, EvseResponseError):
            self._poll_failures += 1
            delay = min(POLL_BACKOFF_MAX_S, POLL_BACKOFF_FIRST_S * 2 ** (self._poll_failures - 1))
            self._poll_blocked_until = self._monotonic() + delay
            raise
        self._poll_failures = 0
        self._poll_blocked_until = 0.0
        return stations

    async def set_station_power_limit(self, station_id: str, value: float, unit: LimitUnit) -> None:
        """Limit a station's power (A or kW as ``unit`` says)."""
        payload = await self._call(
            "PUT",
            f"/chargingStations/{station_id}/powerLimit",
            "station_power_limit",
            body={"limit": {unit.value: value}},
        )
        _check_status(payload, ("response",))

    async def clear_station_power_limit(self, station_id: str) -> None:
        """Remove a station's power limit."""
        payload = await self._call(
            "DELETE", f"/chargingStations/{station_id}/powerLimit", "station_power_limit_clear"
        )
        _check_status(payload, ("response",), clearing=True)

    async def set_connector_power_limit(
        self, station_id: str, connector_id: str, value: float, unit: LimitUnit
    ) -> None:
        """Limit one connector's power."""
        payload = await self._call(
            "PUT",
            f"/chargingStations/{station_id}/evses/{connector_id}/powerLimit",
            "connector_power_limit",
            body={"limit": {unit.value: value}},
        )
        _check_status(payload, ("response",))

    async def clear_connector_power_limit(self, station_id: str, connector_id: str) -> None:
        """Remove one connector's power limit."""
        payload = await self._call(
            "DELETE",
            f"/chargingStations/{station_id}/evses/{connector_id}/powerLimit",
            "connector_power_limit_clear",
        )
        _check_status(payload, ("response",), clearing=True)

    async def set_connector_availability(
        self, station_id: str, connector_id: str, operative: bool, reason: str | None = None
    ) -> None:
        """Make a connector Operative or Inoperative."""
        body: dict[str, Any] = {
            "type": (
                AvailabilityType.OPERATIVE if operative else AvailabilityType.INOPERATIVE
            ).value
        }
        if reason and not operative:
            body["disableTextReason"] = reason
        payload = await self._call(
            "PUT",
            f"/chargingStations/{station_id}/evses/{connector_id}/availability",
            "availability",
            body=body,
        )
        _check_status(payload, ("responseFromStation", "response"))

    async def restart_station(self, station_id: str, reset_type: ResetType) -> None:
        """Restart a station now or when it is idle."""
        payload = await self._call(
            "POST",
            f"/chargingStations/{station_id}/reset",
            "reset",
            body={"type": reset_type.value},
        )
        _check_status(payload, ("responseFromStation", "response"))

    async def start_transaction(
        self, station_id: str, connector_id: str, id_token: str, id_token_type: str = "APP_USER"
    ) -> None:
        """Authorize (start) a session on a connector with an id token."""
        with secrets_scrubbed(id_token):
            payload = await self._call(
                "POST",
                f"/chargingStations/{station_id}/evses/{connector_id}/transactions",
                "start_transaction",
                body={"idToken": id_token, "idTokenType": id_token_type},
            )
            _check_status(payload, ("transactionStartResponse", "response"))

    async def stop_transaction(self, transaction_id: str) -> None:
        """Stop a running session."""
        payload = await self._call(
            "POST", f"/transactions/{transaction_id}/stop", "stop_transaction"
        )
        _check_status(payload, ("transactionStopResponse", "response"))


def _raise_for_status(answer: HttpAnswer, *, command: bool = False) -> None:
    """Map an unsuccessful HTTP status to a library error.

    A command refused with a client error (bad value, no permission for this
    station) is a rejection the user sees, not a broken connection.
    """
    status = answer.status
    if 200 <= status < 300:
        return
    if status == 404:
        raise EvseNotSupportedError("ChargEye does not know this resource (404)")
    if command and status in (400, 403, 409, 422):
        raise EvseCommandRejectedError(f"ChargEye refused the request ({status})")
    if status >= 500:
        raise EvseConnectionError(f"ChargEye server error ({status})")
    raise EvseResponseError(f"unexpected status {status}")


#: Answers that mean the station took the command (OCPP 2.0.1 status words).
_ACCEPTED = frozenset({"accepted", "scheduled"})
#: Clearing a limit that was not set answers Unknown: nothing is left to clear.
_CLEARED = frozenset({"accepted", "unknown"})


def _check_status(payload: Any, fields: tuple[str, ...], *, clearing: bool = False) -> None:
    """Raise unless the answer's status word says the station accepted the command."""
    if not isinstance(payload, Mapping):
        raise EvseResponseError("command answer is not an object")
    value = get_ci(payload, *fields)
    reason: str | None = None
    if isinstance(value, Mapping):
        value = get_ci(value, "status", "response")
    info = get_ci(payload, "statusInfo")
    if isinstance(info, Mapping):
        reason = to_str(get_ci(info, "reasonCode")) or to_str(get_ci(info, "additionalInfo"))
    status = to_str(value)
    if status is None:
        if (error := error_text(payload)) is not None:
            raise EvseCommandRejectedError(f"ChargEye refused the command: {error}")
        raise EvseResponseError("command answer has no status")
    if status.lower() in (_CLEARED if clearing else _ACCEPTED):
        return
    detail = f" ({reason})" if reason else ""
    raise EvseCommandRejectedError(f"station answered {status}{detail}")
