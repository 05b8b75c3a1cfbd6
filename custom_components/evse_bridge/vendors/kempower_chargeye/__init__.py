"""Kempower ChargEye cloud: one entry per organisation, one device per station and connector.

The whole account is one ``GET /stations`` per poll (every 60 s: the cloud's
rate limits are unpublished). Stations and connectors that appear or vanish
in the account become or stop being devices at the next poll. Connectors are
devices of their own, linked to their station, so that every connector gets
the same set of entities.

Limits: an AC station is limited in amperes ("Current limit"), a DC one in kW
("Power limit"). The API does not report a limit in force, so a limit number
shows the last limit this entry set and had accepted (kept across restarts in
the entry), and is Unknown while none is set: "no limit" is never shown as a
limit equal to the rating. "Remove limit" (a button, or the
``clear_power_limit`` action) clears it. "Maximum power" is the rating, never a
limit. A connector's "Session limit" limits the running transaction, and is
unavailable while none runs.

Command errors name the station and connector as the user knows them: a 401
that survives a fresh token is "no permission for this station" (never
reauthentication), a connector id the service does not take names what was
sent (``api/kempower_chargeye.py`` tries every reading of ``evseId``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.button import ButtonDeviceClass
from homeassistant.components.number import NumberDeviceClass, NumberMode
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    CONF_TOKEN,
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.data_entry_flow import section
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from ..api import (
    EvseAuthenticationError,
    EvseBridgeError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseRateLimitedError,
    EvseResponseError,
)
from ..api.kempower_chargeye import (
    DEFAULT_BASE_URL,
    ChargEyeClient,
    ChargEyeConnectorRefusedError,
    ChargEyePermissionError,
    Connector,
    ConnectorStatus,
    ConnectorType,
    LimitOptions,
    LimitUnit,
    OnlineStatus,
    ResetType,
    Station,
    StationStatus,
    TransactionStatus,
    charging_profile_problems,
)
from ..const import DOMAIN
from ..contract.commands import (
    last_command_sensor,
)
from ..contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeButtonEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeNumberEntityDescription,
    EvseBridgeSensorEntityDescription,
    EvseBridgeSwitchEntityDescription,
)
from ..contract.records import (
    SESSION_UNKNOWN,
    SessionRecord,
    SessionUnknown,
)
from ..contract.sensor_factories import (
    current_sensor,
    energy_sensor,
    enum_sensor,
    power_sensor,
)
from ..contract.sessions import (
    delivered_energy_sensor,
    session_event,
)
from ..contract.site import (
    CONNECTOR_NAME_KEY,
    DeviceData,
    DeviceIdentity,
    Site,
    SiteData,
)
from ..contract.vendor import (
    EntryContext,
    ProbeResult,
    Vendor,
    VendorService,
    WriteTarget,
)

KEY = "kempower_chargeye"
MANUFACTURER = "Kempower"
STATION = "station"
CONNECTOR = "connector"

CONF_REFRESH_TOKEN = "refresh_token"
CONF_LOCATION = "location_uid"
CONF_ADVANCED = "advanced"
CONF_SERVER_URL = "server_url"
#: Entry data: when the handed-over JWT (``token``) expires, ISO 8601.
CONF_TOKEN_VALID_UNTIL = "token_valid_until"
#: Entry data: limits this entry set and had accepted, by device key.
CONF_LIMITS = "limits"

ATTR_ID_TOKEN = "id_token"
ATTR_ID_TOKEN_TYPE = "id_token_type"
ATTR_TRANSACTION_ID = "transaction_id"
ATTR_IMMEDIATE = "immediate"
ATTR_OPERATIVE = "operative"
ATTR_REASON = "reason"
ATTR_LIMIT = "limit"
ATTR_SESSION = "session"
ATTR_CHARGING_PROFILE_ID = "charging_profile_id"
ATTR_COMMENT = "comment"
ATTR_CONDITION = "condition"
ATTR_RELATIVE_DELAY = "relative_delay"
ATTR_STACK_LEVEL = "stack_level"
ATTR_PROFILE = "profile"
# Lower case in the action (translation keys must be); the API wants OCPP 2.0.1 upper case.
ID_TOKEN_TYPES = ("app_user", "ad_hoc_user", "rfid", "other")

#: Bounds of a limit when the station reports no rating (the example answer has zeros).
FALLBACK_MAX_A = 63.0
FALLBACK_MAX_KW = 600.0
AC_PHASE_VOLTAGE = 230.0


class NoStationsError(EvseBridgeError):
    """The account (or the chosen location) has no charging station."""


@dataclass(frozen=True, slots=True)
class StationData:
    """A station as polled, with the power limit this entry last had accepted."""

    station: Station
    power_limit: float | None


@dataclass(frozen=True, slots=True)
class ConnectorData:
    """A connector as polled, its station, and the limits this entry last had accepted."""

    station: Station
    connector: Connector
    power_limit: float | None
    #: Limit of the running transaction, while it runs.
    session_limit: float | None = None


# -- config ---------------------------------------------------------------------------


def _user_schema(defaults: Mapping[str, Any]) -> vol.Schema:
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
                {"collapsed": True},
            ),
        }
    )


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


def _client(hass: HomeAssistant, data: Mapping[str, Any]) -> ChargEyeClient:
    token = data.get(CONF_TOKEN)
    return ChargEyeClient(
        async_get_clientsession(hass),
        str(data[CONF_REFRESH_TOKEN]).strip(),
        base_url=_server_url(data),
        token=token if isinstance(token, str) else None,
        token_valid_until=_valid_until(data),
    )


def _token_data(client: ChargEyeClient) -> dict[str, Any]:
    """The client's JWT as entry data, for the next client to start with."""
    if client.token is None or client.token_valid_until is None:
        return {}
    return {CONF_TOKEN: client.token, CONF_TOKEN_VALID_UNTIL: client.token_valid_until.isoformat()}


async def _async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    """Exchange the refresh token once; the JWT is handed to the entry."""
    # A JWT left in the data (reauth, reconfigure) may belong to the old refresh token.
    client = _client(hass, {key: value for key, value in data.items() if key != CONF_TOKEN})
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
        **_token_data(client),
    }
    if location is not None:
        entry_data[CONF_LOCATION] = location
    return ProbeResult(unique_id=account, title=title, data=entry_data)


# -- site -------------------------------------------------------------------------------


def station_key(station: Station) -> str:
    """Device key of a station."""
    return f"{STATION}_{station.station_id}"


def connector_key(station: Station, connector: Connector) -> str:
    """Device key of a connector; the id's optional station prefix is dropped, so it is stable."""
    return f"{CONNECTOR}_{station.station_id}_{station.local_id(connector)}"


def station_name(station: Station) -> str:
    """What the station calls itself, else its model and serial, else its id."""
    if station.name:
        return station.name
    if station.model and station.serial_number:
        return f"{station.model} {station.serial_number}"
    return station.station_id


def connector_label(connector: Connector) -> str:
    """The connector's name in its station ("2"), else its id."""
    return connector.name or connector.connector_id


class ChargEyeSite(Site):
    """The account's stations, one request per poll."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Create the client from the entry's data (with the JWT the probe obtained)."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self._hass = hass
        self._entry = entry
        self.client = _client(hass, entry.data)
        self._location: str | None = entry.data.get(CONF_LOCATION)
        stored = entry.data.get(CONF_LIMITS)
        #: Device key -> last power limit the station accepted from this entry.
        self._limits: dict[str, float] = (
            {str(key): float(value) for key, value in stored.items()}
            if isinstance(stored, Mapping)
            else {}
        )
        #: Transaction id -> limit accepted for it (ends with the transaction).
        self._session_limits: dict[str, float] = {}

    def _store(self) -> None:
        """Keep the JWT and the limits in the entry (diagnostics redact the token)."""
        data = {
            key: value
            for key, value in self._entry.data.items()
            if key not in (CONF_TOKEN, CONF_TOKEN_VALID_UNTIL, CONF_LIMITS)
        }
        data.update(_token_data(self.client))
        if self._limits:
            data[CONF_LIMITS] = dict(self._limits)
        if data != dict(self._entry.data):
            self._hass.config_entries.async_update_entry(self._entry, data=data)

    async def async_fetch(self) -> SiteData:
        """List the stations and build a device per station and connector."""
        stations = await self.client.get_stations(self._location)
        devices: dict[str, DeviceData] = {}
        running: set[str] = set()
        for station in stations:
            parent = station_key(station)
            name = station_name(station)
            area = station.location.name if station.location else None
            devices[parent] = DeviceData(
                key=parent,
                kind=STATION,
                identity=DeviceIdentity(
                    name=name,
                    manufacturer=MANUFACTURER,
                    model=station.model,
                    serial_number=station.serial_number,
                    sw_version=station.firmware_version,
                    suggested_area=area,
                ),
                data=StationData(station, self._limits.get(parent)),
            )
            for connector in station.connectors:
                key = connector_key(station, connector)
                label = connector_label(connector)
                transaction = connector.running_transaction
                tx_id = transaction.transaction_id if transaction else None
                if tx_id is not None:
                    running.add(tx_id)
                devices[key] = DeviceData(
                    key=key,
                    kind=CONNECTOR,
                    identity=DeviceIdentity(
                        name=f"{name} connector {label}",
                        manufacturer=MANUFACTURER,
                        model=station.model,
                        via_key=parent,
                        translation_key=CONNECTOR_NAME_KEY,
                        translation_placeholders={"station": name, "connector": label},
                        suggested_area=area,
                    ),
                    data=ConnectorData(
                        station,
                        connector,
                        self._limits.get(key),
                        None if tx_id is None else self._session_limits.get(tx_id),
                    ),
                )
        # A limit of a device that left the account means nothing if it comes back.
        for key in set(self._limits) - set(devices):
            del self._limits[key]
        for tx_id in set(self._session_limits) - running:
            del self._session_limits[tx_id]
        self._store()
        return SiteData(devices)

    def diagnostics(self) -> dict[str, Any]:
        """The last answer of every endpoint and the readings the service used."""
        form = self.client.evse_id_form
        return {
            **self.client.raw_payloads,
            "token_exchanges": self.client.token_exchanges,
            "limits_set": dict(self._limits),
            "readings": {
                # None until a connector command told which reading the service takes.
                "evse_id_form": None if form is None else form.value,
                "connector_ids_with_station_prefix": self._prefixed_connector_ids(),
                "limit_options": "query parameters",
            },
        }

    def _prefixed_connector_ids(self) -> dict[str, bool]:
        """Per station: whether its connectors' ids carry the station prefix."""
        payload = self.client.raw_payloads.get("stations")
        stations = payload.get("stations") if isinstance(payload, Mapping) else None
        found: dict[str, bool] = {}
        for raw in stations if isinstance(stations, list) else []:
            station_id = raw.get("stationId") if isinstance(raw, Mapping) else None
            connectors = raw.get("connectors") if isinstance(raw, Mapping) else None
            if isinstance(station_id, str) and isinstance(connectors, list):
                found[station_id] = any(
                    isinstance(c, Mapping)
                    and str(c.get("connectorId", "")).startswith(f"{station_id}_")
                    for c in connectors
                )
        return found

    def display_name(self, key: str, fallback: str) -> str:
        """The device's name as the user sees it (renamed or translated), else ``fallback``."""
        registry = dr.async_get(self._hass)
        identifier = (DOMAIN, self.device_identifier(key))
        for device in dr.async_entries_for_config_entry(registry, self._entry.entry_id):
            if identifier in device.identifiers:
                return device.name_by_user or device.name or fallback
        return fallback

    @contextmanager
    def command_errors(self, device: DeviceData) -> Iterator[None]:
        """The two ChargEye refusals as errors naming ``device`` (see module doc).

        Every other client error is left to the generic translation, which names the
        device as the user knows it too.
        """
        data = device.data
        station_device = station_key(data.station)
        station = self.display_name(station_device, station_name(data.station))
        try:
            yield
        except ChargEyePermissionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="chargeye_no_permission",
                translation_placeholders={"station": station},
            ) from err
        except ChargEyeConnectorRefusedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="chargeye_connector_refused",
                translation_placeholders={
                    "station": station,
                    "connector": self.display_name(device.key, device.identity.name),
                    "sent": ", ".join(
                        f"evseId {evse_id} (HTTP {status})" for evse_id, status in err.sent
                    ),
                },
            ) from err

    async def async_set_power_limit(
        self, device: DeviceData, value: float, options: LimitOptions | None = None
    ) -> None:
        """Limit a station or connector; remembered only when the station accepts it."""
        data = device.data
        unit = data.station.limit_unit
        with self.command_errors(device):
            if isinstance(data, ConnectorData):
                await self.client.set_connector_power_limit(
                    data.station, data.connector, value, unit, options or LimitOptions()
                )
            else:
                await self.client.set_station_power_limit(
                    data.station, value, unit, options or LimitOptions()
                )
        self._limits[device.key] = value
        self._store()

    async def async_clear_power_limit(self, device: DeviceData) -> None:
        """Remove the limit of a station or connector."""
        data = device.data
        with self.command_errors(device):
            if isinstance(data, ConnectorData):
                await self.client.clear_connector_power_limit(data.station, data.connector)
            else:
                await self.client.clear_station_power_limit(data.station)
        self._limits.pop(device.key, None)
        self._store()

    async def async_set_session_limit(
        self, device: DeviceData, value: float, options: LimitOptions | None = None
    ) -> None:
        """Limit the connector's running transaction."""
        data: ConnectorData = device.data
        tx_id = _running_transaction_id(self, device)
        with self.command_errors(device):
            await self.client.set_transaction_power_limit(
                tx_id, value, data.station.limit_unit, options or LimitOptions()
            )
        self._session_limits[tx_id] = value

    async def async_clear_session_limit(self, device: DeviceData) -> None:
        """Remove the limit of the connector's running transaction."""
        tx_id = _running_transaction_id(self, device)
        with self.command_errors(device):
            await self.client.clear_transaction_power_limit(tx_id)
        self._session_limits.pop(tx_id, None)


def _running_transaction_id(site: ChargEyeSite, device: DeviceData) -> str:
    """The connector's running transaction, or a validation error naming the connector."""
    running = device.data.connector.running_transaction
    if running is None or running.transaction_id is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_running_transaction",
            translation_placeholders={
                "connector": site.display_name(device.key, device.identity.name)
            },
        )
    return str(running.transaction_id)


# -- power limit numbers ------------------------------------------------------------------


def _is_ampere(data: StationData | ConnectorData) -> bool:
    return data.station.limit_unit is LimitUnit.AC_AMPERE


def _limit_unit(data: StationData | ConnectorData) -> str:
    return UnitOfElectricCurrent.AMPERE if _is_ampere(data) else UnitOfPower.KILO_WATT


def _limit_device_class(data: StationData | ConnectorData) -> NumberDeviceClass:
    return NumberDeviceClass.CURRENT if _is_ampere(data) else NumberDeviceClass.POWER


def _rating(data: StationData | ConnectorData) -> float:
    """The largest limit that makes sense: the station's or connector's rating."""
    station = data.station
    if isinstance(data, ConnectorData):
        connector_kw = data.connector.max_power_kw
        if _is_ampere(data):
            if connector_kw:
                return float(round(connector_kw * 1000 / (AC_PHASE_VOLTAGE * 3)))
            return station.max_power_a or FALLBACK_MAX_A
        return connector_kw or station.max_power_kw or FALLBACK_MAX_KW
    if _is_ampere(data):
        return station.max_power_a or FALLBACK_MAX_A
    return station.max_power_kw or FALLBACK_MAX_KW


def _limit_value(data: StationData | ConnectorData) -> float | None:
    """The accepted limit; None (Unknown) while no limit is set."""
    return data.power_limit


async def _set_limit(site: ChargEyeSite, device: DeviceData, value: float) -> None:
    await site.async_set_power_limit(device, value)


async def _clear_limit(site: ChargEyeSite, device: DeviceData) -> None:
    await site.async_clear_power_limit(device)


async def _set_session_limit(site: ChargEyeSite, device: DeviceData, value: float) -> None:
    await site.async_set_session_limit(device, value)


def _has_running_transaction(data: ConnectorData) -> bool:
    running = data.connector.running_transaction
    return running is not None and running.transaction_id is not None


def _limited_in(*, ampere: bool) -> Callable[[StationData | ConnectorData], bool]:
    return lambda data: _is_ampere(data) is ampere


class _LimitConditions(TypedDict, total=False):
    """When a limit number exists and when it takes a value."""

    exists_fn: Callable[[Any], bool]
    available_fn: Callable[[Any], bool]


def _limit_number(
    key: str,
    translation_key: str,
    kind: str,
    value_fn: Callable[[Any], float | None],
    set_fn: Callable[[ChargEyeSite, DeviceData, float], Awaitable[None]],
    **conditions: Unpack[_LimitConditions],
) -> EvseBridgeNumberEntityDescription:
    """A limit typed in a box, from 0 to the rating, in the unit the station is limited in."""
    return EvseBridgeNumberEntityDescription(
        key=key,
        translation_key=translation_key,
        device_kind=kind,
        mode=NumberMode.BOX,
        native_min_value=0,
        native_step=1,
        value_fn=value_fn,
        set_fn=set_fn,
        max_fn=_rating,
        unit_fn=_limit_unit,
        device_class_fn=_limit_device_class,
        **conditions,
    )


def _limit_numbers(kind: str) -> tuple[EvseBridgeNumberEntityDescription, ...]:
    """The station's or connector's limit: in A on an AC station, in kW on a DC one.

    Both keep the key ``power_limit`` (one of them exists per device), so the
    entity of an existing installation keeps its id and history.
    """
    return tuple(
        _limit_number(
            "power_limit",
            translation_key,
            kind,
            _limit_value,
            _set_limit,
            exists_fn=_limited_in(ampere=ampere),
        )
        for translation_key, ampere in (("current_limit", True), ("power_limit", False))
    )


def _session_limit_value(data: ConnectorData) -> float | None:
    return data.session_limit


_SESSION_LIMIT = _limit_number(
    "session_power_limit",
    "session_limit",
    CONNECTOR,
    _session_limit_value,
    _set_session_limit,
    available_fn=_has_running_transaction,
)


def _clear_limit_button(kind: str) -> EvseBridgeButtonEntityDescription:
    return EvseBridgeButtonEntityDescription(
        key="clear_power_limit",
        translation_key="remove_limit",
        device_kind=kind,
        entity_category=EntityCategory.CONFIG,
        press_fn=_clear_limit,
    )


# -- other commands -----------------------------------------------------------------------


async def _set_available(site: ChargEyeSite, device: DeviceData, on: bool) -> None:
    data: ConnectorData = device.data
    with site.command_errors(device):
        await site.client.set_connector_availability(data.station, data.connector, operative=on)


def _is_available(data: ConnectorData) -> bool | None:
    status = data.connector.status
    if status is None or status is ConnectorStatus.UNKNOWN:
        return None
    return status is not ConnectorStatus.UNAVAILABLE


async def _restart_on_idle(site: ChargEyeSite, device: DeviceData) -> None:
    data: StationData = device.data
    with site.command_errors(device):
        await site.client.restart_station(data.station, ResetType.ON_IDLE)


def _session_energy(data: ConnectorData) -> float | None:
    transaction = data.connector.running_transaction
    # Between sessions: 0 kWh (one rule for every vendor); the last one is on the event.
    return 0.0 if transaction is None else transaction.energy_kwh


def _soc(data: ConnectorData) -> int | None:
    running = data.connector.running_transaction
    return None if running is None else running.soc


def _transaction_status(data: ConnectorData) -> str | None:
    transaction = data.connector.latest_transaction
    return None if transaction is None or transaction.status is None else transaction.status


def _connector_attributes(data: ConnectorData) -> dict[str, Any]:
    """The running transaction's id, for ``stop_transaction`` and automations."""
    running = data.connector.running_transaction
    return {ATTR_TRANSACTION_ID: None if running is None else running.transaction_id}


def _is_online(data: StationData) -> bool | None:
    status = data.station.online_status
    return None if status is None else status is OnlineStatus.ONLINE


def _enum_value(value: Any) -> str | None:
    return None if value is None else str(value)


def _maximum_power(
    kind: str, value_fn: Callable[[Any], float | None]
) -> EvseBridgeSensorEntityDescription:
    """The rating, in kW: a fixed figure about the device, not a measurement."""
    return EvseBridgeSensorEntityDescription(
        key="maximum_power",
        translation_key="maximum_power",
        device_kind=kind,
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=value_fn,
    )


def _session(data: ConnectorData) -> SessionRecord | SessionUnknown | None:
    """The connector's latest transaction; one with status Ended is the final record.

    An offline station's connector reports nothing current (the cloud shows its last
    state): the open session neither ends nor changes until the station is back.
    """
    connector = data.connector
    if data.station.online_status is OnlineStatus.OFFLINE or connector.status in (
        None,
        ConnectorStatus.UNKNOWN,
    ):
        return SESSION_UNKNOWN
    transaction = connector.latest_transaction
    if transaction is None:
        return None
    if transaction.status in (None, TransactionStatus.UNKNOWN):
        return SESSION_UNKNOWN
    return SessionRecord(
        id=transaction.transaction_id,
        start=transaction.start_time,
        energy_kwh=transaction.energy_kwh,
        power_w=None if transaction.power_kw is None else transaction.power_kw * 1000,
        tag=transaction.id_token,
        vehicle_soc=transaction.soc,
        ended=transaction.status is TransactionStatus.ENDED,
    )


DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    session_event(CONNECTOR, _session),
    # No meter in the API: energy delivered since the integration was added, from sessions.
    delivered_energy_sensor(CONNECTOR),
    delivered_energy_sensor(STATION),
    # What the cloud answered to the restart and remove-limit buttons.
    last_command_sensor(STATION),
    last_command_sensor(CONNECTOR),
    # Station
    enum_sensor(
        "station_status",
        "station_status",
        STATION,
        StationStatus,
        lambda data: _enum_value(data.station.status),
    ),
    EvseBridgeBinarySensorEntityDescription(
        key="online",
        translation_key="cloud_connection",
        device_kind=STATION,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=_is_online,
    ),
    power_sensor(
        "output_power",
        "output_power",
        STATION,
        lambda data: data.station.current_power_kw,
        unit=UnitOfPower.KILO_WATT,
        precision=1,
    ),
    current_sensor(
        "input_current",
        "input_current",
        STATION,
        lambda data: data.station.current_power_a,
        precision=1,
    ),
    _maximum_power(STATION, lambda data: data.station.max_power_kw),
    *_limit_numbers(STATION),
    _clear_limit_button(STATION),
    EvseBridgeButtonEntityDescription(
        key="restart",
        translation_key="restart_on_idle",
        device_kind=STATION,
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press_fn=_restart_on_idle,
    ),
    # Connector
    enum_sensor(
        "connector_status",
        "connector_status",
        CONNECTOR,
        ConnectorStatus,
        lambda data: _enum_value(data.connector.status),
        attributes_fn=_connector_attributes,
    ),
    enum_sensor(
        "connector_type",
        "connector_type",
        CONNECTOR,
        ConnectorType,
        lambda data: _enum_value(data.connector.connector_type),
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    power_sensor(
        "power",
        "charging_power",
        CONNECTOR,
        lambda data: data.connector.power_kw,
        unit=UnitOfPower.KILO_WATT,
        precision=1,
    ),
    energy_sensor(
        "session_energy",
        "session_energy",
        CONNECTOR,
        _session_energy,
        unit=UnitOfEnergy.KILO_WATT_HOUR,
    ),
    EvseBridgeSensorEntityDescription(
        key="state_of_charge",
        translation_key="vehicle_state_of_charge",
        device_kind=CONNECTOR,
        # No battery device class: the battery is the vehicle's, not the connector's.
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        # AC charging has no link to the car's battery management.
        exists_fn=lambda data: not data.connector.is_ac,
        value_fn=_soc,
    ),
    enum_sensor(
        "transaction_status",
        "transaction_status",
        CONNECTOR,
        TransactionStatus,
        _transaction_status,
    ),
    _maximum_power(CONNECTOR, lambda data: data.connector.max_power_kw),
    *_limit_numbers(CONNECTOR),
    _clear_limit_button(CONNECTOR),
    _SESSION_LIMIT,
    EvseBridgeSwitchEntityDescription(
        key="available",
        translation_key="connector_available",
        device_kind=CONNECTOR,
        is_on_fn=_is_available,
        set_fn=_set_available,
    ),
)


# -- actions ---------------------------------------------------------------------------------


def _site(context: EntryContext) -> ChargEyeSite:
    site = context.site
    assert isinstance(site, ChargEyeSite)
    return site


async def _async_start_transaction(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    assert device is not None
    # The document allows no id token (null): the station starts without one.
    id_token = str(call.data.get(ATTR_ID_TOKEN) or "").strip() or None
    data: ConnectorData = device.data
    site = _site(context)
    with site.command_errors(device):
        await site.client.start_transaction(
            data.station, data.connector, id_token, call.data[ATTR_ID_TOKEN_TYPE].upper()
        )
    return None


async def _async_stop_transaction(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    site = _site(context)
    transaction_id = str(call.data.get(ATTR_TRANSACTION_ID) or "").strip()
    if not transaction_id:
        if device is None or device.kind != CONNECTOR:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="transaction_or_connector_required"
            )
        transaction_id = _running_transaction_id(site, device)
    if device is None:
        await site.client.stop_transaction(transaction_id)
        return None
    with site.command_errors(device):
        await site.client.stop_transaction(transaction_id)
    return None


def _limit_options(call: ServiceCall) -> LimitOptions:
    return LimitOptions(
        charging_profile_id=call.data.get(ATTR_CHARGING_PROFILE_ID),
        comment=call.data.get(ATTR_COMMENT),
        condition=call.data.get(ATTR_CONDITION),
        relative_delay_s=call.data.get(ATTR_RELATIVE_DELAY),
        stack_level=call.data.get(ATTR_STACK_LEVEL),
    )


def _limits_session(call: ServiceCall, device: DeviceData) -> bool:
    """Whether the call is about the running transaction's limit (only a connector has one)."""
    if not call.data[ATTR_SESSION]:
        return False
    if device.kind != CONNECTOR:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="chargeye_session_needs_connector"
        )
    return True


async def _async_set_power_limit(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    assert device is not None
    site = _site(context)
    limit = float(call.data[ATTR_LIMIT])
    if _limits_session(call, device):
        await site.async_set_session_limit(device, limit, _limit_options(call))
    else:
        await site.async_set_power_limit(device, limit, _limit_options(call))
    return None


async def _async_clear_power_limit(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    assert device is not None
    site = _site(context)
    if _limits_session(call, device):
        await site.async_clear_session_limit(device)
    else:
        await site.async_clear_power_limit(device)
    return None


async def _async_change_availability(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    assert device is not None
    data: ConnectorData = device.data
    site = _site(context)
    reason = str(call.data.get(ATTR_REASON) or "").strip() or None
    with site.command_errors(device):
        await site.client.set_connector_availability(
            data.station, data.connector, operative=call.data[ATTR_OPERATIVE], reason=reason
        )
    return None


async def _async_set_charging_profile(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    """Validate the OCPP 2.0.1 ChargingProfile, push it, return the station's answer."""
    assert device is not None
    profile = call.data[ATTR_PROFILE]
    if problems := charging_profile_problems(profile):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="chargeye_invalid_charging_profile",
            translation_placeholders={"problems": "; ".join(problems)},
        )
    data = device.data
    site = _site(context)
    connector = data.connector if isinstance(data, ConnectorData) else None
    with site.command_errors(device):
        answer = await site.client.set_charging_profile(data.station, connector, profile)
    return {"response": answer.get("response"), "status_info": answer.get("statusInfo")}


async def _async_restart_station(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    assert device is not None
    reset = ResetType.IMMEDIATE if call.data[ATTR_IMMEDIATE] else ResetType.ON_IDLE
    site = _site(context)
    with site.command_errors(device):
        await site.client.restart_station(device.data.station, reset)
    return None


_LIMIT_OPTION_FIELDS: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_CHARGING_PROFILE_ID): vol.All(vol.Coerce(int), vol.Range(min=0)),
    vol.Optional(ATTR_COMMENT): cv.string,
    vol.Optional(ATTR_CONDITION): cv.string,
    vol.Optional(ATTR_RELATIVE_DELAY): vol.All(vol.Coerce(int), vol.Range(min=0)),
    vol.Optional(ATTR_STACK_LEVEL): vol.All(vol.Coerce(int), vol.Range(min=0)),
}

SERVICES = (
    VendorService(
        name="start_transaction",
        fields={
            vol.Optional(ATTR_ID_TOKEN): cv.string,
            vol.Optional(ATTR_ID_TOKEN_TYPE, default="app_user"): vol.All(
                vol.Lower, vol.In(ID_TOKEN_TYPES)
            ),
        },
        handler=_async_start_transaction,
        device_kinds=(CONNECTOR,),
    ),
    VendorService(
        name="stop_transaction",
        fields={vol.Optional(ATTR_TRANSACTION_ID): cv.string},
        handler=_async_stop_transaction,
    ),
    VendorService(
        name="set_power_limit",
        fields={
            vol.Required(ATTR_LIMIT): vol.All(vol.Coerce(float), vol.Range(min=0)),
            vol.Optional(ATTR_SESSION, default=False): cv.boolean,
            **_LIMIT_OPTION_FIELDS,
        },
        handler=_async_set_power_limit,
        device_kinds=(STATION, CONNECTOR),
    ),
    VendorService(
        name="clear_power_limit",
        fields={vol.Optional(ATTR_SESSION, default=False): cv.boolean},
        handler=_async_clear_power_limit,
        device_kinds=(STATION, CONNECTOR),
        # Clearing writes "no limit" to the power limit number's target.
        write_target=lambda call, device: (
            None if device is None else WriteTarget(f"{device.key}/power_limit", None)
        ),
    ),
    VendorService(
        name="change_availability",
        fields={
            vol.Required(ATTR_OPERATIVE): cv.boolean,
            vol.Optional(ATTR_REASON): cv.string,
        },
        handler=_async_change_availability,
        device_kinds=(CONNECTOR,),
    ),
    VendorService(
        name="set_charging_profile",
        fields={vol.Required(ATTR_PROFILE): dict},
        handler=_async_set_charging_profile,
        supports_response=SupportsResponse.OPTIONAL,
        device_kinds=(STATION, CONNECTOR),
    ),
    VendorService(
        name="restart_station",
        fields={vol.Optional(ATTR_IMMEDIATE, default=False): cv.boolean},
        handler=_async_restart_station,
        device_kinds=(STATION,),
    ),
)

KEMPOWER_CHARGEYE = Vendor(
    key=KEY,
    label="ChargEye",
    form_placeholders={"default_server_url": DEFAULT_BASE_URL},
    user_schema=_user_schema,
    secret_fields=(CONF_REFRESH_TOKEN,),
    async_probe=_async_probe,
    create_site=ChargEyeSite,
    update_interval=timedelta(seconds=60),
    descriptions=DESCRIPTIONS,
    services=SERVICES,
    form_errors={
        NoStationsError: (CONF_LOCATION, "no_stations"),
        EvseAuthenticationError: (CONF_REFRESH_TOKEN, "invalid_refresh_token"),
        ChargEyePermissionError: ("base", "chargeye_no_permission"),
        EvseRateLimitedError: ("base", "rate_limited"),
        EvseNotSupportedError: ("base", "not_chargeye"),
        EvseResponseError: ("base", "not_chargeye"),
        EvseConnectionError: ("base", "cannot_connect_cloud"),
    },
    # Id tokens: the client already replaces them in raw payloads; parsed data has id_token.
    redact=frozenset({CONF_REFRESH_TOKEN, "idToken", "idTag", "id_token", "address"}),
)
