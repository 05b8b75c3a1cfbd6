"""Kempower ChargEye cloud: one entry per organisation, one device per station and connector.

The whole account is one ``GET /stations`` per poll (every 60 s: the cloud's
rate limits are unpublished). Stations and connectors that appear or vanish
in the account become or stop being devices at the next poll. Connectors are
devices of their own, linked to their station, so that every connector gets
the same set of entities.

The API does not report a power limit that is in force, so the limit numbers
show the last limit this entry set and had accepted, and otherwise the rating
(no limit); clearing a limit is the ``clear_power_limit`` action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.components.button import ButtonDeviceClass
from homeassistant.components.number import NumberDeviceClass, NumberMode
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.data_entry_flow import section
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
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
    Connector,
    ConnectorStatus,
    ConnectorType,
    LimitUnit,
    OnlineStatus,
    ResetType,
    Station,
    StationStatus,
    TransactionStatus,
)
from ..const import DOMAIN
from ..descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeButtonEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeNumberEntityDescription,
    EvseBridgeSensorEntityDescription,
    EvseBridgeSwitchEntityDescription,
)
from ..runtime import EvseBridgeConfigEntry, EvseBridgeRuntimeData
from ..sessions import delivered_energy_sensor, session_event
from ..site import (
    SESSION_UNKNOWN,
    DeviceData,
    DeviceIdentity,
    SessionRecord,
    SessionUnknown,
    Site,
    SiteData,
)
from .base import ProbeResult, Vendor, VendorService, WriteTarget
from .sensor_factories import current_sensor, energy_sensor, enum_sensor, power_sensor

KEY = "kempower_chargeye"
MANUFACTURER = "Kempower"
STATION = "station"
CONNECTOR = "connector"

CONF_REFRESH_TOKEN = "refresh_token"
CONF_LOCATION = "location_uid"
CONF_ADVANCED = "advanced"
CONF_SERVER_URL = "server_url"

ATTR_ID_TOKEN = "id_token"
ATTR_ID_TOKEN_TYPE = "id_token_type"
ATTR_TRANSACTION_ID = "transaction_id"
ATTR_IMMEDIATE = "immediate"
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
    """A connector as polled, its station, and the limit this entry last had accepted."""

    station: Station
    connector: Connector
    power_limit: float | None


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


def _client(hass: HomeAssistant, data: Mapping[str, Any]) -> ChargEyeClient:
    return ChargEyeClient(
        async_get_clientsession(hass),
        str(data[CONF_REFRESH_TOKEN]).strip(),
        base_url=_server_url(data),
    )


async def _async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    client = _client(hass, data)
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
    local = connector.connector_id.removeprefix(f"{station.station_id}_")
    return f"{CONNECTOR}_{station.station_id}_{local}"


class ChargEyeSite(Site):
    """The account's stations, one request per poll."""

    def __init__(self, hass: HomeAssistant, entry: EvseBridgeConfigEntry) -> None:
        """Create the client from the entry's data."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self.client = _client(hass, entry.data)
        self._location: str | None = entry.data.get(CONF_LOCATION)
        #: Device key -> last power limit the station accepted from this entry.
        self._limits: dict[str, float] = {}

    async def async_fetch(self) -> SiteData:
        """List the stations and build a device per station and connector."""
        stations = await self.client.get_stations(self._location)
        devices: dict[str, DeviceData] = {}
        for station in stations:
            parent = station_key(station)
            name = station.name or station.station_id
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
                label = connector.name or connector.connector_id
                devices[key] = DeviceData(
                    key=key,
                    kind=CONNECTOR,
                    identity=DeviceIdentity(
                        name=f"{name} connector {label}",
                        manufacturer=MANUFACTURER,
                        model=station.model,
                        via_key=parent,
                        suggested_area=area,
                    ),
                    data=ConnectorData(station, connector, self._limits.get(key)),
                )
        # A limit of a device that left the account means nothing if it comes back.
        for key in set(self._limits) - set(devices):
            del self._limits[key]
        return SiteData(devices)

    def diagnostics(self) -> dict[str, Any]:
        """The last answer of every endpoint."""
        return {
            **self.client.raw_payloads,
            "token_exchanges": self.client.token_exchanges,
            "limits_set": dict(self._limits),
        }

    async def async_set_power_limit(self, device: DeviceData, value: float) -> None:
        """Limit a station or connector; remembered only when the station accepts it."""
        data = device.data
        unit = data.station.limit_unit
        if isinstance(data, ConnectorData):
            await self.client.set_connector_power_limit(
                data.station.station_id, data.connector.connector_id, value, unit
            )
        else:
            await self.client.set_station_power_limit(data.station.station_id, value, unit)
        self._limits[device.key] = value

    async def async_clear_power_limit(self, device: DeviceData) -> None:
        """Remove the limit of a station or connector."""
        data = device.data
        if isinstance(data, ConnectorData):
            await self.client.clear_connector_power_limit(
                data.station.station_id, data.connector.connector_id
            )
        else:
            await self.client.clear_station_power_limit(data.station.station_id)
        self._limits.pop(device.key, None)


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


def _limit_value(data: StationData | ConnectorData) -> float:
    """The accepted limit, else what the station reports as the usable maximum."""
    if data.power_limit is not None:
        return data.power_limit
    if isinstance(data, ConnectorData) and not _is_ampere(data):
        actual = data.connector.max_power_kw_actual
        if actual is not None:
            return actual
    return _rating(data)


async def _set_limit(site: ChargEyeSite, device: DeviceData, value: float) -> None:
    await site.async_set_power_limit(device, value)


def _power_limit(kind: str) -> EvseBridgeNumberEntityDescription:
    return EvseBridgeNumberEntityDescription(
        key="power_limit",
        translation_key="power_limit",
        device_kind=kind,
        mode=NumberMode.BOX,
        native_min_value=0,
        native_step=1,
        value_fn=_limit_value,
        set_fn=_set_limit,
        max_fn=_rating,
        unit_fn=_limit_unit,
        device_class_fn=_limit_device_class,
    )


# -- other commands -----------------------------------------------------------------------


async def _set_available(site: ChargEyeSite, device: DeviceData, on: bool) -> None:
    data: ConnectorData = device.data
    await site.client.set_connector_availability(
        data.station.station_id, data.connector.connector_id, operative=on
    )


def _is_available(data: ConnectorData) -> bool | None:
    status = data.connector.status
    if status is None or status is ConnectorStatus.UNKNOWN:
        return None
    return status is not ConnectorStatus.UNAVAILABLE


async def _restart_on_idle(site: ChargEyeSite, device: DeviceData) -> None:
    data: StationData = device.data
    await site.client.restart_station(data.station.station_id, ResetType.ON_IDLE)


def _session_energy(data: ConnectorData) -> float | None:
    transaction = data.connector.latest_transaction
    return None if transaction is None else transaction.energy_kwh


def _soc(data: ConnectorData) -> int | None:
    running = data.connector.running_transaction
    return None if running is None else running.soc


def _transaction_status(data: ConnectorData) -> str | None:
    transaction = data.connector.latest_transaction
    return None if transaction is None or transaction.status is None else transaction.status


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
        vehicle_soc=transaction.soc,
        ended=transaction.status is TransactionStatus.ENDED,
    )


DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    session_event(CONNECTOR, _session),
    # No meter in the API: energy delivered since the integration was added, from sessions.
    delivered_energy_sensor(CONNECTOR),
    delivered_energy_sensor(STATION),
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
    _power_limit(STATION),
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
        translation_key="state_of_charge",
        device_kind=CONNECTOR,
        device_class=SensorDeviceClass.BATTERY,
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
    _maximum_power(
        CONNECTOR,
        lambda data: data.connector.max_power_kw_actual or data.connector.max_power_kw,
    ),
    _power_limit(CONNECTOR),
    EvseBridgeSwitchEntityDescription(
        key="available",
        translation_key="connector_available",
        device_kind=CONNECTOR,
        is_on_fn=_is_available,
        set_fn=_set_available,
    ),
)


# -- actions ---------------------------------------------------------------------------------


def _site(runtime: EvseBridgeRuntimeData) -> ChargEyeSite:
    site = runtime.site
    assert isinstance(site, ChargEyeSite)
    return site


async def _async_start_transaction(
    hass: HomeAssistant,
    call: ServiceCall,
    runtime: EvseBridgeRuntimeData,
    device: DeviceData | None,
) -> ServiceResponse:
    assert device is not None
    id_token = str(call.data[ATTR_ID_TOKEN]).strip()
    if not id_token:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="id_token_required")
    data: ConnectorData = device.data
    await _site(runtime).client.start_transaction(
        data.station.station_id,
        data.connector.connector_id,
        id_token,
        call.data[ATTR_ID_TOKEN_TYPE].upper(),
    )
    return None


async def _async_stop_transaction(
    hass: HomeAssistant,
    call: ServiceCall,
    runtime: EvseBridgeRuntimeData,
    device: DeviceData | None,
) -> ServiceResponse:
    transaction_id = str(call.data.get(ATTR_TRANSACTION_ID) or "").strip()
    if not transaction_id:
        if device is None or device.kind != CONNECTOR:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="transaction_or_connector_required"
            )
        running = device.data.connector.running_transaction
        if running is None or running.transaction_id is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_running_transaction",
                translation_placeholders={"connector": device.identity.name},
            )
        transaction_id = running.transaction_id
    await _site(runtime).client.stop_transaction(transaction_id)
    return None


async def _async_clear_power_limit(
    hass: HomeAssistant,
    call: ServiceCall,
    runtime: EvseBridgeRuntimeData,
    device: DeviceData | None,
) -> ServiceResponse:
    assert device is not None
    await _site(runtime).async_clear_power_limit(device)
    return None


async def _async_restart_station(
    hass: HomeAssistant,
    call: ServiceCall,
    runtime: EvseBridgeRuntimeData,
    device: DeviceData | None,
) -> ServiceResponse:
    assert device is not None
    reset = ResetType.IMMEDIATE if call.data[ATTR_IMMEDIATE] else ResetType.ON_IDLE
    await _site(runtime).client.restart_station(device.data.station.station_id, reset)
    return None


SERVICES = (
    VendorService(
        name="start_transaction",
        fields={
            vol.Required(ATTR_ID_TOKEN): cv.string,
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
        name="clear_power_limit",
        fields={},
        handler=_async_clear_power_limit,
        device_kinds=(STATION, CONNECTOR),
        # Clearing writes "no limit" to the power limit number's target.
        write_target=lambda call, device: (
            None if device is None else WriteTarget(f"{device.key}/power_limit", None)
        ),
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
        EvseRateLimitedError: ("base", "rate_limited"),
        EvseNotSupportedError: ("base", "not_chargeye"),
        EvseResponseError: ("base", "not_chargeye"),
        EvseConnectionError: ("base", "cannot_connect_cloud"),
    },
    redact=frozenset({CONF_REFRESH_TOKEN, "idToken", "address"}),
)
