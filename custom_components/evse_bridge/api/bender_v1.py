"""Bender / ebee Charge Controller REST API v1.

Every path and field name of this API lives in this module. What the vendor
documents leave open follows ``vendor-apis.md`` §2; the remaining assumptions
of this module are marked [A]:

- ``systemState``: the documents show only ``idle`` (while a vehicle charges), so
  no value set is assumed: the value is kept as sent, and charging is derived
  from the connection and OCPP states.
- ``transactions/summary``: the units of ``totalDuration`` and
  ``totalConsumption`` are not documented; they are kept as sent, and
  ``SummaryUnits.establish`` decides them from a watched transaction.
- [A] The session id: ``session.id``, ``sessionId``/``session_id`` (in
  ``session`` or at the top level), a bare string ``session``, or only a cookie
  the login sets (``session_id_location`` says which).
- [A] ``ChargePointInfo`` keys are compared without regard to case; the serial
  is the first of the BootNotification serials, else any key naming a serial.
- [A] Pairing mode is enabled with POST; a controller answering 405 gets PUT.
- [A] The controller answers a pairing request it cannot serve (not idle) with
  ``{"success": false, "cause": ...}`` or a 400/403/409 status.
- [A] ``GET whitelist/pairing`` before a tag was read answers without ``id``.

Sessions: a login is a one-time token (``GET login``) followed by
``POST login`` with ``sha256_hex(password + token)``; the session id is sent
as the bare ``Authorization`` header. A session dies after 60 s without calls,
and whenever anybody else logs in with the same user (for example from the
web UI), so a 401 is answered by one fresh login and one retry. Only a fresh
login that the controller refuses twice (each time with its own new token)
raises ``EvseAuthenticationError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
import hashlib
import logging
import re
import time
from typing import Any

import aiohttp
from yarl import URL

# connectionState, authState, ocppState and type2State take the legacy API's values.
from .bender_common import (
    V1_API_PREFIX,
    V1_LOGIN_PATH,
    AuthorizationState,
    ConnectionState,
    OcppState,
    Type2State,
    base_url,
)
from .errors import (
    EvseAuthenticationError,
    EvseBridgeError,
    EvseCertificateError,
    EvseCommandRejectedError,
    EvseConnectionError,
    EvseDetailUnavailableError,
    EvseNotSupportedError,
    EvseResponseError,
)
from .http import DEFAULT_TIMEOUT, HttpAnswer, http_request
from .parsing import error_object_text, get_ci, header_token, to_enum, to_float, to_int, to_str

_LOGGER = logging.getLogger(__name__)

#: Firmware 5.33 prefixes every path; 5.32 serves the same paths without it.
API_PREFIX = V1_API_PREFIX
LOGIN_PATH = V1_LOGIN_PATH
LOGOUT_PATH = "/logout"
SYSTEM_STATE_PATH = "/system_state"
LOGGING_PATH = "/logging"
TRANSACTION_SUMMARY_PATH = "/transactions/summary"
TRANSACTIONS_ACTIVE_PATH = "/transactions/active"
SETTINGS_PATH = "/settings"
PAIRING_PATH = "/whitelist/pairing"

#: How long the controller keeps a session without calls, and its pairing mode.
SESSION_TIMEOUT_S = 60.0
PAIRING_WINDOW_S = 60.0
PAIRING_POLL_INTERVAL_S = 2.0

#: A login unit (token + login) is tried this often before the credentials are blamed:
#: a token requested by someone else in between invalidates ours.
LOGIN_ATTEMPTS = 2

_PAIRING_REFUSAL_STATUSES = frozenset({400, 403, 409, 423})


#: The one documented ``systemState``.
SYSTEM_IDLE = "idle"
#: Words Home Assistant reserves for states, and what a sent one is shown as instead.
_RESERVED_STATES = {"unavailable": "inoperative", "unknown": "status_unknown"}
#: Longest state Home Assistant stores.
_MAX_STATE_LENGTH = 255

#: Answers of ``GET /v1/login`` that mean "no login here": try the unprefixed path.
_NO_LOGIN_HERE = frozenset({400, 404, 405, 501})
#: ``ChargePointInfo`` keys of the serial, in order of preference; then any key naming one.
_SERIAL_KEYS = (
    "chargePointSerialNumber",
    "chargeBoxSerialNumber",
    "serialNumber",
    "serial_number",
    "serial",
)
#: Names the OCPP charge point id may have in ``ChargePointInfo`` or the settings [A].
_CHARGE_POINT_ID_KEYS = (
    "chargePointId",
    "chargeBoxIdentity",
    "chargePointIdentity",
    "ocppChargePointId",
    "ocppChargeBoxIdentity",
)


class MessageLevel(StrEnum):
    """``type`` of a logging message: errors prevent charging, warnings inform."""

    ERROR = "error"
    WARNING = "warning"


class TagType(StrEnum):
    """``tagType`` of a tag read in pairing mode, spelt as the document does."""

    RFID = "RFID"
    EVCCID = "EVCCID"
    NFC = "NFC"

    @classmethod
    def _missing_(cls, value: object) -> TagType | None:
        text = str(value).upper()
        return next((member for member in cls if member.value == text), None)


_CHARGING_CONNECTIONS = frozenset(
    {ConnectionState.VEHICLE_CHARGING_TYPE2, ConnectionState.VEHICLE_CHARGING_SCHUKO}
)


@dataclass(frozen=True, slots=True)
class Transaction:
    """The running transaction, as ``system_state`` reports it."""

    id: str | None
    started: str | None
    duration_s: int | None
    energy_wh: float | None
    power_w: float | None
    #: The tag that authorized it: personal data, out of reprs, redacted in diagnostics.
    id_tag: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class SystemState:
    """``system_state``: the controller's states, temperature and running transaction.

    ``system`` is ``systemState`` as sent (lower case; a word Home Assistant
    reserves is renamed: ``unavailable`` → ``inoperative``, ``unknown`` →
    ``status_unknown``).
    """

    system: str | None
    connection: ConnectionState | None
    authorization: AuthorizationState | None
    ocpp: OcppState | None
    type2: Type2State | None
    ambient_temperature_c: float | None
    transaction: Transaction | None

    @property
    def charging(self) -> bool | None:
        """Whether energy flows to a vehicle; None when no state tells."""
        if self.connection is not None:
            return self.connection in _CHARGING_CONNECTIONS
        if self.ocpp is not None:
            return self.ocpp is OcppState.CHARGING
        return None

    @property
    def idle(self) -> bool:
        """Whether the controller is idle, the only state that allows pairing mode."""
        if self.transaction is not None or self.charging:
            return False
        if self.system is not None:
            return self.system == SYSTEM_IDLE
        return self.connection is ConnectionState.NO_VEHICLE_CONNECTED


@dataclass(frozen=True, slots=True)
class LogMessage:
    """One active error or warning of the controller."""

    level: MessageLevel | None
    text: str | None
    timestamp: str | None


@dataclass(frozen=True, slots=True)
class ControllerLog:
    """``logging``: the active errors and warnings."""

    messages: tuple[LogMessage, ...]

    @property
    def errors(self) -> tuple[LogMessage, ...]:
        """Messages that prevent charging."""
        return tuple(item for item in self.messages if item.level is MessageLevel.ERROR)

    @property
    def warnings(self) -> tuple[LogMessage, ...]:
        """Messages that only inform."""
        return tuple(item for item in self.messages if item.level is MessageLevel.WARNING)


@dataclass(frozen=True, slots=True)
class TransactionSummary:
    """``transactions/summary`` over every completed transaction, in the units sent."""

    count: int | None
    total_duration: float | None
    total_consumption: float | None


#: Units the summary may use: energy Wh or kWh, duration s or min, as factors to Wh and s.
ENERGY_UNITS = {"Wh": 1.0, "kWh": 1000.0}
DURATION_UNITS = {"s": 1.0, "min": 60.0}


def _matching_unit(units: Mapping[str, float], growth: float, watched: float) -> str | None:
    """The one unit in which ``growth`` matches ``watched`` (in base units), else None.

    The summary may round to whole units and the last value seen of a
    transaction lags its end by up to a poll, hence the tolerance: 15 % of the
    expected growth, at least one whole unit.
    """
    fitting = [
        unit
        for unit, factor in units.items()
        if abs(growth - watched / factor) <= max(0.15 * watched / factor, 1.0)
    ]
    return fitting[0] if len(fitting) == 1 else None


@dataclass(frozen=True, slots=True)
class SummaryUnits:
    """Units of the transaction summary, each None until evidence established it."""

    energy: str | None = None
    duration: str | None = None

    def establish(
        self,
        before: TransactionSummary,
        after: TransactionSummary,
        watched: list[Transaction],
    ) -> SummaryUnits:
        """Compare the summary's growth with the transactions watched to their end.

        ``watched`` are the transactions that ended between ``before`` and
        ``after`` as last seen running (energy in Wh, duration in s). Evidence
        counts only when the summary grew by exactly those transactions.
        """
        if (
            not watched
            or before.count is None
            or after.count is None
            or after.count - before.count != len(watched)
        ):
            return self
        energy, duration = self.energy, self.duration
        watched_wh = [item.energy_wh for item in watched]
        if (
            energy is None
            and before.total_consumption is not None
            and after.total_consumption is not None
            and None not in watched_wh
        ):
            energy = _matching_unit(
                ENERGY_UNITS,
                after.total_consumption - before.total_consumption,
                sum(value or 0.0 for value in watched_wh),
            )
        watched_s = [item.duration_s for item in watched]
        if (
            duration is None
            and before.total_duration is not None
            and after.total_duration is not None
            and None not in watched_s
        ):
            duration = _matching_unit(
                DURATION_UNITS,
                after.total_duration - before.total_duration,
                float(sum(value or 0 for value in watched_s)),
            )
        return SummaryUnits(energy, duration)

    def energy_wh(self, summary: TransactionSummary | None) -> float | None:
        """The summary's total energy in Wh, once its unit is established."""
        if summary is None or summary.total_consumption is None or self.energy is None:
            return None
        return summary.total_consumption * ENERGY_UNITS[self.energy]

    def duration_s(self, summary: TransactionSummary | None) -> float | None:
        """The summary's total duration in s, once its unit is established."""
        if summary is None or summary.total_duration is None or self.duration is None:
            return None
        return summary.total_duration * DURATION_UNITS[self.duration]


@dataclass(frozen=True, slots=True)
class ChargePointInfo:
    """``ChargePointInfo`` of the settings: the OCPP BootNotification identity.

    ``serial_key`` is the key the serial was read from, as the controller spells it.
    """

    vendor: str | None
    model: str | None
    serial: str | None
    serial_key: str | None
    firmware: str | None
    charge_point_id: str | None = None
    #: A stable identifier for the controller: the serial wherever the controller states
    #: it, else its OCPP charge point id, else its host; ``identity_source`` says which.
    identifier: str | None = None
    identity_source: str | None = None


@dataclass(frozen=True, slots=True)
class PairingTag:
    """A tag read in pairing mode; its id is personal data and kept out of reprs."""

    id: str = field(repr=False)
    tag_type: TagType | None


def password_hash(password: str, token: str) -> str:
    """Hash the password as documented: SHA-256 hex of the password followed by the token."""
    return hashlib.sha256((password + token).encode("utf-8")).hexdigest()


def _object(answer: HttpAnswer, what: str) -> dict[str, Any]:
    """Return the JSON object of a successful answer; map error statuses onto library errors."""
    if answer.status == 404:
        raise EvseNotSupportedError(f"controller does not offer {what}")
    if answer.status >= 500:
        raise EvseConnectionError(f"controller answered HTTP {answer.status} for {what}")
    if not 200 <= answer.status < 300:
        raise EvseResponseError(f"controller answered HTTP {answer.status} for {what}")
    payload = answer.json()
    if not isinstance(payload, dict):
        raise EvseResponseError(f"{what} is not a JSON object")
    return payload


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _session_id(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """The session id of a login answer and where it sat, or None when the body has none."""
    session = get_ci(payload, "session")
    if isinstance(session, Mapping):
        found = to_str(get_ci(session, "id", "sessionId", "session_id"))
        if found is not None:
            return found, "session.id"
    elif (found := to_str(session)) is not None:
        return found, "session"
    if (found := to_str(get_ci(payload, "sessionId", "session_id"))) is not None:
        return found, "sessionId"
    return None


def parse_transaction(payload: Any) -> Transaction | None:
    """Parse the running transaction; None when there is none."""
    if not isinstance(payload, Mapping) or not payload:
        return None
    return Transaction(
        id=to_str(get_ci(payload, "id", "transactionId", "transaction_id")),
        started=to_str(get_ci(payload, "startTime", "start", "started", "start_time")),
        duration_s=to_int(get_ci(payload, "duration", "durationS", "duration_s")),
        energy_wh=to_float(get_ci(payload, "energy", "energyWh", "consumption")),
        power_w=to_float(get_ci(payload, "power", "powerW", "currentPower")),
        id_tag=to_str(get_ci(payload, *_TAG_KEYS)),
    )


def _system(value: Any) -> str | None:
    text = to_str(value)
    if text is None:
        return None
    text = text.lower()[:_MAX_STATE_LENGTH]
    return _RESERVED_STATES.get(text, text)


def parse_system_state(payload: Mapping[str, Any]) -> SystemState:
    """Tolerant parse of ``system_state``."""
    return SystemState(
        system=_system(get_ci(payload, "systemState", "system_state")),
        connection=to_enum(ConnectionState, get_ci(payload, "connectionState", "conn_state")),
        authorization=to_enum(AuthorizationState, get_ci(payload, "authState", "auth_state")),
        ocpp=to_enum(OcppState, get_ci(payload, "ocppState", "ocpp_state")),
        type2=to_enum(Type2State, get_ci(payload, "type2State", "type2_state")),
        ambient_temperature_c=to_float(get_ci(payload, "ambientTemp", "ambient_temp")),
        transaction=parse_transaction(get_ci(payload, "transaction")),
    )


def parse_log(payload: Mapping[str, Any]) -> ControllerLog:
    """Tolerant parse of ``logging``; entries that are not objects are skipped."""
    entries = get_ci(payload, "messages")
    messages = tuple(
        LogMessage(
            level=to_enum(MessageLevel, get_ci(entry, "type", "level", "severity")),
            text=to_str(get_ci(entry, "message", "text")),
            timestamp=to_str(get_ci(entry, "timestamp", "time")),
        )
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, Mapping)
    )
    return ControllerLog(messages)


def parse_transaction_summary(payload: Mapping[str, Any]) -> TransactionSummary:
    """Tolerant parse of ``transactions/summary``."""
    return TransactionSummary(
        count=to_int(get_ci(payload, "transactionCount")),
        total_duration=to_float(get_ci(payload, "totalDuration")),
        total_consumption=to_float(get_ci(payload, "totalConsumption")),
    )


def _first_key(payload: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, str] | None:
    """The first of ``names`` (any letter case) with a value: (key as sent, value)."""
    by_name = {key.lower(): key for key in payload if isinstance(key, str)}
    for name in names:
        key = by_name.get(name.lower())
        if key is not None and (value := to_str(payload[key])) is not None:
            return key, value
    return None


def _serial(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    if (found := _first_key(payload, _SERIAL_KEYS)) is not None:
        return found
    # Set-up must not fail only because the serial sits under a name nobody listed.
    others = tuple(key for key in payload if isinstance(key, str) and "serial" in key.lower())
    return _first_key(payload, tuple(sorted(others)))


def _settings_by_name(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings values by key without the group (``OcppServerUrl_ocpp`` -> ``OcppServerUrl``).

    A value may come with its meta (``{"value": ..., "type": ...}``).
    """
    return {
        key.split("_", 1)[0]: get_ci(value, "value") if isinstance(value, Mapping) else value
        for key, value in settings.items()
        if isinstance(key, str)
    }


def _charge_point_id(info: Mapping[str, Any], settings: Mapping[str, Any]) -> str | None:
    if (found := _first_key(info, _CHARGE_POINT_ID_KEYS)) is not None:
        return found[1]
    found = _first_key(_settings_by_name(settings), _CHARGE_POINT_ID_KEYS)
    return None if found is None else found[1]


def _settings_serial(settings: Mapping[str, Any]) -> tuple[str, str] | None:
    """A serial among the settings parameters: (parameter key as sent, value)."""
    by_name = _settings_by_name(settings)
    found = _serial(by_name)
    if found is None:
        return None
    full_key = next(
        (key for key in settings if isinstance(key, str) and key.split("_", 1)[0] == found[0]),
        found[0],
    )
    return full_key, found[1]


def parse_charge_point_info(
    payload: Mapping[str, Any], settings: Mapping[str, Any] | None = None
) -> ChargePointInfo:
    """Tolerant parse of ``ChargePointInfo``; ``settings`` (the result) may name the station."""
    settings = settings or {}
    serial = _serial(payload)
    source = None if serial is None else f"ChargePointInfo.{serial[0]}"
    if serial is None and (serial := _settings_serial(settings)) is not None:
        source = f"settings.{serial[0]}"
    charge_point_id = _charge_point_id(payload, settings)
    identifier = None if serial is None else serial[1]
    if identifier is None and charge_point_id is not None:
        identifier, source = charge_point_id, "charge_point_id"
    return ChargePointInfo(
        vendor=to_str(get_ci(payload, "chargePointVendor")),
        model=to_str(get_ci(payload, "chargePointModel")),
        serial=None if serial is None else serial[1],
        serial_key=None if serial is None else serial[0],
        firmware=to_str(get_ci(payload, "firmwareVersion")),
        charge_point_id=charge_point_id,
        identifier=identifier,
        identity_source=source,
    )


def parse_pairing_tag(payload: Mapping[str, Any]) -> PairingTag | None:
    """Parse the tag read in pairing mode; None while none was read."""
    tag_id = to_str(get_ci(payload, "id", "tagId"))
    if tag_id is None:
        return None
    return PairingTag(
        id=tag_id, tag_type=to_enum(TagType, get_ci(payload, "tagType", "tag_type", "type"))
    )


# -- Local whitelist ------------------------------------------------------------------------
# The document gives the whitelist's operations and bodies but not their paths or methods:
# [A] ``GET /whitelist?type=local`` lists; add, edit and clear are ``POST /whitelist`` (``PUT``
# when the controller answers 405); ``DELETE /whitelist?type=local&ids=...`` deletes, and the
# documented (deprecated) body form ``{"type","command":"delete","tags":[...]}`` is sent when
# the controller answers ``missing parameter 'tags'`` (the document's own sample answer).

WHITELIST_PATH = "/whitelist"
WHITELIST_TYPE = "local"
#: The document caps the ``ids`` query at 1000 characters, commas included.
WHITELIST_IDS_QUERY_MAX = 1000
#: Stands in for a tag id in error texts: tag ids are personal data.
TAG_PLACEHOLDER = "<tag>"


class WhitelistCommand(StrEnum):
    """``command`` of a whitelist write."""

    ADD = "add"
    EDIT = "edit"
    CLEAR = "clear"


class WhitelistPriority(StrEnum):
    """``priority`` of a whitelist entry (the wire form is upper case)."""

    NORMAL = "normal"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class WhitelistEntry:
    """One entry of the local whitelist; its id is personal data and kept out of reprs."""

    id: str = field(repr=False)
    tag_type: TagType | None = None
    name: str | None = None
    number: int | None = None
    user_id: str | None = None
    priority: WhitelistPriority | None = None


def whitelist_entry_body(entry: WhitelistEntry) -> dict[str, Any]:
    """The documented ``WhitelistEntry`` object; unset optional fields are left out."""
    body: dict[str, Any] = {"id": entry.id}
    if entry.tag_type is not None:
        body["tagType"] = entry.tag_type.value.upper()
    if entry.number is not None:
        body["number"] = entry.number
    if entry.name is not None:
        body["name"] = entry.name
    if entry.user_id is not None:
        body["userid"] = entry.user_id
    if entry.priority is not None:
        body["priority"] = entry.priority.value.upper()
    return body


def parse_whitelist_entry(payload: Any) -> WhitelistEntry | None:
    """Tolerant parse of one listed entry; None when it has no id."""
    if not isinstance(payload, Mapping) or (tag_id := to_str(get_ci(payload, "id"))) is None:
        return None
    return WhitelistEntry(
        id=tag_id,
        tag_type=to_enum(TagType, get_ci(payload, "tagType", "tag_type")),
        name=to_str(get_ci(payload, "name")),
        number=to_int(get_ci(payload, "number")),
        user_id=to_str(get_ci(payload, "userid", "userId", "user_id")),
        priority=to_enum(WhitelistPriority, get_ci(payload, "priority")),
    )


def scrub_tags(text: str, tag_ids: Iterable[str]) -> str:
    """``text`` with every given tag id replaced, whatever its letter case."""
    for tag_id in sorted(set(tag_ids), key=len, reverse=True):
        if tag_id:
            text = re.sub(re.escape(tag_id), TAG_PLACEHOLDER, text, flags=re.IGNORECASE)
    return text


def _refusal_cause(payload: Any) -> str | None:
    """The controller's ``cause`` when a ``success``/``cause`` answer says no, else None."""
    if not isinstance(payload, Mapping):
        return None
    success = get_ci(payload, "success")
    if success is False or str(success).lower() == "false":
        return to_str(get_ci(payload, "cause", "message", "error")) or "no cause given"
    if success is None:
        # An error object without ``success`` (and nothing else) is no success either.
        return error_object_text(payload)
    return None


def _chunks(tag_ids: Sequence[str], limit: int) -> list[list[str]]:
    """Split ids into groups whose comma-joined length stays within ``limit``."""
    groups: list[list[str]] = []
    current: list[str] = []
    length = 0
    for tag_id in tag_ids:
        extra = len(tag_id) + (1 if current else 0)
        if current and length + extra > limit:
            groups.append(current)
            current, length, extra = [], 0, len(tag_id)
        current.append(tag_id)
        length += extra
    if current:
        groups.append(current)
    return groups


# -- Settings parameters ----------------------------------------------------------------------
# [C] ``GET /settings?params=A,B`` answers ``{"result": {...}, "groups": [...]}``; without
# ``params`` every parameter with its meta (type, read/write mode, descriptions, default).
# [A] A parameter in ``result`` is either its bare value or an object holding ``value`` and
# its meta; meta may also (or only) sit in ``groups`` as objects naming the parameter by
# ``key``/``name``. [A] The validating write (path not in the document) is
# ``POST /settings/validate``; a controller answering 404/405 there gets ``PUT /settings``.
# [A] A refusal is ``{"success": false, "cause": ...}`` (any status) or, in the answer's
# ``params``, an entry with ``success``/``valid`` false and its ``cause``.

SETTINGS_VALIDATE_PATH = "/settings/validate"
#: Candidate (method, path) of the validating write, most likely first.
SETTINGS_WRITE_READINGS = (("POST", SETTINGS_VALIDATE_PATH), ("PUT", SETTINGS_PATH))
#: The document caps the ``params`` query at 4000 characters, commas included.
SETTINGS_QUERY_MAX = 4000
_VALUE_KEYS = ("value", "currentValue", "current_value", "val")
_NUMERIC_TYPES = frozenset(
    {"int", "integer", "uint", "float", "double", "number", "numeric", "decimal", "real"}
)
_GROUP_CHILDREN = ("params", "parameters", "items", "settings", "groups")
_CURRENT_WORDS = re.compile(r"current|ampere|strom", re.IGNORECASE)
_LIMIT_WORDS = re.compile(r"limit|max|begrenz", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SettingParameter:
    """One settings parameter: its value (may be a secret: kept out of reprs) and meta."""

    key: str
    value: Any = field(repr=False)
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def writable(self) -> bool | None:
        """Whether the meta says the parameter can be written; None when it does not tell."""
        if (flag := get_ci(self.meta, "writable", "write", "editable")) is not None:
            return str(flag).lower() in ("true", "1", "yes")
        if (flag := get_ci(self.meta, "readOnly", "read_only", "readonly")) is not None:
            return str(flag).lower() not in ("true", "1", "yes")
        mode = to_str(get_ci(self.meta, "mode", "rw", "access", "accessMode", "permission"))
        if mode is None:
            return None
        return "w" in mode.lower()

    @property
    def numeric(self) -> bool:
        """Whether the meta gives a number type."""
        kind = to_str(get_ci(self.meta, "type", "valueType", "dataType"))
        return kind is not None and kind.lower() in _NUMERIC_TYPES

    @property
    def unit(self) -> str | None:
        """Unit from the meta."""
        return to_str(get_ci(self.meta, "unit", "units"))

    @property
    def minimum(self) -> float | None:
        """Lower bound from the meta."""
        return to_float(get_ci(self.meta, "min", "minimum", "minValue"))

    @property
    def maximum(self) -> float | None:
        """Upper bound from the meta."""
        return to_float(get_ci(self.meta, "max", "maximum", "maxValue"))

    @property
    def description(self) -> str | None:
        """Short description from the meta."""
        return to_str(
            get_ci(self.meta, "short", "shortDescription", "description", "label", "title")
        )


@dataclass(frozen=True, slots=True)
class SettingsWriteResult:
    """The validating write's answer."""

    params: tuple[Any, ...]
    reboot_required: bool | None


def _group_meta(groups: Any) -> dict[str, dict[str, Any]]:
    """Meta by parameter key from ``groups`` (objects naming their parameters)."""
    found: dict[str, dict[str, Any]] = {}
    stack = list(groups) if isinstance(groups, list) else []
    while stack:
        item = stack.pop()
        if not isinstance(item, Mapping):
            continue
        for nested in _GROUP_CHILDREN:
            if isinstance(children := get_ci(item, nested), list):
                stack.extend(children)
        key = to_str(get_ci(item, "key", "param", "parameter"))
        if key is not None:
            found[key] = {
                name: value
                for name, value in item.items()
                if name.lower() not in ("key", "param", "parameter", *_lower(_VALUE_KEYS))
                and name.lower() not in _GROUP_CHILDREN
            }
    return found


def _lower(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(name.lower() for name in names)


def parse_settings(payload: Mapping[str, Any]) -> dict[str, SettingParameter]:
    """Every parameter of a settings answer, with the meta found for it."""
    result = _mapping(get_ci(payload, "result"))
    group_meta = _group_meta(get_ci(payload, "groups"))
    parameters: dict[str, SettingParameter] = {}
    for key, raw in result.items():
        meta = dict(group_meta.get(key, {}))
        value = raw
        if isinstance(raw, Mapping) and any(get_ci(raw, name) is not None for name in _VALUE_KEYS):
            value = next(get_ci(raw, name) for name in _VALUE_KEYS if get_ci(raw, name) is not None)
            meta.update(
                {
                    name: item
                    for name, item in raw.items()
                    if name.lower() not in _lower(_VALUE_KEYS)
                }
            )
        parameters[str(key)] = SettingParameter(key=str(key), value=value, meta=meta)
    return parameters


def find_current_limit(parameters: Mapping[str, SettingParameter]) -> SettingParameter | None:
    """The charging current limit, where the controller's meta identifies one.

    [A] A writable number parameter in amperes whose key or description speaks of a
    current and a limit (or maximum). A parameter whose meta does not say it is
    writable, or gives no number type, is never taken.
    """
    for parameter in sorted(parameters.values(), key=lambda item: item.key):
        if parameter.writable is not True or not parameter.numeric:
            continue
        unit = (parameter.unit or "").strip().lower()
        if unit not in ("a", "ampere", "amperes"):
            continue
        text = f"{parameter.key} {parameter.description or ''}"
        if _CURRENT_WORDS.search(text) and _LIMIT_WORDS.search(text):
            return parameter
    return None


def _settings_refusal(payload: Any) -> str | None:
    """Why a validating write was refused: the whole answer's cause, or each key's."""
    if (cause := _refusal_cause(payload)) is not None and (
        not isinstance(payload, Mapping) or get_ci(payload, "params") is None
    ):
        return cause
    params = get_ci(payload, "params") if isinstance(payload, Mapping) else None
    causes = []
    for item in params if isinstance(params, list) else []:
        if not isinstance(item, Mapping):
            continue
        ok = get_ci(item, "success", "valid", "validated")
        if ok is False or str(ok).lower() == "false":
            key = to_str(get_ci(item, "key")) or "?"
            reason = to_str(get_ci(item, "cause", "error", "message", "reason")) or "invalid"
            causes.append(f"{key}: {reason}")
    if causes:
        return "; ".join(causes)
    return cause


class BenderV1Client:
    """One controller's REST API v1, with its session kept and renewed internally.

    Calls may run concurrently (a pairing wait next to a poll): they share one
    session, and a 401 seen by several calls at once causes a single login.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        username: str,
        password: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Address the controller; ``sleep``/``monotonic`` pace the pairing wait (tests)."""
        self._http = session
        self._base_url = base_url(host)
        self._username = username
        self._password = password
        self._timeout_s = timeout_s
        self._sleep = sleep
        self._monotonic = monotonic
        self._prefix: str | None = None
        self._session_id: str | None = None
        #: Where the controller put the session id (``session.id``, ``cookie:<name>``, ...).
        self.session_id_location: str | None = None
        #: The method that enabled pairing mode (POST as assumed, or PUT after a 405).
        self.pairing_method = "POST"
        #: The key ``ChargePointInfo`` carried the serial under, as last read.
        self.serial_key: str | None = None
        #: Where the identifier came from (``ChargePointInfo.<key>``, ``settings.<key>``,
        #: ``charge_point_id``, ``host``), as last read.
        self.identity_source: str | None = None
        #: Optional paths whose last request failed, and how (for diagnostics).
        self.unavailable: dict[str, str] = {}
        self._login_lock = asyncio.Lock()
        #: Last JSON answer of every polled endpoint, for diagnostics.
        self.raw_payloads: dict[str, Any] = {}
        #: Successful logins since this client was made (diagnostics, measurements).
        self.login_count = 0

    @property
    def host_url(self) -> str:
        """The controller's base URL."""
        return self._base_url

    @property
    def api_prefix(self) -> str | None:
        """``/v1``, ``""`` for unprefixed firmware, or None before the first login."""
        return self._prefix

    @property
    def readings(self) -> dict[str, Any]:
        """How this controller reads where the documents are silent (for diagnostics)."""
        return {
            "api_prefix": self._prefix,
            "session_id_location": self.session_id_location,
            "serial_key": self.serial_key,
            "pairing_method": self.pairing_method,
            "identity_source": self.identity_source,
            "unavailable": dict(self.unavailable),
        }

    @property
    def logged_in(self) -> bool:
        """Whether a session is held (it may have expired at the controller)."""
        return self._session_id is not None

    # Sessions

    async def login(self) -> None:
        """Log in now with the configured credentials (replacing a held session)."""
        async with self._login_lock:
            await self._login_unit()

    async def logout(self) -> None:
        """End the session; best effort, since the controller ends it after 60 s anyway."""
        async with self._login_lock:
            session_id, self._session_id = self._session_id, None
            if session_id is None or self._prefix is None:
                return
            try:
                answer = await self._send("POST", LOGOUT_PATH, session_id)
            except EvseBridgeError as err:
                _LOGGER.debug("Logout from %s failed: %s", self._base_url, err)
                return
            if answer.status != 200:
                _LOGGER.debug("Logout from %s answered HTTP %s", self._base_url, answer.status)

    async def _login_unit(self) -> str:
        """Token and login, tried together; the credentials are blamed only on repeated refusal."""
        self._session_id = None
        for attempt in range(1, LOGIN_ATTEMPTS + 1):
            token = await self._request_token()
            session_id = await self._submit_login(token)
            if session_id is not None:
                self._session_id = session_id
                self.login_count += 1
                _LOGGER.debug("Logged in to %s", self._base_url)
                return session_id
            _LOGGER.debug("Login to %s refused (attempt %d)", self._base_url, attempt)
        raise EvseAuthenticationError("controller refused the username or password")

    async def _request_token(self) -> str:
        """Get a one-time login token; the first call finds out whether paths carry ``/v1``."""
        prefixes = (API_PREFIX, "") if self._prefix is None else (self._prefix,)
        for prefix in prefixes:
            answer = await self._request("GET", prefix + LOGIN_PATH)
            if answer.status in _NO_LOGIN_HERE and prefix != prefixes[-1]:
                # Firmware without the prefix may answer the unknown path otherwise than 404.
                continue
            if answer.status == 404:
                continue
            payload = _object(answer, "a login token")
            token = get_ci(payload, "token")
            if not isinstance(token, str) or not token:
                raise EvseResponseError("login token missing from the answer")
            if self._prefix is None:
                _LOGGER.debug("%s serves the API at %r", self._base_url, prefix or "/")
                self._prefix = prefix
            return token
        raise EvseNotSupportedError("controller offers no REST API v1 (REST interface disabled?)")

    def _cookies(self) -> set[tuple[str, str]]:
        jar = self._http.cookie_jar.filter_cookies(URL(self._base_url))
        return {(name, morsel.value) for name, morsel in jar.items()}

    async def _submit_login(self, token: str) -> str | None:
        """POST the login; the session id, or None when the controller refused it.

        The id comes from the body, else from a cookie the login set (which the
        session's cookie jar then also sends with every call).
        """
        cookies_before = self._cookies()
        answer = await self._request(
            "POST",
            self._path(LOGIN_PATH),
            json={"username": self._username, "password": password_hash(self._password, token)},
        )
        if answer.status in (401, 403):
            return None
        payload = _object(answer, "the login")
        logged_in = get_ci(payload, "logged_in", "loggedIn")
        if logged_in is False or str(logged_in).lower() == "false":
            return None
        if (found := _session_id(payload)) is not None:
            session_id, self.session_id_location = found
            return header_token(session_id, "session id")
        new_cookies = sorted(self._cookies() - cookies_before)
        if not new_cookies:
            raise EvseResponseError("login accepted without a session id")
        name, session_id = new_cookies[0]
        self.session_id_location = f"cookie:{name}"
        return header_token(session_id, "session id")

    async def _current_session(self) -> str:
        if (session_id := self._session_id) is not None:
            return session_id
        async with self._login_lock:
            if (session_id := self._session_id) is not None:
                return session_id
            return await self._login_unit()

    async def _renew_session(self, stale: str) -> str:
        """Replace a session the controller refused, unless a concurrent call already did."""
        async with self._login_lock:
            if self._session_id is not None and self._session_id != stale:
                return self._session_id
            _LOGGER.debug(
                "Session at %s ended (timeout or another login); logging in again", self._base_url
            )
            return await self._login_unit()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> HttpAnswer:
        """Send an authorized request; a refused session costs one login and one retry."""
        session_id = await self._current_session()
        answer = await self._send(method, path, session_id, params=params, json=json)
        if answer.status != 401:
            return answer
        session_id = await self._renew_session(session_id)
        answer = await self._send(method, path, session_id, params=params, json=json)
        if answer.status == 401:
            async with self._login_lock:
                if self._session_id == session_id:
                    self._session_id = None
            raise EvseResponseError("controller refused a session it had just granted")
        return answer

    # Endpoints

    async def system_state(self) -> SystemState:
        """States, ambient temperature and the running transaction."""
        payload = _object(await self._call("GET", SYSTEM_STATE_PATH), "system_state")
        self.raw_payloads["system_state"] = payload
        return parse_system_state(payload)

    async def logging(self) -> ControllerLog:
        """Return the active errors and warnings."""
        payload = await self._optional_object(LOGGING_PATH, "logging")
        self.raw_payloads["logging"] = payload
        return parse_log(payload)

    async def transaction_summary(self) -> TransactionSummary:
        """Count, duration and energy of all completed transactions."""
        payload = await self._optional_object(TRANSACTION_SUMMARY_PATH, "transactions/summary")
        self.raw_payloads["transactions_summary"] = payload
        return parse_transaction_summary(payload)

    async def transaction_active(self) -> bool | None:
        """Whether a transaction runs, per ``transactions/active``; None when it does not tell."""
        payload = await self._optional_object(TRANSACTIONS_ACTIVE_PATH, "transactions/active")
        self.raw_payloads["transactions_active"] = payload
        active = get_ci(payload, "success", "active")
        return active if isinstance(active, bool) else None

    async def _optional_object(self, path: str, what: str) -> dict[str, Any]:
        """The answer of an endpoint no feature depends on.

        A 404 raises EvseNotSupportedError (this firmware lacks it); any other
        failure (405, another status, 5xx, timeout, reset, no JSON object) raises
        EvseDetailUnavailableError, logged once until it answers again: ask later.
        A refused fresh login and certificate errors still propagate.
        """
        try:
            payload = _object(await self._call("GET", path), what)
        except EvseDetailUnavailableError:
            raise
        except EvseNotSupportedError:
            self.unavailable[path] = "not offered (404)"
            raise
        except EvseCertificateError:
            raise
        except (EvseConnectionError, EvseResponseError) as err:
            reason = str(err)
            # Once per outage: a dropped connection reads as a reset one time, a
            # disconnect the next.
            if path not in self.unavailable:
                _LOGGER.debug("%s gives no %s for now: %s", self._base_url, what, reason)
            self.unavailable[path] = reason
            raise EvseDetailUnavailableError(f"{what} unavailable for now: {reason}") from err
        if self.unavailable.pop(path, None) is not None:
            _LOGGER.debug("%s answers %s again", self._base_url, what)
        return payload

    async def charge_point_info(self) -> ChargePointInfo:
        """Vendor, model, serial, firmware and charge point id from the settings.

        Only ``ChargePointInfo`` is kept for diagnostics: the other settings may
        hold secrets (backend or Wi-Fi passwords).
        """
        payload = _object(await self._call("GET", SETTINGS_PATH), "settings")
        info = _mapping(get_ci(payload, "ChargePointInfo", "chargePointInfo"))
        self.raw_payloads["settings"] = {"ChargePointInfo": dict(info)}
        parsed = parse_charge_point_info(info, _mapping(get_ci(payload, "result")))
        if parsed.identifier is None:
            # A controller that logged in is never refused: its address names it instead.
            parsed = replace(
                parsed, identifier=f"host:{URL(self._base_url).host}", identity_source="host"
            )
        self.serial_key = parsed.serial_key
        self.identity_source = parsed.identity_source
        return parsed

    async def start_pairing(self) -> None:
        """Enable whitelist pairing mode (60 s); rejected unless the controller is idle.

        The documents do not give the method: POST first; a 405 tries PUT, and
        the method that worked is used from then on.
        """
        answer = await self._call(self.pairing_method, PAIRING_PATH)
        if answer.status == 405:
            other = "PUT" if self.pairing_method == "POST" else "POST"
            answer = await self._call(other, PAIRING_PATH)
            if answer.status != 405:
                self.pairing_method = other
        if answer.status in _PAIRING_REFUSAL_STATUSES:
            raise EvseCommandRejectedError(
                f"controller refused pairing mode (HTTP {answer.status})"
            )
        payload = _object(answer, "whitelist pairing")
        if (cause := _refusal_cause(payload)) is not None:
            raise EvseCommandRejectedError(f"controller refused pairing mode: {cause}")

    async def pairing_result(self) -> PairingTag | None:
        """Return the last tag read in pairing mode, or None while none was read.

        The answer holds a tag id (personal data), so it is not kept for diagnostics.
        """
        payload = _object(await self._call("GET", PAIRING_PATH), "whitelist pairing")
        return parse_pairing_tag(payload)

    async def pair(
        self,
        *,
        timeout_s: float = PAIRING_WINDOW_S,
        poll_interval_s: float = PAIRING_POLL_INTERVAL_S,
    ) -> PairingTag | None:
        """Enable pairing mode and wait for a tag; None when none was read in ``timeout_s``.

        Enabling the mode clears the previous tag, so whatever is read afterwards
        was scanned in this window.
        """
        await self.start_pairing()
        deadline = self._monotonic() + timeout_s
        while True:
            await self._sleep(poll_interval_s)
            if (tag := await self.pairing_result()) is not None:
                return tag
            if self._monotonic() >= deadline:
                return None

    # Transport

    def _path(self, path: str) -> str:
        return f"{self._prefix or ''}{path}"

    async def _send(
        self,
        method: str,
        path: str,
        session_id: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> HttpAnswer:
        return await self._request(
            method,
            self._path(path),
            headers={"Authorization": session_id},
            params=params,
            json=json,
        )

    async def _request(self, method: str, full_path: str, **kwargs: Any) -> HttpAnswer:
        return await http_request(
            self._http,
            method,
            f"{self._base_url}{full_path}",
            timeout_s=self._timeout_s,
            **{key: value for key, value in kwargs.items() if value is not None},
        )

    # -- Local whitelist ----------------------------------------------------------------------

    #: The method add/edit/clear take on this controller (``POST`` or ``PUT``), once known.
    _whitelist_method: str | None = None
    #: Whether deletions go in the (deprecated) body form, once known.
    _whitelist_delete_in_body: bool | None = None

    @property
    def whitelist_readings(self) -> dict[str, Any]:
        """Which reading of the whitelist's open points this controller answered (diagnostics)."""
        delete_in_body = self._whitelist_delete_in_body
        return {
            "write_method": self._whitelist_method,
            "delete_form": None
            if delete_in_body is None
            else ("body" if delete_in_body else "query"),
        }

    async def whitelist(self) -> tuple[WhitelistEntry, ...]:
        """Every entry of the local whitelist (tag ids: never kept for diagnostics)."""
        answer = await self._call("GET", WHITELIST_PATH, params={"type": WHITELIST_TYPE})
        payload = self._whitelist_answer(answer, "the whitelist", ())
        tags = get_ci(payload, "tags")
        entries = (parse_whitelist_entry(item) for item in (tags if isinstance(tags, list) else []))
        return tuple(entry for entry in entries if entry is not None)

    async def whitelist_add(self, entries: Sequence[WhitelistEntry]) -> None:
        """Add entries; the controller refuses ids it already lists."""
        await self._whitelist_write(WhitelistCommand.ADD, entries)

    async def whitelist_edit(self, entries: Sequence[WhitelistEntry]) -> None:
        """Change the name, type, number, user or priority of listed entries."""
        await self._whitelist_write(WhitelistCommand.EDIT, entries)

    async def whitelist_clear(self) -> None:
        """Remove every entry of the local whitelist."""
        await self._whitelist_write(WhitelistCommand.CLEAR, ())

    async def whitelist_delete(self, tag_ids: Sequence[str]) -> None:
        """Remove the entries with these ids (several requests when the query would be too long)."""
        for group in _chunks(tag_ids, WHITELIST_IDS_QUERY_MAX):
            if self._whitelist_delete_in_body is not True:
                answer = await self._call(
                    "DELETE",
                    WHITELIST_PATH,
                    params={"type": WHITELIST_TYPE, "ids": ",".join(group)},
                )
                cause = _refusal_cause(self._json_or_none(answer))
                wants_body = (
                    self._whitelist_delete_in_body is None
                    and cause is not None
                    and "tags" in cause.lower()
                )
                if not wants_body:
                    self._whitelist_answer(answer, "a whitelist deletion", group)
                    self._whitelist_delete_in_body = False
                    continue
                _LOGGER.debug("%s takes whitelist deletions in the body", self._base_url)
            body = {
                "type": WHITELIST_TYPE,
                "command": "delete",
                "tags": [{"id": tag_id} for tag_id in group],
            }
            answer = await self._call("DELETE", WHITELIST_PATH, json=body)
            self._whitelist_answer(answer, "a whitelist deletion", group)
            self._whitelist_delete_in_body = True

    async def _whitelist_write(
        self, command: WhitelistCommand, entries: Sequence[WhitelistEntry]
    ) -> None:
        body: dict[str, Any] = {"type": WHITELIST_TYPE, "command": command.value}
        if command is not WhitelistCommand.CLEAR:
            body["tags"] = [whitelist_entry_body(entry) for entry in entries]
        methods: tuple[str, ...] = (
            (self._whitelist_method,) if self._whitelist_method else ("POST", "PUT")
        )
        for method in methods:
            answer = await self._call(method, WHITELIST_PATH, json=body)
            if answer.status == 405 and self._whitelist_method is None:
                continue
            self._whitelist_answer(
                answer, f"the whitelist command {command.value}", [entry.id for entry in entries]
            )
            self._whitelist_method = method
            return
        raise EvseNotSupportedError("controller takes whitelist writes neither by POST nor by PUT")

    @staticmethod
    def _json_or_none(answer: HttpAnswer) -> Any:
        try:
            return answer.json()
        except EvseResponseError:
            return None

    def _whitelist_answer(
        self, answer: HttpAnswer, what: str, tag_ids: Iterable[str]
    ) -> dict[str, Any]:
        """The answer's object; a ``success: false`` answer (any status) is a rejection.

        The controller's cause may quote a tag id: it is replaced before the text
        travels on in an error.
        """
        if 400 <= answer.status < 500 and answer.status not in (404, 405):
            refused = _refusal_cause(self._json_or_none(answer)) or f"HTTP {answer.status}"
            raise EvseCommandRejectedError(scrub_tags(refused, tag_ids))
        payload = _object(answer, what)
        if (cause := _refusal_cause(payload)) is not None:
            raise EvseCommandRejectedError(scrub_tags(cause, tag_ids))
        return payload

    # -- Settings parameters -------------------------------------------------------------------

    #: The (method, path) of the validating write on this controller, once known.
    _settings_write: tuple[str, str] | None = None

    @property
    def settings_readings(self) -> dict[str, Any]:
        """Which reading of the validating write this controller answered (diagnostics)."""
        reading = self._settings_write
        return {"validating_write": None if reading is None else " ".join(reading)}

    async def settings(self, keys: Sequence[str] = ()) -> dict[str, SettingParameter]:
        """The named parameters (all of them, with meta, when none are named).

        Values may be secrets (backend or Wi-Fi passwords): never kept for diagnostics.
        """
        if not keys:
            return parse_settings(_object(await self._call("GET", SETTINGS_PATH), "settings"))
        found: dict[str, SettingParameter] = {}
        for group in _chunks(keys, SETTINGS_QUERY_MAX):
            answer = await self._call("GET", SETTINGS_PATH, params={"params": ",".join(group)})
            found.update(parse_settings(_object(answer, "settings")))
        return found

    async def set_settings(self, values: Mapping[str, Any]) -> SettingsWriteResult:
        """Write parameters with the documented validation: all or none are written."""
        body = {"params": [{"key": key, "value": value} for key, value in values.items()]}
        readings = (self._settings_write,) if self._settings_write else SETTINGS_WRITE_READINGS
        for method, path in readings:
            answer = await self._call(method, path, json=body)
            if answer.status in (404, 405) and self._settings_write is None:
                continue
            payload = self._json_or_none(answer)
            if (cause := _settings_refusal(payload)) is not None or 400 <= answer.status < 500:
                raise EvseCommandRejectedError(cause or f"HTTP {answer.status}")
            payload = _object(answer, "the settings write")
            self._settings_write = (method, path)
            params = get_ci(payload, "params")
            reboot = get_ci(payload, "reboot_required", "rebootRequired")
            return SettingsWriteResult(
                params=tuple(params) if isinstance(params, list) else (),
                reboot_required=None
                if reboot is None
                else str(reboot).lower() in ("true", "1", "yes"),
            )
        raise EvseNotSupportedError("controller offers no validating settings write")

    async def completed_transactions(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> list[CompletedTransaction]:
        """The controller's records of completed transactions, optionally within [start, end].

        Tag ids are personal data: the answer is not kept for diagnostics.
        """
        params = {
            key: value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            for key, value in (("from", start), ("to", end))
            if value is not None
        }
        answer = await self._call("GET", COMPLETED_TRANSACTIONS_PATH, params=params)
        if answer.status in (404, 405):
            raise EvseNotSupportedError("controller lists no completed transactions")
        return parse_completed_transactions(_json_answer(answer, "completed transactions"))


# Completed transactions: the document names the operation (GET with ``from``/``to``) and
# shows its items as ``{}``; path and field names are [A], read like the running one's.
COMPLETED_TRANSACTIONS_PATH = "/transactions"
_TAG_KEYS = ("idTag", "id_tag", "tagId", "tag_id", "idToken", "authUid", "auth_uid")


@dataclass(frozen=True, slots=True)
class CompletedTransaction:
    """One completed transaction from the controller's database."""

    id: str | None
    started: str | None
    ended: str | None
    duration_s: int | None
    energy_wh: float | None
    stop_reason: str | None
    id_tag: str | None = field(default=None, repr=False)


def _json_answer(answer: HttpAnswer, what: str) -> Any:
    if answer.status >= 500:
        raise EvseConnectionError(f"controller answered HTTP {answer.status} for {what}")
    if not 200 <= answer.status < 300:
        raise EvseResponseError(f"controller answered HTTP {answer.status} for {what}")
    return answer.json()


def parse_completed_transactions(payload: Any) -> list[CompletedTransaction]:
    """A list of transactions, bare or under ``transactions``; unreadable items are skipped."""
    if isinstance(payload, Mapping):
        payload = get_ci(payload, "transactions", "result", "data")
    if not isinstance(payload, list):
        raise EvseResponseError("completed transactions: answer is not a list")
    return [
        CompletedTransaction(
            id=to_str(get_ci(item, "id", "transactionId", "transaction_id")),
            started=to_str(get_ci(item, "startTime", "start", "started", "start_time")),
            ended=to_str(
                get_ci(item, "endTime", "stopTime", "end", "stop", "ended", "end_time", "stop_time")
            ),
            duration_s=to_int(get_ci(item, "duration", "durationS", "duration_s")),
            energy_wh=to_float(get_ci(item, "energy", "energyWh", "consumption")),
            stop_reason=to_str(get_ci(item, "stopReason", "stop_reason", "reason")),
            id_tag=to_str(get_ci(item, *_TAG_KEYS)),
        )
        for item in payload
        if isinstance(item, Mapping)
    ]
