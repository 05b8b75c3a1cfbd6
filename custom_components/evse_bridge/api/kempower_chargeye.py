"""Kempower ChargEye cloud: charging stations, connectors, power limits and commands.

Authentication: an organisation admin creates a long-lived refresh token in
ChargEye; ``GET /auth/refreshAccessToken`` exchanges it for a JWT valid about
8 h. The JWT is cached and renewed shortly before ``validUntil``; a 401 renews
it once and retries. Only a refused refresh token is an authentication error
(the user must give a new one): the service answers 401 also when the user "has
no permission", so a 401 that survives a fresh JWT is ChargEyePermissionError,
about that one request (a station the account may not operate).

``evseId`` in the connector paths: the one typed example of the document is a
number, the public typings say it is the connector's ``connectorId`` (which may
or may not carry the station prefix). ``evse_id_candidates`` is the one place
that knows the readings; a connector command tries them in turn while the
service answers 400 or 404 (nothing was done), keeps the one that worked for
the next commands (``evse_id_form``), and otherwise raises
ChargEyeConnectorRefusedError with every value it sent.

Rate limits are not published: the client never sends a request before a
``Retry-After`` has passed (it raises EvseRateLimitedError without sending),
and ``get_stations`` (the poll) backs off exponentially after failed polls.

Account identity: the refresh token is a secret and can be replaced, so the
stable identity of the account is read from the JWT's payload (organisation
claim, else ``sub``); a JWT without either falls back to the smallest station
id of the account. The signature is not checked: the claim only names the
account, it grants nothing.

Id tokens (the RFID card or app user that authorized a transaction) are
personal data: ``Transaction.id_token`` is kept out of reprs, nothing here logs
it, and the payloads kept for diagnostics have every id-token field replaced.

Paths and field names follow ``vendor-apis.md`` §4; they live only here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import logging
import math
import re
import time
from typing import Any

import aiohttp

from .errors import (
    EvseAuthenticationError,
    EvseBridgeError,
    EvseCommandRejectedError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseRateLimitedError,
    EvseResponseError,
    secrets_scrubbed,
)
from .http import (
    DEFAULT_TIMEOUT,
    MAX_BODY,
    MAX_LIST_BODY,
    HttpAnswer,
    decode_json,
    http_request,
    path_segment,
)
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
#: The Load Balancing API: the PATCH path is Kempower's; the list's path is not in the
#: public excerpt [A] (its answer is: ``{"tree": {"<id>": {...}}}``).
_POWER_GROUPS_PATH = "/loadBalancing/powerGroups"
_POWER_GROUP_PATH = "/loadBalancing/powerGroup/{group_id}"
#: Removing a station's charging profile(s): the seed documents the body
#: (``chargingProfileId`` or ``chargingProfileCriteria``) and the answer, not the path [A].
_CLEAR_PROFILE_PATH = "/chargingStations/{station_id}/chargingProfile"
#: Where a transaction may name the id token that authorized it (compared in lower case):
#: the document is silent, see ``_id_token``.
_ID_TOKEN_KEYS = ("authorizationToken", "idToken", "idTag", "id_token", "id_tag")
_ID_TOKEN_FIELDS = frozenset(key.lower() for key in _ID_TOKEN_KEYS)
#: What replaces an id token in the payloads kept for diagnostics.
_REDACTED = "**REDACTED**"


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


class GroupLimitation(StrEnum):
    """What a power group's limit counts: AC input current (A) or DC output power (kW)."""

    INPUT_CURRENT = "inputcurrent"
    OUTPUT_POWER = "outputpower"


class EvseIdForm(StrEnum):
    """How a connector is named in the ``evses/{evseId}`` paths (see the module doc)."""

    #: The ``connectorId`` exactly as ``GET /stations`` lists it (the public typings).
    LISTED = "listed"
    #: The ``connectorId`` without the station prefix (``charger1_connector2`` -> ``connector2``).
    LOCAL = "local"
    #: The connector's number in the station (the document's example ``"evseId": 0``).
    NUMBER = "number"
    #: ``<stationId>_<connectorId>`` for a connector listed without the prefix.
    PREFIXED = "prefixed"


class AvailabilityType(StrEnum):
    """Target availability of a connector."""

    OPERATIVE = "Operative"
    INOPERATIVE = "Inoperative"


class ResetType(StrEnum):
    """When a station restarts."""

    IMMEDIATE = "Immediate"
    ON_IDLE = "OnIdle"


class ChargEyePermissionError(EvseCommandRejectedError):
    """A JWT fresh from the token exchange is refused for one request: no permission."""

    def __init__(self, method: str, path: str) -> None:
        """Keep what was refused (paths hold ids, never secrets)."""
        super().__init__(f"no permission for {method} {path} (401 with a fresh token)")
        self.method = method
        self.path = path


class ChargEyeConnectorRefusedError(EvseCommandRejectedError):
    """Every reading of ``evseId`` was answered 400 or 404: what was sent, and the answers."""

    def __init__(
        self, station_id: str, connector_id: str, sent: tuple[tuple[str, int], ...]
    ) -> None:
        """``sent`` holds (evseId, HTTP status) per request."""
        tried = ", ".join(f"evseId {evse_id!r} -> HTTP {status}" for evse_id, status in sent)
        super().__init__(f"station {station_id} refused connector {connector_id}: {tried}")
        self.station_id = station_id
        self.connector_id = connector_id
        self.sent = sent


_AC_CONNECTOR_TYPES = frozenset({ConnectorType.AC, ConnectorType.TYPE2})
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_TRAILING_DIGITS = re.compile(r"(\d+)$")


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
    #: The id token (RFID card, app user) that authorized it: personal data, never logged.
    id_token: str | None = field(default=None, repr=False)

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

    def local_id(self, connector: Connector) -> str:
        """The connector's id without the optional station prefix."""
        return connector.connector_id.removeprefix(f"{self.station_id}_")

    def connector_number(self, connector: Connector) -> int:
        """The connector's number: trailing digits of its id, else of its name, else position."""
        for text in (self.local_id(connector), connector.name or ""):
            if match := _TRAILING_DIGITS.search(text):
                return int(match.group(1))
        return self.connectors.index(connector) + 1 if connector in self.connectors else 1


def evse_id_candidates(
    station: Station, connector: Connector, first: EvseIdForm | None = None
) -> list[tuple[EvseIdForm, str]]:
    """Every reading of ``evseId`` for ``connector``: ``first``, then as EvseIdForm lists them.

    Readings that give the same text as an earlier one are left out.
    """
    local = station.local_id(connector)
    values = {
        EvseIdForm.LISTED: connector.connector_id,
        EvseIdForm.LOCAL: local,
        EvseIdForm.NUMBER: str(station.connector_number(connector)),
        EvseIdForm.PREFIXED: f"{station.station_id}_{local}",
    }
    ordered = sorted(values.items(), key=lambda item: item[0] is not first)
    seen: set[str] = set()
    candidates: list[tuple[EvseIdForm, str]] = []
    for form, value in ordered:
        if value not in seen:
            seen.add(value)
            candidates.append((form, value))
    return candidates


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


def _id_token(raw: Mapping[str, Any]) -> str | None:
    """The id token that authorized a transaction, however the service writes it.

    Kempower's own ``GET /stations`` example names it ``authorizationToken``; the
    seed shows ``idToken`` (text or null) only in the start request. Accepted are
    ``authorizationToken``, ``idToken`` as text, ``idToken`` as an
    OCPP 2.0.1 IdTokenType object (``{"idToken": "...", "type": "..."}``) and
    ``idTag`` (OCPP 1.6), in any letter case.
    """
    value = get_ci(raw, *_ID_TOKEN_KEYS)
    if isinstance(value, Mapping):
        value = get_ci(value, *_ID_TOKEN_KEYS, "id", "value")
    return None if isinstance(value, bool) else to_str(value)


def without_id_tokens(payload: Any) -> Any:
    """A copy of ``payload`` with the value of every id-token field replaced.

    Raw payloads are kept for diagnostics; id tokens are personal data. Fields are
    matched in any letter case (as ``_id_token`` reads them), at any depth.
    """
    if isinstance(payload, Mapping):
        return {
            key: (
                _REDACTED
                if isinstance(key, str) and key.lower() in _ID_TOKEN_FIELDS and value is not None
                else without_id_tokens(value)
            )
            for key, value in payload.items()
        }
    if isinstance(payload, list):
        return [without_id_tokens(item) for item in payload]
    return payload


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
        id_token=_id_token(raw),
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


# -- power groups (Load Balancing API) ---------------------------------------------------

#: The largest group limit taken or sent (A or kW): a site's fuse is far below it.
MAX_GROUP_LIMIT = 100_000.0
#: Where a group may list its stations (compared in lower case): membership is not in the
#: public excerpt, so every plausible reading is accepted, as ids or as objects.
_GROUP_MEMBER_KEYS = (
    "stationIds",
    "chargerIds",
    "stations",
    "chargers",
    "chargingStations",
    "members",
    "devices",
)
_MEMBER_ID_KEYS = ("stationId", "chargerId", "chargingStationId", "id")
#: Where a group may hold its subgroups, as a mapping by id or a list.
_SUBGROUP_KEYS = ("subGroups", "subgroups", "children", "groups", "powerGroups")
#: The field of an output-power limit (kW): only ``maxCurrentA`` is quoted publicly [A].
_POWER_LIMIT_KEYS = ("maxPowerKw", "maxOutputPowerKw", "maxPowerKW")
_CURRENT_LIMIT_KEY = "maxCurrentA"
#: Nesting deeper than this is not read (a cycle in a hostile answer stops here).
_MAX_GROUP_DEPTH = 8


@dataclass(frozen=True, slots=True)
class PowerGroup:
    """A power group: one limit the cloud shares among its stations by their demand."""

    group_id: str
    name: str | None
    limitation: GroupLimitation
    #: The limit in force, in A (input current) or kW (output power); None if not given.
    limit: float | None
    #: The field the limit is written to (the one the answer used).
    limit_field: str
    #: Ids of the stations directly in this group (not in its subgroups).
    station_ids: tuple[str, ...]
    #: The group this one is a subgroup of.
    parent_id: str | None = None
    #: The site's fuse (A), information only.
    site_fuse_a: float | None = None


def _group_limit(value: Any) -> float | None:
    limit = to_float(value)
    return limit if limit is not None and 0 <= limit <= MAX_GROUP_LIMIT else None


def _limitation(value: Any) -> GroupLimitation | None:
    """``InputCurrent`` or an output power (only ``InputCurrent`` is quoted: any spelling)."""
    text = to_str(value)
    if text is None:
        return None
    lowered = text.lower()
    if "current" in lowered:
        return GroupLimitation.INPUT_CURRENT
    if "power" in lowered:
        return GroupLimitation.OUTPUT_POWER
    report_once("GroupLimitation", text, "Unknown power group limitationType %r", text)
    return None


def _member_ids(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The station ids a group lists, under any of the accepted keys and forms."""
    found: list[str] = []
    for key in _GROUP_MEMBER_KEYS:
        members = get_ci(raw, key)
        if isinstance(members, Mapping):
            # Keyed by id, the values the stations (or anything).
            members = [
                item if isinstance(item, Mapping) and get_ci(item, *_MEMBER_ID_KEYS) else member
                for member, item in members.items()
            ]
        for member in members if isinstance(members, list) else []:
            station_id = (
                to_str(get_ci(member, *_MEMBER_ID_KEYS))
                if isinstance(member, Mapping)
                else to_str(member)
            )
            if station_id is not None and station_id not in found:
                found.append(station_id)
    return tuple(found)


def _subgroups(raw: Mapping[str, Any]) -> list[tuple[str | None, Any]]:
    for key in _SUBGROUP_KEYS:
        children = get_ci(raw, key)
        if isinstance(children, Mapping):
            return [(str(child_id), child) for child_id, child in children.items()]
        if isinstance(children, list):
            return [(None, child) for child in children]
    return []


def _parse_group(
    raw: Any, key: str | None, parent_id: str | None, depth: int, found: dict[str, PowerGroup]
) -> None:
    """Add the group ``raw`` (listed under ``key``) and its subgroups to ``found``."""
    if not isinstance(raw, Mapping) or depth > _MAX_GROUP_DEPTH:
        return
    group_id = to_str(get_ci(raw, "groupId", "powerGroupId", "id")) or key
    if group_id is None or group_id in found:
        return
    keys = {str(name).lower(): str(name) for name in raw}
    limitation = _limitation(get_ci(raw, "limitationType"))
    power_field = next((keys[k.lower()] for k in _POWER_LIMIT_KEYS if k.lower() in keys), None)
    if limitation is None:
        # Unnamed: the limit field tells the unit; a current where neither is there.
        has_current = _CURRENT_LIMIT_KEY.lower() in keys
        limitation = (
            GroupLimitation.OUTPUT_POWER
            if power_field is not None and not has_current
            else GroupLimitation.INPUT_CURRENT
        )
    if limitation is GroupLimitation.INPUT_CURRENT:
        limit_field = keys.get(_CURRENT_LIMIT_KEY.lower(), _CURRENT_LIMIT_KEY)
    else:
        limit_field = power_field or _POWER_LIMIT_KEYS[0]
    found[group_id] = PowerGroup(
        group_id=group_id,
        name=to_str(get_ci(raw, "name", "groupName")),
        limitation=limitation,
        limit=_group_limit(raw.get(limit_field)),
        limit_field=limit_field,
        station_ids=_member_ids(raw),
        parent_id=parent_id,
        site_fuse_a=_group_limit(get_ci(raw, "actualSiteFuseSize")),
    )
    for child_key, child in _subgroups(raw):
        _parse_group(child, child_key, group_id, depth + 1, found)


def parse_power_groups(payload: Any) -> list[PowerGroup]:
    """Every group of a power-group answer, subgroups after their group.

    ``{"tree": {"<id>": group}}`` (Kempower's), the tree as a list, ``{"powerGroups": [...]}``,
    ``{"groups": [...]}`` or a bare list; a group's subgroups under any of the accepted keys.
    """
    raw = payload
    if isinstance(payload, Mapping):
        raw = get_ci(payload, "tree", "powerGroups", "groups")
    if isinstance(raw, Mapping):
        top: list[tuple[str | None, Any]] = [(str(key), group) for key, group in raw.items()]
    elif isinstance(raw, list):
        top = [(None, group) for group in raw]
    else:
        raise EvseResponseError("power group list missing from the answer")
    found: dict[str, PowerGroup] = {}
    for key, group in top:
        _parse_group(group, key, None, 0, found)
    return list(found.values())


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _monotonic() -> float:
    # Looked up at each call, so a test that freezes time also freezes the client.
    return time.monotonic()


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitOptions:
    """The documented optional parameters of a power limit.

    Sent as query parameters: the document lists them apart from the body, whose
    example holds only ``limit`` (vendor-assumptions.md).
    """

    charging_profile_id: int | None = None
    comment: str | None = None
    condition: str | None = None
    relative_delay_s: int | None = None
    stack_level: int | None = None

    def params(self) -> dict[str, str]:
        """The parameters given, under the document's names."""
        named = {
            "chargingProfileId": self.charging_profile_id,
            "comment": self.comment,
            "condition": self.condition,
            "relativeDelay": self.relative_delay_s,
            "stackLevel": self.stack_level,
        }
        return {name: str(value) for name, value in named.items() if value is not None}


NO_LIMIT_OPTIONS = LimitOptions()


class ChargEyeAccount:
    """What every client of one organisation shares: its JWT and its request budget.

    Two clients of one organisation (two entries, or an entry and its config flow)
    then exchange the refresh token once, and a ``Retry-After`` the service gave one
    of them holds back the other too.
    """

    def __init__(self) -> None:
        """No JWT yet, no wait."""
        self.token: str | None = None
        #: When to renew the JWT (on the clients' monotonic clock).
        self.token_renew_at = 0.0
        #: When the JWT expires (UTC), to hand it over to another client.
        self.token_valid_until: datetime | None = None
        #: Until when the service asked to send nothing (on the monotonic clock).
        self.blocked_until = 0.0
        self.token_lock = asyncio.Lock()


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
        token: str | None = None,
        token_valid_until: datetime | None = None,
        account: ChargEyeAccount | None = None,
    ) -> None:
        """Keep the session and the secret; nothing is sent yet.

        ``monotonic`` and ``utcnow`` are the clocks: injectable so tests drive
        token expiry and Retry-After without sleeping. ``token`` and
        ``token_valid_until`` hand over a JWT obtained earlier (by the config
        flow's probe), so a new entry needs no second token exchange. ``account``
        is the JWT and request budget shared with the organisation's other clients.
        """
        self._session = session
        self._refresh_token = refresh_token
        self.base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s
        self._monotonic = monotonic
        self._utcnow = utcnow
        self._account = account or ChargEyeAccount()
        if self._account.token is None and token is not None and token_valid_until is not None:
            remaining = (token_valid_until - utcnow()).total_seconds() - TOKEN_RENEW_MARGIN_S
            if remaining > 0:
                self._token = token
                self._token_renew_at = monotonic() + remaining
                self.token_valid_until = token_valid_until
        self._poll_failures = 0
        self._poll_blocked_until = 0.0
        #: Last raw JSON answer of every endpoint, for diagnostics (id tokens replaced).
        self.raw_payloads: dict[str, Any] = {}
        #: How many token exchanges this client made (diagnostics and tests).
        self.token_exchanges = 0
        #: The reading of ``evseId`` the service accepted last (tried first next time).
        self.evse_id_form: EvseIdForm | None = None
        #: Why the power groups were not read last time; None while they are.
        self.power_groups_unavailable: str | None = None
        #: Whether the last read found no Load Balancing API at all (404).
        self.power_groups_missing = False

    # -- what the organisation's clients share -----------------------------

    @property
    def _token(self) -> str | None:
        return self._account.token

    @_token.setter
    def _token(self, value: str | None) -> None:
        self._account.token = value

    @property
    def _token_renew_at(self) -> float:
        return self._account.token_renew_at

    @_token_renew_at.setter
    def _token_renew_at(self, value: float) -> None:
        self._account.token_renew_at = value

    @property
    def token_valid_until(self) -> datetime | None:
        """When the current JWT expires (UTC), to hand it over to another client."""
        return self._account.token_valid_until

    @token_valid_until.setter
    def token_valid_until(self, value: datetime | None) -> None:
        self._account.token_valid_until = value

    @property
    def _blocked_until(self) -> float:
        return self._account.blocked_until

    @_blocked_until.setter
    def _blocked_until(self, value: float) -> None:
        self._account.blocked_until = value

    @property
    def _token_lock(self) -> asyncio.Lock:
        return self._account.token_lock

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

    @property
    def token(self) -> str | None:
        """The JWT in use, to hand over to the entry's client (never logged)."""
        return self._token

    async def _access_token(self, refused: str | None = None) -> tuple[str, bool]:
        """A valid JWT and whether it was exchanged for this call.

        The cached one is returned until it expires or was ``refused``. A JWT that
        worked before may have been revoked since, so a 401 on a cached one always
        renews it once (a command the account may not send costs one exchange).
        """
        async with self._token_lock:
            token = self._token
            if token is not None and token != refused and self._monotonic() < self._token_renew_at:
                return token, False
            return await self._exchange_refresh_token(), True

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
        lifetime = self._lifetime(payload, token)
        self._token = header_token(token, "token")
        self._token_renew_at = self._monotonic() + lifetime
        self.token_valid_until = self._utcnow() + timedelta(seconds=lifetime + TOKEN_RENEW_MARGIN_S)
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
        token, _ = await self._access_token()
        claims = jwt_claims(token)
        for claim in _ACCOUNT_CLAIMS:
            if (value := to_str(claims.get(claim))) is not None:
                return value
        station_ids = sorted(station.station_id for station in await self.get_stations())
        if not station_ids:
            raise EvseResponseError("the account has no identity claim and no station")
        return f"station:{station_ids[0]}"

    # -- requests ----------------------------------------------------------

    async def _authorized(self, method: str, path: str, **kwargs: Any) -> HttpAnswer:
        """Send with the JWT; a 401 renews it once, a 401 on a fresh JWT is no permission."""
        token, fresh = await self._access_token()
        answer = await self._send(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        if answer.status == 401 and not fresh:
            token, fresh = await self._access_token(refused=token)
            answer = await self._send(
                method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
        if answer.status == 401:
            # The refresh token itself was accepted: the account may not do this one thing.
            raise ChargEyePermissionError(method, path)
        return answer

    def _payload(self, answer: HttpAnswer, key: str, *, command: bool) -> Any:
        _raise_for_status(answer, command=command)
        payload: Any = answer.json() if answer.body.strip() else {}
        self.raw_payloads[key] = without_id_tokens(payload)
        return payload

    async def _call(
        self,
        method: str,
        path: str,
        key: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Send an authorized request; return the JSON answer."""
        answer = await self._authorized(method, path, **_request_kwargs(body, params))
        return self._payload(answer, key, command=method != "GET")

    async def _connector_call(
        self,
        method: str,
        station: Station,
        connector: Connector,
        suffix: str,
        key: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """A command on ``evses/{evseId}``: every reading of the id until one is taken."""
        candidates = evse_id_candidates(station, connector, self.evse_id_form)
        sent: list[tuple[str, int]] = []
        for form, evse_id in candidates:
            station_id, evse = path_segment(station.station_id), path_segment(evse_id)
            path = f"/chargingStations/{station_id}/evses/{evse}{suffix}"
            answer = await self._authorized(method, path, **_request_kwargs(body, params))
            if answer.status in (400, 404):
                # Nothing was done: the service did not take this evseId (or this body).
                sent.append((evse_id, answer.status))
                continue
            payload = self._payload(answer, key, command=True)
            if self.evse_id_form is not form:
                _LOGGER.debug("ChargEye takes evseId as %s (%r)", form.value, evse_id)
                self.evse_id_form = form
            return payload
        raise ChargEyeConnectorRefusedError(station.station_id, connector.connector_id, tuple(sent))

    async def get_stations(
        self, location_uid: str | None = None, station_ids: Sequence[str] = ()
    ) -> list[Station]:
        """All stations of the account (one request), optionally of one location.

        This is the poll: after it fails, later polls are refused without a
        request until the back-off has passed.
        """
        if (wait := self.poll_backoff_for) > 0:
            raise EvseConnectionError(f"backing off for {wait:.0f} s after failed polls")
        params: dict[str, str] = {}
        if location_uid:
            params["locationUid"] = location_uid
        if station_ids:
            # Kempower's reference: only these stations (comma-separated).
            params["stationIds"] = ",".join(station_ids)
        try:
            stations = parse_stations(
                await self._call("GET", _STATIONS_PATH, "stations", params=params or None)
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

    async def get_power_groups(self) -> list[PowerGroup]:
        """The account's power groups and their subgroups (one request).

        Raises like any request; the caller treats every error as "no groups for now".
        """
        return parse_power_groups(await self._call("GET", _POWER_GROUPS_PATH, "power_groups"))

    async def optional_power_groups(self) -> list[PowerGroup] | None:
        """The power groups, or None while the account gives none (never raises for that).

        An account without the Load Balancing API (404), without the permission (401,
        403), a server error, a timeout or an answer that is no group list: the groups
        are unknown until the next time they are asked. Logged once per outage; only a
        refused refresh token propagates (the whole entry needs it).
        """
        try:
            groups = await self.get_power_groups()
        except EvseAuthenticationError:
            raise
        except EvseBridgeError as err:
            missing = isinstance(err, EvseNotSupportedError)
            reason = "not offered (404)" if missing else str(err) or type(err).__name__
            if self.power_groups_unavailable is None:
                _LOGGER.info("ChargEye gives no power groups for now: %s", reason)
            self.power_groups_unavailable = reason
            self.power_groups_missing = missing
            return None
        if self.power_groups_unavailable is not None:
            _LOGGER.info("ChargEye gives the power groups again")
            self.power_groups_unavailable = None
        self.power_groups_missing = False
        return groups

    async def set_power_group_limit(self, group: PowerGroup, value: float) -> None:
        """Write a group's limit, in the unit its ``limitationType`` says (a partial PATCH)."""
        if not math.isfinite(value) or not 0 <= value <= MAX_GROUP_LIMIT:
            raise ValueError(f"a power group limit must be 0 to {MAX_GROUP_LIMIT:.0f}")
        payload = await self._call(
            "PATCH",
            _POWER_GROUP_PATH.format(group_id=path_segment(group.group_id)),
            "power_group_limit",
            body={"group": {group.limit_field: value}},
        )
        # ``{"success": true}``; an empty answer took it too, only an explicit no refuses.
        success = get_ci(payload, "success") if isinstance(payload, Mapping) else None
        if success is False or (isinstance(success, str) and success.lower() == "false"):
            detail = error_text(payload) if isinstance(payload, Mapping) else None
            raise EvseCommandRejectedError(
                f"ChargEye refused the group limit{f': {detail}' if detail else ''}"
            )

    async def set_station_power_limit(
        self,
        station: Station,
        value: float,
        unit: LimitUnit,
        options: LimitOptions = NO_LIMIT_OPTIONS,
    ) -> None:
        """Limit a station's power (A or kW as ``unit`` says)."""
        payload = await self._call(
            "PUT",
            f"/chargingStations/{path_segment(station.station_id)}/powerLimit",
            "station_power_limit",
            body={"limit": {unit.value: value}},
            params=options.params(),
        )
        _check_status(payload, ("response",))

    async def clear_station_power_limit(self, station: Station) -> None:
        """Remove a station's power limit."""
        payload = await self._call(
            "DELETE",
            f"/chargingStations/{path_segment(station.station_id)}/powerLimit",
            "station_power_limit_clear",
        )
        _check_status(payload, ("response",), clearing=True)

    async def set_connector_power_limit(
        self,
        station: Station,
        connector: Connector,
        value: float,
        unit: LimitUnit,
        options: LimitOptions = NO_LIMIT_OPTIONS,
    ) -> None:
        """Limit one connector's power."""
        payload = await self._connector_call(
            "PUT",
            station,
            connector,
            "/powerLimit",
            "connector_power_limit",
            body={"limit": {unit.value: value}},
            params=options.params(),
        )
        _check_status(payload, ("response",))

    async def clear_connector_power_limit(self, station: Station, connector: Connector) -> None:
        """Remove one connector's power limit."""
        payload = await self._connector_call(
            "DELETE", station, connector, "/powerLimit", "connector_power_limit_clear"
        )
        _check_status(payload, ("response",), clearing=True)

    async def set_transaction_power_limit(
        self,
        transaction_id: str,
        value: float,
        unit: LimitUnit,
        options: LimitOptions = NO_LIMIT_OPTIONS,
    ) -> None:
        """Limit one running transaction's power."""
        payload = await self._call(
            "PUT",
            f"/transactions/{path_segment(transaction_id)}/powerLimit",
            "transaction_power_limit",
            body={"limit": {unit.value: value}},
            params=options.params(),
        )
        _check_status(payload, ("response",))

    async def clear_transaction_power_limit(self, transaction_id: str) -> None:
        """Remove a transaction's power limit."""
        payload = await self._call(
            "DELETE",
            f"/transactions/{path_segment(transaction_id)}/powerLimit",
            "transaction_power_limit_clear",
        )
        _check_status(payload, ("response",), clearing=True)

    async def set_charging_profile(
        self, station: Station, connector: Connector | None, profile: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Push an OCPP 2.0.1 ChargingProfile to a station or one connector; the answer."""
        body = {"chargingProfile": dict(profile)}
        if connector is None:
            payload = await self._call(
                "PUT",
                f"/chargingStations/{path_segment(station.station_id)}/chargingProfile",
                "charging_profile",
                body=body,
            )
        else:
            payload = await self._connector_call(
                "PUT", station, connector, "/chargingProfile", "charging_profile", body=body
            )
        _check_status(payload, ("response",))
        return dict(payload)

    async def clear_charging_profiles(
        self,
        station: Station,
        *,
        profile_id: int | None = None,
        criteria: Mapping[str, Any] | None = None,
    ) -> None:
        """Remove one charging profile (by id) or every one matching ``criteria``.

        Without either, the station's profiles of every purpose go (the seed's
        criteria are all optional). ``Unknown`` (nothing matched) counts as done.
        """
        body: dict[str, Any] = {}
        if profile_id is not None:
            body["chargingProfileId"] = profile_id
        if criteria is not None:
            body["chargingProfileCriteria"] = dict(criteria)
        path = _CLEAR_PROFILE_PATH.format(station_id=path_segment(station.station_id))
        try:
            payload = await self._call("DELETE", path, "charging_profile_clear", body=body)
            _check_status(payload, ("response",), clearing=True)
        except ChargEyePermissionError:
            raise
        except EvseCommandRejectedError as err:
            raise EvseCommandRejectedError(
                f"station {station.station_id} kept its charging profile: {err}"
            ) from err

    async def set_connector_availability(
        self, station: Station, connector: Connector, operative: bool, reason: str | None = None
    ) -> None:
        """Make a connector Operative or Inoperative (with the document's optional reason)."""
        body: dict[str, Any] = {
            "type": (
                AvailabilityType.OPERATIVE if operative else AvailabilityType.INOPERATIVE
            ).value
        }
        if reason and not operative:
            body["disableTextReason"] = reason
        payload = await self._connector_call(
            "PUT", station, connector, "/availability", "availability", body=body
        )
        _check_status(payload, ("responseFromStation", "response"))

    async def restart_station(self, station: Station, reset_type: ResetType) -> None:
        """Restart a station now or when it is idle."""
        payload = await self._call(
            "POST",
            f"/chargingStations/{path_segment(station.station_id)}/reset",
            "reset",
            body={"type": reset_type.value},
        )
        _check_status(payload, ("responseFromStation", "response"))

    async def start_transaction(
        self,
        station: Station,
        connector: Connector,
        id_token: str | None,
        id_token_type: str = "APP_USER",
    ) -> None:
        """Authorize (start) a session on a connector; the document allows no id token (null)."""
        body: dict[str, Any] = {"idToken": id_token}
        if id_token is not None:
            body["idTokenType"] = id_token_type
        with secrets_scrubbed(id_token):
            payload = await self._connector_call(
                "POST", station, connector, "/transactions", "start_transaction", body=body
            )
            _check_status(payload, ("transactionStartResponse", "response"))

    async def stop_transaction(self, transaction_id: str) -> None:
        """Stop a running session."""
        payload = await self._call(
            "POST", f"/transactions/{path_segment(transaction_id)}/stop", "stop_transaction"
        )
        _check_status(payload, ("transactionStopResponse", "response"))


def _request_kwargs(body: Any, params: Mapping[str, str] | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs["json"] = body
    if params:
        kwargs["params"] = dict(params)
    return kwargs


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


# -- OCPP 2.0.1 ChargingProfile ---------------------------------------------------------------

_PROFILE_PURPOSES = frozenset(
    {
        "ChargingStationExternalConstraints",
        "ChargingStationMaxProfile",
        "TxDefaultProfile",
        "TxProfile",
    }
)
_PROFILE_KINDS = frozenset({"Absolute", "Recurring", "Relative"})
_RECURRENCY_KINDS = frozenset({"Daily", "Weekly"})
_RATE_UNITS = frozenset({"A", "W"})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def _is_datetime(value: Any) -> bool:
    return isinstance(value, str) and _to_datetime(value) is not None


def _schedule_problems(index: int, schedule: Any) -> list[str]:
    where = f"chargingSchedule[{index}]"
    if not isinstance(schedule, Mapping):
        return [f"{where} must be an object"]
    problems: list[str] = []
    if not _is_int(schedule.get("id")):
        problems.append(f"{where}.id must be an integer")
    if schedule.get("chargingRateUnit") not in _RATE_UNITS:
        problems.append(f"{where}.chargingRateUnit must be A or W")
    for name in ("duration", "minChargingRate"):
        if name in schedule and not _is_number(schedule[name]):
            problems.append(f"{where}.{name} must be a number")
    if "startSchedule" in schedule and not _is_datetime(schedule["startSchedule"]):
        problems.append(f"{where}.startSchedule must be an ISO 8601 date and time")
    periods = schedule.get("chargingSchedulePeriod")
    if not isinstance(periods, list) or not periods:
        return [*problems, f"{where}.chargingSchedulePeriod needs at least one period"]
    previous = -1
    for number, period in enumerate(periods):
        at = f"{where}.chargingSchedulePeriod[{number}]"
        if not isinstance(period, Mapping):
            problems.append(f"{at} must be an object")
            continue
        start: Any = period.get("startPeriod")
        if not _is_int(start) or start < 0:
            problems.append(f"{at}.startPeriod must be an integer of seconds >= 0")
        else:
            if start <= previous or (number == 0 and start != 0):
                problems.append(f"{at}.startPeriod must start at 0 and increase")
            previous = start
        limit: Any = period.get("limit")
        if not _is_number(limit) or limit < 0:
            problems.append(f"{at}.limit must be a number >= 0")
        for name in ("numberPhases", "phaseToUse"):
            if name in period and period[name] not in (1, 2, 3):
                problems.append(f"{at}.{name} must be 1, 2 or 3")
    return problems


def charging_profile_problems(profile: Any) -> list[str]:
    """What makes ``profile`` an invalid OCPP 2.0.1 ChargingProfile (empty when valid).

    Checks the required fields, their types and value sets, and the rules of
    the schedule (periods start at 0 and increase; limits are not negative;
    a recurring profile says how it recurs; only a TxProfile names a transaction).
    """
    if not isinstance(profile, Mapping):
        return ["the profile must be an object"]
    problems: list[str] = []
    if not _is_int(profile.get("id")):
        problems.append("id must be an integer")
    stack_level: Any = profile.get("stackLevel")
    if not _is_int(stack_level) or stack_level < 0:
        problems.append("stackLevel must be an integer >= 0")
    purpose = profile.get("chargingProfilePurpose")
    if purpose not in _PROFILE_PURPOSES:
        purposes = ", ".join(sorted(_PROFILE_PURPOSES))
        problems.append(f"chargingProfilePurpose must be one of {purposes}")
    kind = profile.get("chargingProfileKind")
    if kind not in _PROFILE_KINDS:
        problems.append(f"chargingProfileKind must be one of {', '.join(sorted(_PROFILE_KINDS))}")
    recurrency = profile.get("recurrencyKind")
    if kind == "Recurring" and recurrency not in _RECURRENCY_KINDS:
        problems.append("a Recurring profile needs recurrencyKind Daily or Weekly")
    elif recurrency is not None and recurrency not in _RECURRENCY_KINDS:
        problems.append("recurrencyKind must be Daily or Weekly")
    for name in ("validFrom", "validTo"):
        if name in profile and not _is_datetime(profile[name]):
            problems.append(f"{name} must be an ISO 8601 date and time")
    if "transactionId" in profile and purpose != "TxProfile":
        problems.append("only a TxProfile names a transactionId")
    schedules = profile.get("chargingSchedule")
    if not isinstance(schedules, list) or not 1 <= len(schedules) <= 3:
        problems.append("chargingSchedule needs one to three schedules")
    else:
        for index, schedule in enumerate(schedules):
            problems.extend(_schedule_problems(index, schedule))
    return problems
