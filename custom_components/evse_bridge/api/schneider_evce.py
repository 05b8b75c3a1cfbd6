"""Client of the Schneider EcoStruxure EV Charging Expert (EVCE) REST API v2.

The hub serves ``https://<host>/api/v2`` with a self-signed certificate and
issues JWTs (12 h validity, revoked after 30 min without requests, one
connection per user). The client therefore logs in only when it has no token or
the hub answered 401, logs in at most once per request, never retries a refused
login, and (the document's own pattern) logs out a token it still holds before
logging in again. Every endpoint, the maintenance ones included, is called with
the token: the document lists them all among those that need a login.

Paths and field names follow ``shared/notes/vendor-apis.md`` §3 and the
readings recorded in ``docs/vendor-assumptions.md`` (## Schneider EVCE); every
one of them lives in this module. Assumption of this client: the ``connector_id`` of the
OCPP 1.6 commands is the EVSE ``id`` of the station payloads (one connector per
EVSE, as on EVlink stations), so "connector N" means EVSE N throughout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import hashlib
import logging
import ssl
from typing import Any

import aiohttp
from yarl import URL

from .errors import (
    EvseAuthenticationError,
    EvseCertificateError,
    EvseCommandRejectedError,
    EvseCommandTimeoutError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
    scrub,
    secrets_scrubbed,
)
from .http import MAX_BODY, MAX_LIST_BODY, HttpAnswer, http_request
from .parsing import (
    error_text,
    get_ci,
    header_token,
    report_once,
    to_enum,
    to_float,
    to_float_list,
    to_int,
    to_str,
)

_LOGGER = logging.getLogger(__name__)

API_PREFIX = "/api/v2"
DEFAULT_PORT = 443
COMMAND_POLL_INTERVAL_S = 1.0
COMMAND_TIMEOUT_S = 30.0
#: Where the station list may be: the PDF's path (trailing slash) first, then the hub's own
#: OpenAPI 3.0.0 path, which a strict router serves only without the slash.
STATION_LIST_PATHS = ("/stations/", "/stations")
#: Why an optional path gave nothing, when the hub answered 404.
NOT_OFFERED = "not offered (404)"
#: Answers that grow with the hub's installation (300 stations) get the larger body cap.
_LIST_PATHS = frozenset({*STATION_LIST_PATHS, "/stations/statuses", "/em/zones", "/pms"})


class EvceSslMode(StrEnum):
    """How the client checks the hub's HTTPS certificate."""

    SYSTEM = "system"
    PINNED = "pinned"
    INSECURE = "insecure"


class EvceOcppStatus(StrEnum):
    """Whether a station's OCPP connection to the hub is up."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class EvceConnectorStatus(StrEnum):
    """OCPP 1.6 status of a station, EVSE or connector.

    OCPP's ``Unavailable`` is ``inoperative`` here: Home Assistant reserves
    ``unavailable`` for an entity it cannot reach.
    """

    AVAILABLE = "available"
    PREPARING = "preparing"
    CHARGING = "charging"
    SUSPENDEDEV = "suspendedev"
    SUSPENDEDEVSE = "suspendedevse"
    FINISHING = "finishing"
    RESERVED = "reserved"
    INOPERATIVE = "inoperative"
    FAULTED = "faulted"

    @classmethod
    def _missing_(cls, value: object) -> EvceConnectorStatus | None:
        if isinstance(value, str) and value.lower() == "unavailable":
            return cls.INOPERATIVE
        return None


#: Statuses in which a connector has a session (a transaction or a vehicle being served).
SESSION_STATUSES = frozenset(
    {
        EvceConnectorStatus.CHARGING,
        EvceConnectorStatus.SUSPENDEDEV,
        EvceConnectorStatus.SUSPENDEDEVSE,
    }
)


class EvceReductionType(StrEnum):
    """Unit of a zone reduction: amperes (current) or kilowatts (power)."""

    CURRENT = "current"
    POWER = "power"


class EvceCommandStatus(StrEnum):
    """Progress of a command sent to a station."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"
    TIMEOUT = "timeout"


#: Which EVSE status speaks for the whole station when EVSEs differ: the most
#: telling first (a fault matters more than a charging neighbour).
_STATION_STATUS_PRIORITY = (
    EvceConnectorStatus.FAULTED,
    EvceConnectorStatus.CHARGING,
    EvceConnectorStatus.SUSPENDEDEVSE,
    EvceConnectorStatus.SUSPENDEDEV,
    EvceConnectorStatus.PREPARING,
    EvceConnectorStatus.FINISHING,
    EvceConnectorStatus.RESERVED,
    EvceConnectorStatus.AVAILABLE,
    EvceConnectorStatus.INOPERATIVE,
)


class EvcePermissionError(EvseAuthenticationError):
    """HTTP 403 at login: the account is blocked, or it may not use the API.

    Two readings, both Schneider's: the PDF's status table says 403 means "User
    does not have the permissions to access the resource" (no EBMS role); the
    hub's own OpenAPI 3.0.0 says, for the login, "User account blocked due to
    too many invalid attempts". Neither is fixed by typing the password again.
    """


#: Endpoints that may tell who the hub is, the documented ones first. The shapes of their
#: answers are not documented: each field is looked for under several plausible names.
IDENTITY_SOURCES: tuple[tuple[str, str], ...] = (
    ("product_status", "/maintenance/product_status"),
    ("product_caps", "/maintenance/product_caps"),
    ("config_em", "/config/em"),
    # In no vendor document: it only adds detail where a hub answers it.
    ("product_infos", "/maintenance/product_infos"),
)
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "serial": (
        "serial_number",
        "serialNumber",
        "serial",
        "sn",
        "product_serial",
        "product_serial_number",
    ),
    "model": ("model", "commercial_reference", "reference", "product_reference", "product_model"),
    "firmware": (
        "firmware_version",
        "firmware",
        "fw_version",
        "sw_version",
        "software_version",
        "version",
    ),
    "name": ("product_name", "name", "friendly_name", "site_name"),
}


@dataclass(frozen=True, slots=True)
class EvceProductInfo:
    """Identity of the hub, from whichever answers carry it."""

    serial: str | None
    model: str | None
    firmware: str | None
    name: str | None
    #: Per field, ``endpoint.key`` it was read from (for diagnostics).
    sources: Mapping[str, str] = field(default_factory=dict)


#: The hub's own session records (its OpenAPI 3.0.0; no body shape published): where they
#: are, and per field the names a record may use, in order of preference, with the factor
#: to Wh for energies.
TRANSACTIONS_PATHS = {"ongoing": "/transactions/ongoing", "ended": "/transactions/ended"}
_TRANSACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "transaction_id", "tx_id", "transactionId", "session_id"),
    "station": ("station_id", "stationId", "station", "cs_id"),
    "evse": ("evse_id", "evseId", "connector_id", "connectorId", "connector", "evse"),
    "start": ("start_time", "start_date", "started_at", "startTime", "start", "begin"),
    "end": ("end_time", "stop_time", "end_date", "stop_date", "ended_at", "endTime", "end"),
    "id_tag": ("id_tag", "idTag", "badge", "badge_id", "card_uid", "rfid", "tag"),
    "stop_reason": ("stop_reason", "stopReason", "reason", "end_reason"),
}
_TRANSACTION_ENERGY: tuple[tuple[str, float], ...] = (
    ("energy_wh", 1.0),
    ("energy_kwh", 1000.0),
    ("consumption_wh", 1.0),
    ("consumption_kwh", 1000.0),
    ("energy", 1.0),
)


#: Names a station's firmware version may go by (``GET /stations/{id}/firmware`` or
#: ``GET /stations/{id}``; no body shape published), in order of preference.
STATION_FIRMWARE_FIELDS = (
    "firmware_version",
    "current_version",
    "fw_version",
    "software_version",
    "version",
)


@dataclass(frozen=True, slots=True)
class EvceTransaction:
    """One session as the hub records it (ongoing or ended)."""

    id: str | None
    station_id: int | None
    evse_id: int | None
    start: datetime | None
    end: datetime | None
    energy_wh: float | None
    stop_reason: str | None
    #: The badge that authorized it: personal data, kept out of reprs and logs.
    id_tag: str | None = field(default=None, repr=False)


def _timestamp(value: Any) -> datetime | None:
    """ISO 8601 (naive read as UTC) or UNIX seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = to_float(value)
        return None if seconds is None else datetime.fromtimestamp(seconds, UTC)
    text = to_str(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class EvceStation:
    """A charging station configured on the hub."""

    id: int
    name: str | None
    model: str | None
    serial: str | None
    connectors: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class EvceConnectorState:
    """Live state of one connector (EVSE) of a station."""

    connector_id: int
    status: EvceConnectorStatus | None
    power_w: float | None
    energy_wh: float | None
    session_energy_wh: float | None
    transaction_id: int | None
    #: When the running transaction started, where the hub says so.
    session_start: str | None = None

    @property
    def in_session(self) -> bool:
        """Whether a session runs on the connector (a transaction id or a charging status)."""
        return self.transaction_id is not None or self.status in SESSION_STATUSES


@dataclass(frozen=True, slots=True)
class EvceStationStatus:
    """Live state of a station: its OCPP link and its connectors."""

    station_id: int
    ocpp_status: EvceOcppStatus | None
    status: EvceConnectorStatus | None
    connectors: Mapping[int, EvceConnectorState]

    @property
    def power_w(self) -> float | None:
        """Power of all connectors (an instantaneous sum), or None when none reports it."""
        known = [item.power_w for item in self.connectors.values() if item.power_w is not None]
        return sum(known) if known else None


@dataclass(frozen=True, slots=True)
class EvceZone:
    """An energy-management zone."""

    id: int
    name: str | None
    max_current_a: float | None
    max_power_kw: float | None


@dataclass(frozen=True, slots=True)
class EvceZoneStatus:
    """Live state of a zone."""

    currents_a: tuple[float | None, ...]
    power_w: float | None
    setpoint_a: float | None


@dataclass(frozen=True, slots=True)
class EvceZoneReduction:
    """The reduction applied to a zone, in A (current) or kW (power)."""

    type: EvceReductionType | None
    value: float | None
    valid_mode: str | None
    duration_s: int | None


@dataclass(frozen=True, slots=True)
class EvcePowerMeter:
    """A power meter read by the hub; ``model_id`` refers to ``/pms/models/{id}``."""

    id: int
    name: str | None
    model_id: int | None
    connection: str | None


#: Factor from each unit a power meter may give to the unit the entity declares
#: (V, A, kW, kWh, Hz). A value without a unit, or in a unit not listed, is unknown.
_UNIT_FACTORS: dict[str, dict[str, float]] = {
    "voltage": {"v": 1.0, "kv": 1000.0, "mv": 0.001},
    "current": {"a": 1.0, "ma": 0.001, "ka": 1000.0},
    "power": {"kw": 1.0, "w": 0.001, "mw": 1000.0},
    "energy": {"kwh": 1.0, "wh": 0.001, "mwh": 1000.0},
    "frequency": {"hz": 1.0},
}
_QUANTITY_OF = {
    "voltage_l1": "voltage",
    "voltage_l2": "voltage",
    "voltage_l3": "voltage",
    "current_l1": "current",
    "current_l2": "current",
    "current_l3": "current",
    "power_active": "power",
    "energy_active_import": "energy",
    "frequency": "frequency",
}


@dataclass(frozen=True, slots=True)
class EvcePowerMeterValues:
    """Last values read from a power meter, converted to V, A, kW, kWh and Hz."""

    voltages_v: tuple[float | None, float | None, float | None]
    currents_a: tuple[float | None, float | None, float | None]
    power_kw: float | None
    energy_import_kwh: float | None
    frequency_hz: float | None
    timestamp: str | None
    #: Per value name, the unit the hub gave (for diagnostics).
    units: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(slots=True)
class _TokenState:
    """The bearer token and how often it had to be obtained (for diagnostics)."""

    token: str | None = None
    logins: int = 0
    on_change: list[Callable[[str | None], None]] = field(default_factory=list)


def split_host(host: str) -> tuple[str, int]:
    """Host name and port of what a user typed: ``hub``, ``hub:8443``, ``https://hub``."""
    text = host.strip()
    if "://" not in text:
        text = f"https://{text}"
    try:
        url = URL(text)
    except ValueError as err:
        raise EvseConnectionError("invalid host") from err
    if not url.host:
        raise EvseConnectionError("invalid host")
    return url.host, url.port or DEFAULT_PORT


def _unverified_context() -> ssl.SSLContext:
    """Build a TLS context that accepts any certificate (it loads no files: no blocking I/O)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def fetch_certificate_fingerprint(host: str, *, timeout_s: float = 10.0) -> str:
    """SHA-256 fingerprint (lowercase hex) of the certificate the hub presents.

    Used on first contact so the user can compare it and pin it; the connection
    is unverified on purpose and sends nothing.
    """
    hostname, port = split_host(host)
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(
                hostname, port, ssl=_unverified_context(), server_hostname=hostname
            )
    except (OSError, TimeoutError, ssl.SSLError) as err:
        raise EvseConnectionError(f"TLS handshake failed: {type(err).__name__}") from err
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        certificate = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    finally:
        writer.close()
    if not certificate:
        raise EvseResponseError("the hub presented no certificate")
    return hashlib.sha256(certificate).hexdigest()


def format_fingerprint(fingerprint: str) -> str:
    """``AB:CD:...`` for display, as browsers show certificate fingerprints."""
    text = normalize_fingerprint(fingerprint).upper()
    return ":".join(text[index : index + 2] for index in range(0, len(text), 2))


def normalize_fingerprint(fingerprint: str) -> str:
    """Lowercase hex without separators; raises ValueError unless it is 32 bytes."""
    text = fingerprint.replace(":", "").replace(" ", "").strip().lower()
    if len(bytes.fromhex(text)) != 32:
        raise ValueError("a SHA-256 fingerprint has 32 bytes")
    return text


_TAG_FIELDS = frozenset(key.lower() for key in _TRANSACTION_FIELDS["id_tag"])


def _without_tags(record: Any) -> Any:
    """Session records with every badge id redacted, at any depth (kept for diagnostics)."""
    if isinstance(record, list):
        return [_without_tags(item) for item in record]
    if not isinstance(record, Mapping):
        return record
    return {
        key: (
            "**REDACTED**"
            if isinstance(key, str) and key.lower() in _TAG_FIELDS and value is not None
            else _without_tags(value)
        )
        for key, value in record.items()
    }


def _items(payload: Any, *keys: str) -> list[Mapping[str, Any]]:
    """Return the objects of a list answer, also when wrapped as ``{"stations": [...]}``."""
    if isinstance(payload, Mapping):
        payload = get_ci(payload, *keys, "items", "data")
    if not isinstance(payload, list):
        raise EvseResponseError("expected a list")
    return [item for item in payload if isinstance(item, Mapping)]


def _mapping(payload: Any) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise EvseResponseError("expected an object")
    return payload


def _sub(item: Mapping[str, Any], *names: str) -> Mapping[str, Any]:
    """Return a nested object (``config``, ``desc``), or the item itself when flat."""
    nested = get_ci(item, *names)
    return nested if isinstance(nested, Mapping) else item


class EvceClient:
    """One hub: login, polling reads and station commands."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        login: str,
        password: str,
        *,
        ssl_mode: EvceSslMode = EvceSslMode.PINNED,
        fingerprint: str | None = None,
        token: str | None = None,
        timeout_s: float = 10.0,
        command_poll_interval_s: float = COMMAND_POLL_INTERVAL_S,
        command_timeout_s: float = COMMAND_TIMEOUT_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Describe the hub; ``token`` is a bearer token kept from an earlier run."""
        self._session = session
        hostname, port = split_host(host)
        self._base = URL.build(scheme="https", host=hostname, port=port)
        self._login = login
        self._password = password
        self._timeout_s = timeout_s
        self._ssl: aiohttp.Fingerprint | bool
        if ssl_mode is EvceSslMode.PINNED:
            if fingerprint is None:
                raise ValueError("pinning needs the certificate fingerprint")
            self._ssl = aiohttp.Fingerprint(bytes.fromhex(normalize_fingerprint(fingerprint)))
        else:
            self._ssl = ssl_mode is EvceSslMode.SYSTEM
        self._auth = _TokenState(token=token)
        self._login_lock = asyncio.Lock()
        self.command_poll_interval_s = command_poll_interval_s
        self.command_timeout_s = command_timeout_s
        self.sleep = sleep
        self.raw_payloads: dict[str, Any] = {}
        #: The station list path this hub answered, once known.
        self.station_list_path: str | None = None
        #: Optional paths whose last request failed, and how (for diagnostics); each is
        #: logged once when it starts failing and asked again at its next turn.
        self.unavailable: dict[str, str] = {}
        #: Firmware sources (``firmware``, ``station``) this hub answered 404 to: not
        #: asked again for any station (two requests per station every inventory).
        self._firmware_sources_missing: set[str] = set()
        #: Per field of the hub's session records, the name it was read under.
        self.transaction_readings: dict[str, str] = {}

    @property
    def readings(self) -> dict[str, Any]:
        """How this hub answered where the documents are silent (for diagnostics)."""
        return {
            "station_list_path": self.station_list_path,
            "unavailable": dict(self.unavailable),
            **self.transaction_readings,
        }

    @property
    def token(self) -> str | None:
        """The bearer token in use, to keep it across restarts."""
        return self._auth.token

    @property
    def login_count(self) -> int:
        """How many logins this client made (one per healthy 12 h)."""
        return self._auth.logins

    def add_token_listener(self, listener: Callable[[str | None], None]) -> None:
        """Call ``listener`` with the new token whenever it changes (to store it)."""
        self._auth.on_change.append(listener)

    def _set_token(self, token: str | None) -> None:
        if token == self._auth.token:
            return
        self._auth.token = token
        for listener in self._auth.on_change:
            listener(token)

    async def _send(
        self, method: str, path: str, *, token: str | None, body: Any = None
    ) -> HttpAnswer:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"headers": headers, "ssl": self._ssl}
        if body is not None:
            kwargs["json"] = body
        answer = await http_request(
            self._session,
            method,
            str(self._base.with_path(f"{API_PREFIX}{path}")),
            timeout_s=self._timeout_s,
            max_body=MAX_LIST_BODY if path in _LIST_PATHS else MAX_BODY,
            **kwargs,
        )
        if answer.status >= 500:
            raise EvseConnectionError(f"hub answered HTTP {answer.status}")
        return answer

    def adopt_token(self, token: str) -> None:
        """Use ``token``, which another client of the same user obtained.

        The hub allows one connection per user: a connection test that logs in
        revokes this client's token, so it hands its own over instead.
        """
        self._set_token(token)

    async def login(self) -> None:
        """Log in with the configured secret; a refusal is never retried here.

        A token still held is logged out first (the document's login pattern),
        so the user's single connection is released before a new one is opened.
        """
        if self._auth.token is not None:
            await self.logout()
        answer = await self._send(
            "POST",
            "/login/login",
            token=None,
            body={"login": self._login, "password": self._password},
        )
        self._auth.logins += 1
        if answer.status == 401:
            self._set_token(None)
            raise EvseAuthenticationError("the hub refused the login or password")
        if answer.status == 403:
            self._set_token(None)
            raise EvcePermissionError(
                "the hub refused this user (HTTP 403): the account is blocked after failed "
                "logins, or it lacks the EBMS role the API needs"
            )
        if answer.status != 200:
            raise EvseResponseError(f"login answered HTTP {answer.status}")
        token = to_str(get_ci(_mapping(answer.json()), "token", "access_token"))
        if token is None:
            raise EvseResponseError("login answer has no token")
        self._set_token(header_token(token, "token"))
        _LOGGER.debug("Logged in to the EVCE hub at %s", self._base.host)

    async def logout(self) -> None:
        """Release the token so the single connection the user has is free again."""
        token = self._auth.token
        if token is None:
            return
        self._set_token(None)
        try:
            await self._send("POST", "/login/logout", token=token)
        except EvseConnectionError as err:
            _LOGGER.debug("Logout from the EVCE hub failed: %s", err)

    async def _ensure_token(self, stale: str | None) -> str:
        """Return the current token, logging in when it is missing or still ``stale``."""
        async with self._login_lock:
            # Another request may have logged in while this one waited.
            if self._auth.token is not None and self._auth.token != stale:
                return self._auth.token
            if stale is not None and self._auth.token == stale:
                # The hub refused it: it is gone, there is nothing to log out.
                self._set_token(None)
            await self.login()
            assert self._auth.token is not None
            return self._auth.token

    async def _request(self, method: str, path: str, *, body: Any = None) -> HttpAnswer:
        """Send an authenticated request; on 401 log in once more and repeat it once."""
        token = self._auth.token
        if token is None:
            token = await self._ensure_token(None)
        answer = await self._send(method, path, token=token, body=body)
        if answer.status == 401:
            _LOGGER.debug("EVCE token no longer valid, logging in again")
            token = await self._ensure_token(token)
            answer = await self._send(method, path, token=token, body=body)
            if answer.status == 401:
                raise EvseResponseError("the hub refused a freshly issued token")
        if answer.status == 404:
            raise EvseNotSupportedError(f"{method} {path} is not offered by this hub")
        if answer.status == 403:
            raise EvseResponseError(f"{method} {path} is not permitted for this user")
        return answer

    async def _get_json(self, path: str, raw_key: str) -> Any:
        answer = await self._request("GET", path)
        if answer.status != 200:
            raise EvseResponseError(f"GET {path} answered HTTP {answer.status}")
        payload = answer.json()
        self.raw_payloads[raw_key] = payload
        return payload

    async def _optional_json(self, path: str, raw_key: str) -> Any:
        """An answer that only adds detail: None when the hub does not give it now.

        Whatever goes wrong (404, another status, a 5xx, a timeout, a reset, a body
        that is not JSON) the detail is unknown until the next time it is asked;
        only a certificate problem or a refused fresh login propagates.
        """
        try:
            answer = await self._request("GET", path)
            if answer.status != 200:
                raise EvseResponseError(f"GET {path} answered HTTP {answer.status}")
            payload = answer.json()
        except EvseCertificateError:
            raise
        except (EvseNotSupportedError, EvseResponseError, EvseConnectionError) as err:
            self._note_unavailable(path, err)
            return None
        if self.unavailable.pop(path, None) is not None:
            _LOGGER.debug("EVCE hub answers %s again", path)
        self.raw_payloads[raw_key] = payload
        return payload

    def _note_unavailable(self, path: str, err: Exception) -> None:
        """Remember (and log once, or when it turns missing) that an optional path gave nothing."""
        missing = isinstance(err, EvseNotSupportedError)
        reason = NOT_OFFERED if missing else str(err)
        previous = self.unavailable.get(path)
        # Not per message: a dropped connection reads as a reset one time, a disconnect the next.
        if previous is None or (previous == NOT_OFFERED) != missing:
            _LOGGER.debug("EVCE hub gives no %s for now: %s", path, reason)
        self.unavailable[path] = reason

    async def product_info(self) -> EvceProductInfo:
        """Serial number, model, firmware and name of the hub, where any answer has them.

        Needs the token (log in first). Each field comes from the first answer
        that carries it; a hub that tells none of them gives all None.
        """
        found: dict[str, str] = {}
        sources: dict[str, str] = {}
        for raw_key, path in IDENTITY_SOURCES:
            payload = await self._optional_json(path, raw_key)
            if not isinstance(payload, Mapping):
                continue
            # Accept the fields at the top or one object deep (``{"product": {...}}``).
            objects = [payload, *(item for item in payload.values() if isinstance(item, Mapping))]
            for name, keys in IDENTITY_FIELDS.items():
                if name in found:
                    continue
                for item in objects:
                    key = next((key for key in keys if to_str(get_ci(item, key))), None)
                    if key is not None:
                        found[name] = str(to_str(get_ci(item, key)))
                        sources[name] = f"{raw_key}.{key}"
                        break
        return EvceProductInfo(
            serial=found.get("serial"),
            model=found.get("model"),
            firmware=found.get("firmware"),
            name=found.get("name"),
            sources=sources,
        )

    async def stations(self) -> list[EvceStation]:
        """Read the stations configured on the hub."""
        payload = await self._station_list()
        stations: list[EvceStation] = []
        for item in _items(payload, "stations"):
            station_id = to_int(get_ci(item, "id", "station_id"))
            if station_id is None:
                continue
            config = _sub(item, "config")
            connectors: list[int] = []
            for evse in _items(get_ci(item, "evses") or [], "evses"):
                evse_id = to_int(get_ci(evse, "id", "evse_id"))
                if evse_id is not None:
                    connectors.append(evse_id)
            stations.append(
                EvceStation(
                    id=station_id,
                    name=to_str(get_ci(config, "friendly_name", "name")),
                    model=to_str(get_ci(config, "model", "model_name")),
                    serial=to_str(get_ci(config, "serial_number", "serial")),
                    connectors=tuple(sorted(connectors)),
                )
            )
        return stations

    async def transactions(
        self, which: str, station_id: int | None = None
    ) -> list[EvceTransaction] | None:
        """The hub's ``ongoing`` or ``ended`` session records (of one station, or all).

        Optional: None when the hub does not answer them now (404, 5xx, timeout).
        Which name each field was read under is kept in ``transaction_readings``.
        """
        path = TRANSACTIONS_PATHS[which]
        if station_id is not None:
            path = f"/transactions/{station_id}/{which}"
        payload = await self._optional_json(path, f"transactions_{which}")
        if payload is None:
            return None
        self.raw_payloads[f"transactions_{which}"] = _without_tags(payload)
        try:
            items = _items(payload, "transactions", which)
        except EvseResponseError as err:
            self._note_unavailable(path, err)
            return None
        return [self._parse_transaction(item) for item in items]

    def _parse_transaction(self, item: Mapping[str, Any]) -> EvceTransaction:
        found: dict[str, Any] = {}
        for name, keys in _TRANSACTION_FIELDS.items():
            key = next((key for key in keys if get_ci(item, key) is not None), None)
            if key is not None:
                found[name] = get_ci(item, key)
                self.transaction_readings[f"transaction_{name}"] = key
        energy: float | None = None
        for key, factor in _TRANSACTION_ENERGY:
            if (value := to_float(get_ci(item, key))) is not None:
                energy = value * factor
                self.transaction_readings["transaction_energy"] = key
                break
        return EvceTransaction(
            id=to_str(found.get("id")),
            station_id=to_int(found.get("station")),
            evse_id=to_int(found.get("evse")),
            start=_timestamp(found.get("start")),
            end=_timestamp(found.get("end")),
            energy_wh=energy,
            stop_reason=to_str(found.get("stop_reason")),
            id_tag=to_str(found.get("id_tag")),
        )

    async def station_firmware(self, station_id: int) -> tuple[str | None, str | None]:
        """A station's firmware version and where it was read (``endpoint.key``), if stated.

        Neither source is in the PDF (the hub's OpenAPI 3.0.0 lists both, without
        a body): ``GET /stations/{id}/firmware`` first, then the station's own
        properties ``GET /stations/{id}``. Optional: (None, None) when neither says.
        """
        sources = (
            ("firmware", f"/stations/{station_id}/firmware"),
            ("station", f"/stations/{station_id}"),
        )
        for raw_key, path in sources:
            if raw_key in self._firmware_sources_missing:
                continue
            payload = await self._optional_json(path, f"station_{station_id}_{raw_key}")
            if self.unavailable.get(path) == NOT_OFFERED:
                # Not offered for one station of the list: not offered by this hub.
                self._firmware_sources_missing.add(raw_key)
            if not isinstance(payload, Mapping):
                continue
            objects = [payload, *(item for item in payload.values() if isinstance(item, Mapping))]
            for item in objects:
                for key in STATION_FIRMWARE_FIELDS:
                    if (version := to_str(get_ci(item, key))) is not None:
                        return version, f"{raw_key}.{key}"
        return None, None

    async def _station_list(self) -> Any:
        """The station list, from the path this hub serves it at (found once, then kept)."""
        if self.station_list_path is not None:
            return await self._get_json(self.station_list_path, "stations")
        for path in STATION_LIST_PATHS:
            try:
                payload = await self._get_json(path, "stations")
            except EvseNotSupportedError:
                continue
            self.station_list_path = path
            return payload
        raise EvseNotSupportedError("the hub lists no stations at /stations/ nor /stations")

    async def station_statuses(self) -> dict[int, EvceStationStatus]:
        """Read the live state of every station, in one request."""
        payload = await self._get_json("/stations/statuses", "stations_statuses")
        statuses: dict[int, EvceStationStatus] = {}
        for item in _items(payload, "statuses", "stations"):
            station_id = to_int(get_ci(item, "station_id", "id"))
            if station_id is None:
                continue
            statuses[station_id] = self._parse_station_status(station_id, item)
        return statuses

    @staticmethod
    def _parse_station_status(station_id: int, item: Mapping[str, Any]) -> EvceStationStatus:
        connectors: dict[int, EvceConnectorState] = {}
        for evse in _items(get_ci(item, "evses") or [], "evses"):
            evse_id = to_int(get_ci(evse, "id", "evse_id"))
            if evse_id is None:
                continue
            status = to_enum(EvceConnectorStatus, get_ci(evse, "status"))
            if status is None:
                plugs = _items(get_ci(evse, "connectors") or [], "connectors")
                if plugs:
                    status = to_enum(EvceConnectorStatus, get_ci(plugs[0], "status"))
            connectors[evse_id] = EvceConnectorState(
                connector_id=evse_id,
                status=status,
                power_w=to_float(get_ci(evse, "power_w", "power")),
                energy_wh=to_float(get_ci(evse, "energy_wh", "energy")),
                session_energy_wh=to_float(get_ci(evse, "session_energy_wh", "session_energy")),
                transaction_id=to_int(get_ci(evse, "transaction_id", "transactionid")),
                session_start=to_str(
                    get_ci(evse, "session_start", "transaction_start", "start_time", "started_at")
                ),
            )
        status = to_enum(EvceConnectorStatus, get_ci(item, "status"))
        if status is None:
            present = {state.status for state in connectors.values()}
            status = next((item for item in _STATION_STATUS_PRIORITY if item in present), None)
        return EvceStationStatus(
            station_id=station_id,
            ocpp_status=to_enum(EvceOcppStatus, get_ci(item, "ocpp_status", "ocpp")),
            status=status,
            connectors=connectors,
        )

    async def zones(self) -> list[EvceZone]:
        """Read the energy-management zones."""
        payload = await self._get_json("/em/zones", "zones")
        zones: list[EvceZone] = []
        for item in _items(payload, "zones"):
            zone_id = to_int(get_ci(item, "id", "zone_id"))
            if zone_id is None:
                continue
            desc = _sub(item, "desc")
            zones.append(
                EvceZone(
                    id=zone_id,
                    name=to_str(get_ci(desc, "name", "friendly_name")),
                    max_current_a=to_float(get_ci(desc, "max_current_a", "max_current")),
                    max_power_kw=to_float(get_ci(desc, "max_power_kw", "max_power")),
                )
            )
        return zones

    async def zone_status(self, zone_id: int) -> EvceZoneStatus:
        """Currents per phase, power and set-point of one zone."""
        payload = _mapping(await self._get_json(f"/em/zones/{zone_id}/status", f"zone_{zone_id}"))
        currents = to_float_list(get_ci(payload, "current_a", "currents_a", "current")) or []
        return EvceZoneStatus(
            currents_a=tuple(currents),
            power_w=to_float(get_ci(payload, "power_w", "power")),
            setpoint_a=to_float(get_ci(payload, "setpoint_a", "setpoint")),
        )

    async def zone_reduction(self, zone_id: int) -> EvceZoneReduction:
        """Read the reduction currently applied to one zone."""
        payload = await self._get_json(
            f"/em/zones/{zone_id}/reduction", f"zone_{zone_id}_reduction"
        )
        return self._parse_reduction(_mapping(payload))

    async def zone_stations(self, zone_id: int) -> tuple[int, ...] | None:
        """IDs of the stations affected to a zone (None when the hub does not say).

        The answer's shape is not documented: a list of IDs, of station objects
        (``id`` / ``station_id``), or either wrapped in an object.
        """
        payload = await self._optional_json(
            f"/em/zones/{zone_id}/stations", f"zone_{zone_id}_stations"
        )
        if isinstance(payload, Mapping):
            payload = get_ci(payload, "stations", "station_ids", "items", "data")
        if not isinstance(payload, list):
            return None
        ids: list[int] = []
        for item in payload:
            station_id = (
                to_int(get_ci(item, "id", "station_id")) if isinstance(item, Mapping) else None
            )
            if station_id is None and not isinstance(item, Mapping | bool):
                station_id = to_int(item)
            if station_id is not None:
                ids.append(station_id)
        return tuple(sorted(set(ids)))

    @staticmethod
    def _parse_reduction(payload: Mapping[str, Any]) -> EvceZoneReduction:
        return EvceZoneReduction(
            type=to_enum(EvceReductionType, get_ci(payload, "type")),
            value=to_float(get_ci(payload, "value")),
            valid_mode=to_str(get_ci(payload, "valid_mode")),
            duration_s=to_int(get_ci(payload, "duration_s", "duration")),
        )

    async def set_zone_reduction(
        self,
        zone_id: int,
        value: float,
        reduction_type: EvceReductionType,
        *,
        duration_s: int | None = None,
    ) -> EvceZoneReduction:
        """Apply a reduction (A or kW) to a zone; returns what the hub applied.

        Without ``duration_s`` it is permanent (``valid_mode`` ``permanent``);
        with it, temporary for that many seconds.
        """
        path = f"/em/zones/{zone_id}/reduction"
        mode = "permanent" if duration_s is None else "temporary"
        body: dict[str, Any] = {"type": reduction_type.value, "value": value, "valid_mode": mode}
        if duration_s is not None:
            body["duration_s"] = duration_s
        answer = await self._request("PUT", path, body=body)
        if answer.status == 400:
            raise EvseCommandRejectedError(f"the hub refused the reduction: {_message(answer)}")
        if answer.status not in (200, 204):
            raise EvseResponseError(f"PUT {path} answered HTTP {answer.status}")
        if answer.status == 204 or not answer.body:
            return EvceZoneReduction(reduction_type, value, mode, duration_s)
        payload = _mapping(answer.json())
        self.raw_payloads[f"zone_{zone_id}_reduction"] = payload
        applied = self._parse_reduction(payload)
        if payload and applied.type is None and applied.value is None:
            # An error object in a 200 answer: the reduction was not applied.
            if (error := error_text(payload)) is not None:
                raise EvseCommandRejectedError(f"the hub refused the reduction: {error}")
            raise EvseResponseError(f"PUT {path} answered without a reduction")
        return applied

    async def power_meters(self) -> list[EvcePowerMeter]:
        """Read the list of power meters."""
        payload = await self._get_json("/pms", "pms")
        meters: list[EvcePowerMeter] = []
        for item in _items(payload, "pms", "power_meters"):
            meter_id = to_int(get_ci(item, "id", "pm_id"))
            if meter_id is None:
                continue
            desc = _sub(item, "desc")
            meters.append(
                EvcePowerMeter(
                    id=meter_id,
                    name=to_str(get_ci(desc, "name", "friendly_name")),
                    model_id=to_int(get_ci(desc, "model", "model_id")),
                    connection=to_str(get_ci(desc, "type")),
                )
            )
        return meters

    async def power_meter_model(self, model_id: int) -> str | None:
        """Name of a power meter model (``/pms/models/{id}``), or None when not given."""
        payload = await self._optional_json(f"/pms/models/{model_id}", f"pm_model_{model_id}")
        if not isinstance(payload, Mapping):
            return None
        desc = _sub(payload, "desc")
        name = to_str(get_ci(desc, "name", "model_name", "model", "reference"))
        manufacturer = to_str(get_ci(desc, "manufacturer", "brand", "vendor"))
        if name is None or name.isdigit():
            return None
        if manufacturer and not name.lower().startswith(manufacturer.lower()):
            return f"{manufacturer} {name}"
        return name

    async def power_meter_values(self, meter_id: int) -> EvcePowerMeterValues:
        """Read the last values the hub read from one power meter.

        Each value is converted from its own ``unit`` field; a value whose unit
        is missing or unknown is left unknown rather than guessed.
        """
        payload = _mapping(await self._get_json(f"/pms/{meter_id}/values", f"pm_{meter_id}"))
        values: dict[str, float | None] = {}
        units: dict[str, str | None] = {}
        for item in _items(get_ci(payload, "values") or [], "values"):
            name = to_str(get_ci(item, "name"))
            if name is None:
                continue
            name = name.lower()
            unit = to_str(get_ci(item, "unit"))
            units[name] = unit
            values[name] = _convert(name, to_float(get_ci(item, "value")), unit)
        return EvcePowerMeterValues(
            voltages_v=(
                values.get("voltage_l1"),
                values.get("voltage_l2"),
                values.get("voltage_l3"),
            ),
            currents_a=(
                values.get("current_l1"),
                values.get("current_l2"),
                values.get("current_l3"),
            ),
            power_kw=values.get("power_active"),
            energy_import_kwh=values.get("energy_active_import"),
            frequency_hz=values.get("frequency"),
            timestamp=to_str(get_ci(payload, "timestamp")),
            units=units,
        )

    async def send_command(self, station_id: int, command: str, body: dict[str, Any]) -> int:
        """Send a command to a station; returns its id for ``command_status``."""
        path = f"/stations/{station_id}/cmds/{command}"
        answer = await self._request("POST", path, body=body)
        if answer.status == 400:
            # The hub's message may echo the id tag: keep it out of the error text.
            secrets = [value for value in body.values() if isinstance(value, str)]
            raise EvseCommandRejectedError(
                f"the hub refused {command}: {_message(answer, secrets)}"
            )
        if answer.status not in (200, 201, 202):
            raise EvseResponseError(f"POST {path} answered HTTP {answer.status}")
        payload = _mapping(answer.json())
        cmd_id = to_int(get_ci(payload, "cmd_id", "id"))
        if cmd_id is None:
            if (error := error_text(payload)) is not None:
                raise EvseCommandRejectedError(f"the hub refused {command}: {error}")
            raise EvseResponseError(f"{command} answer has no command id")
        return cmd_id

    async def command_status(self, station_id: int, cmd_id: int) -> EvceCommandStatus | None:
        """Where a command stands (None for a status nobody listed)."""
        payload = await self._get_json(
            f"/stations/{station_id}/cmds/status/{cmd_id}", "command_status"
        )
        status = get_ci(_mapping(payload), "status")
        if status is None and (error := error_text(payload)) is not None:
            raise EvseResponseError(f"command status answered an error: {error}")
        return to_enum(EvceCommandStatus, status)

    async def run_command(self, station_id: int, command: str, body: dict[str, Any]) -> None:
        """Send a command and follow it until the station accepts it.

        Raises EvseCommandRejectedError when it is rejected or failed and
        EvseCommandTimeoutError when no final answer comes within the timeout.
        """
        cmd_id = await self.send_command(station_id, command, body)
        waited = 0.0
        while True:
            status = await self.command_status(station_id, cmd_id)
            if status is EvceCommandStatus.ACCEPTED:
                return
            if status in (EvceCommandStatus.REJECTED, EvceCommandStatus.FAILED):
                raise EvseCommandRejectedError(f"the station answered {status} to {command}")
            if status is EvceCommandStatus.TIMEOUT or waited >= self.command_timeout_s:
                raise EvseCommandTimeoutError(
                    f"station {station_id} gave no answer to {command} "
                    f"within {self.command_timeout_s:.0f} s"
                )
            await self.sleep(self.command_poll_interval_s)
            waited += self.command_poll_interval_s

    async def remote_start(self, station_id: int, connector_id: int, id_tag: str | None) -> None:
        """Start a charging session on a connector (``id_tag`` authorizes it)."""
        body: dict[str, Any] = {"connector_id": connector_id}
        if id_tag:
            body["id_tag"] = id_tag
        with secrets_scrubbed(id_tag):
            await self.run_command(station_id, "remote_start", body)

    async def remote_stop(
        self,
        station_id: int,
        *,
        connector_id: int | None = None,
        transaction_id: int | None = None,
    ) -> None:
        """Stop the session of a transaction, or the one running on a connector."""
        if transaction_id is not None:
            body: dict[str, Any] = {"transaction_id": transaction_id}
        elif connector_id is not None:
            body = {"connector_id": connector_id}
        else:
            raise ValueError("remote stop needs a connector or a transaction")
        await self.run_command(station_id, "remote_stop", body)

    async def change_availability(
        self, station_id: int, *, operative: bool, connector_id: int = 0
    ) -> None:
        """Make a station (connector 0) or one connector operative or inoperative."""
        body = {"connector_id": connector_id, "type": "operative" if operative else "inoperative"}
        await self.run_command(station_id, "change_availability", body)

    async def reset(self, station_id: int, *, hard: bool = False) -> None:
        """Restart a station (soft by default: it ends sessions cleanly)."""
        await self.run_command(station_id, "reset", {"type": "hard" if hard else "soft"})


def _convert(name: str, value: float | None, unit: str | None) -> float | None:
    """``value`` in the unit the entity of ``name`` declares, or None when the unit is unknown."""
    quantity = _QUANTITY_OF.get(name)
    if value is None or quantity is None:
        return value
    factor = _UNIT_FACTORS[quantity].get((unit or "").strip().lower())
    if factor is None:
        report_once(
            "EvcePowerMeterUnit",
            f"{name}:{unit}",
            "Power meter value %s has unit %r, which is not understood; it is shown as unknown",
            name,
            unit,
        )
        return None
    return value * factor


def _message(answer: HttpAnswer, secrets: list[str] | None = None) -> str:
    """Return the hub's error message (``{"code":..,"message":..}``), short and secret-free."""
    try:
        payload = answer.json()
    except EvseResponseError:
        return f"HTTP {answer.status}"
    if isinstance(payload, Mapping):
        message = to_str(get_ci(payload, "message"))
        if message:
            return scrub(message, tuple(secrets or ()))[:200]
    return f"HTTP {answer.status}"
