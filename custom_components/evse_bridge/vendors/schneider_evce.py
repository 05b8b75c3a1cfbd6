"""Schneider EcoStruxure EV Charging Expert: a hub with stations, zones and power meters.

Each poll reads every station's status in one request, then one status and one
reduction per zone and one set of values per power meter. The lists of
stations, zones and meters are read again only after a reconnection, every ten
minutes, or when a status names a station not seen before. The hub's JWT is
kept in the entry data, so a restart reuses it instead of logging in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.button import ButtonDeviceClass
from homeassistant.components.number import NumberDeviceClass, NumberMode
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_USERNAME,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..api import (
    EvseAuthenticationError,
    EvseBridgeError,
    EvseCertificateError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from ..api.schneider_evce import (
    EvceAccountBlockedError,
    EvceClient,
    EvceConnectorStatus,
    EvceOcppStatus,
    EvcePowerMeter,
    EvcePowerMeterValues,
    EvceProductInfo,
    EvceReductionType,
    EvceSslMode,
    EvceStation,
    EvceStationStatus,
    EvceZone,
    EvceZoneReduction,
    EvceZoneStatus,
    fetch_certificate_fingerprint,
    split_host,
)
from ..const import CONF_FINGERPRINT, DOMAIN
from ..descriptions import (
    EvseBridgeButtonEntityDescription,
    EvseBridgeEntityDescription,
    EvseBridgeNumberEntityDescription,
    EvseBridgeSensorEntityDescription,
    EvseBridgeSwitchEntityDescription,
)
from ..runtime import EvseBridgeConfigEntry, EvseBridgeRuntimeData
from ..site import DeviceData, DeviceIdentity, Site, SiteData
from .base import ProbeResult, Vendor, VendorService
from .sensor_factories import (
    current_sensor,
    energy_sensor,
    enum_sensor,
    phase_sensors,
    power_sensor,
    voltage_sensor,
)

CONF_CERTIFICATE = "certificate"
MANUFACTURER = "Schneider Electric"
HUB = "hub"
STATION = "station"
ZONE = "zone"
POWER_METER = "power_meter"
#: How often the lists of stations, zones and meters are read again without other cause.
INVENTORY_INTERVAL = timedelta(minutes=10)
#: Connectors per station that get their own status sensor.
MAX_CONNECTORS = 4
ATTR_CONNECTOR = "connector"
ATTR_ID_TAG = "id_tag"
ATTR_TRANSACTION_ID = "transaction_id"


@dataclass(frozen=True, slots=True)
class EvceHubData:
    """The hub itself: identity and a summary of its stations."""

    info: EvceProductInfo
    stations: int
    stations_connected: int
    power_w: float | None


@dataclass(frozen=True, slots=True)
class EvceStationData:
    """A station's configuration and its latest status (None when the hub sent none)."""

    station: EvceStation
    status: EvceStationStatus | None

    @property
    def online(self) -> bool:
        """Whether the station's OCPP link to the hub is up."""
        return self.status is not None and self.status.ocpp_status is EvceOcppStatus.CONNECTED


@dataclass(frozen=True, slots=True)
class EvceZoneData:
    """A zone, its live status and the reduction applied to it."""

    zone: EvceZone
    status: EvceZoneStatus
    reduction: EvceZoneReduction

    @property
    def reduction_type(self) -> EvceReductionType:
        """Unit of the reduction; a zone that does not say is reduced in amperes."""
        return self.reduction.type or EvceReductionType.CURRENT


@dataclass(frozen=True, slots=True)
class EvcePowerMeterData:
    """A power meter and its last values."""

    meter: EvcePowerMeter
    values: EvcePowerMeterValues


def _user_schema(defaults: Mapping[str, Any]) -> vol.Schema:
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


def _ssl_mode(data: Mapping[str, Any]) -> EvceSslMode:
    return EvceSslMode(data.get(CONF_CERTIFICATE, EvceSslMode.PINNED))


def _client(hass: HomeAssistant, data: Mapping[str, Any], token: str | None) -> EvceClient:
    mode = _ssl_mode(data)
    return EvceClient(
        async_get_clientsession(hass),
        data[CONF_HOST],
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        ssl_mode=mode,
        fingerprint=data.get(CONF_FINGERPRINT) if mode is EvceSslMode.PINNED else None,
        token=token,
    )


async def _async_certificate_fingerprint(hass: HomeAssistant, data: dict[str, Any]) -> str | None:
    """The hub's certificate fingerprint, when the user chose to pin it."""
    if _ssl_mode(data) is not EvceSslMode.PINNED:
        return None
    return await fetch_certificate_fingerprint(data[CONF_HOST])


async def _async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    """Read the hub's identity, then log in; the token is kept for the entry."""
    host = data[CONF_HOST].strip()
    client = _client(hass, {**data, CONF_HOST: host}, token=None)
    info = await client.product_info()
    if info.serial is None:
        raise EvseResponseError("the hub reports no serial number")
    await client.login()
    entry_data: dict[str, Any] = {
        CONF_HOST: host,
        CONF_USERNAME: data[CONF_USERNAME],
        CONF_PASSWORD: data[CONF_PASSWORD],
        CONF_CERTIFICATE: _ssl_mode(data).value,
        CONF_TOKEN: client.token,
    }
    if _ssl_mode(data) is EvceSslMode.PINNED:
        entry_data[CONF_FINGERPRINT] = data[CONF_FINGERPRINT]
    return ProbeResult(
        unique_id=info.serial,
        title=f"{info.name or 'EV Charging Expert'} {info.serial}",
        data=entry_data,
    )


class EvceSite(Site):
    """One hub: the hub device plus a device per station, zone and power meter."""

    def __init__(self, hass: HomeAssistant, entry: EvseBridgeConfigEntry) -> None:
        """Create the client; a token kept from an earlier run is used first."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self._hass = hass
        self._entry = entry
        self.client = _client(hass, entry.data, token=entry.data.get(CONF_TOKEN))
        self.client.add_token_listener(self._store_token)
        hostname, port = split_host(entry.data[CONF_HOST])
        self._url = f"https://{hostname}:{port}/" if port != 443 else f"https://{hostname}/"
        self._info: EvceProductInfo | None = None
        self._stations: dict[int, EvceStation] = {}
        self._zones: dict[int, EvceZone] = {}
        self._meters: dict[int, EvcePowerMeter] = {}
        self._inventory_at: datetime | None = None
        self._logins_seen = 0
        self._reconnected = True
        #: Stations the statuses and the list disagreed on right after the list was read.
        self._known_mismatch: frozenset[int] = frozenset()

    def _store_token(self, token: str | None) -> None:
        """Keep the token across restarts (diagnostics redact it)."""
        data = {key: value for key, value in self._entry.data.items() if key != CONF_TOKEN}
        if token is not None:
            data[CONF_TOKEN] = token
        self._hass.config_entries.async_update_entry(self._entry, data=data)

    def _inventory_due(self) -> bool:
        if self._inventory_at is None or self._reconnected:
            return True
        if self.client.login_count != self._logins_seen:
            return True
        return dt_util.utcnow() - self._inventory_at >= INVENTORY_INTERVAL

    async def _async_read_inventory(self) -> None:
        """Read the hub's identity and its lists of stations, zones and meters."""
        self._info = await self.client.product_info()
        self._stations = {station.id: station for station in await self.client.stations()}
        self._zones = {zone.id: zone for zone in await self.client.zones()}
        self._meters = {meter.id: meter for meter in await self.client.power_meters()}
        self._inventory_at = dt_util.utcnow()
        self._logins_seen = self.client.login_count

    async def async_fetch(self) -> SiteData:
        """Poll statuses, zones and meters; re-read the lists when due."""
        try:
            data = await self._async_fetch()
        except EvseBridgeError:
            self._reconnected = True
            raise
        self._reconnected = False
        return data

    async def _async_fetch(self) -> SiteData:
        inventory_read = False
        if self._inventory_due():
            await self._async_read_inventory()
            inventory_read = True
        statuses = await self.client.station_statuses()
        mismatch = frozenset(set(statuses) ^ set(self._stations))
        if not inventory_read and mismatch != self._known_mismatch:
            # A station was added or removed on the hub: read the list now, not in 10 min.
            await self._async_read_inventory()
            inventory_read = True
        if inventory_read:
            self._known_mismatch = frozenset(set(statuses) ^ set(self._stations))
        zones: dict[int, EvceZoneData] = {}
        for zone in self._zones.values():
            try:
                status = await self.client.zone_status(zone.id)
                reduction = await self.client.zone_reduction(zone.id)
            except EvseNotSupportedError:
                # Deleted on the hub since the list was read: read it again next poll.
                self._inventory_at = None
                continue
            zones[zone.id] = EvceZoneData(zone, status, reduction)
        meters: dict[int, EvcePowerMeterData] = {}
        for meter in self._meters.values():
            try:
                values = await self.client.power_meter_values(meter.id)
            except EvseNotSupportedError:
                self._inventory_at = None
                continue
            meters[meter.id] = EvcePowerMeterData(meter, values)
        return self._site_data(statuses, zones, meters)

    def _site_data(
        self,
        statuses: dict[int, EvceStationStatus],
        zones: dict[int, EvceZoneData],
        meters: dict[int, EvcePowerMeterData],
    ) -> SiteData:
        info = self._info
        assert info is not None
        powers = [status.power_w for status in statuses.values() if status.power_w is not None]
        hub = EvceHubData(
            info=info,
            stations=len(self._stations),
            stations_connected=sum(
                1 for item in statuses.values() if item.ocpp_status is EvceOcppStatus.CONNECTED
            ),
            power_w=sum(powers) if powers else None,
        )
        devices: dict[str, DeviceData] = {
            HUB: DeviceData(
                key=HUB,
                kind=HUB,
                identity=DeviceIdentity(
                    name=self._entry.title,
                    manufacturer=MANUFACTURER,
                    model=info.model,
                    serial_number=info.serial,
                    sw_version=info.firmware,
                    configuration_url=self._url,
                ),
                data=hub,
            )
        }
        for station in self._stations.values():
            key = f"{STATION}_{station.id}"
            devices[key] = DeviceData(
                key=key,
                kind=STATION,
                identity=DeviceIdentity(
                    name=station.name or f"Station {station.id}",
                    manufacturer=MANUFACTURER,
                    model=station.model,
                    serial_number=station.serial,
                    via_key=HUB,
                ),
                data=EvceStationData(station, statuses.get(station.id)),
            )
        for zone_id, zone_data in zones.items():
            key = f"{ZONE}_{zone_id}"
            devices[key] = DeviceData(
                key=key,
                kind=ZONE,
                identity=DeviceIdentity(
                    name=zone_data.zone.name or f"Zone {zone_id}",
                    manufacturer=MANUFACTURER,
                    model="Energy management zone",
                    via_key=HUB,
                ),
                data=zone_data,
            )
        for meter_id, meter_data in meters.items():
            key = f"{POWER_METER}_{meter_id}"
            devices[key] = DeviceData(
                key=key,
                kind=POWER_METER,
                identity=DeviceIdentity(
                    name=meter_data.meter.name or f"Power meter {meter_id}",
                    manufacturer=MANUFACTURER,
                    model=meter_data.meter.model,
                    via_key=HUB,
                ),
                data=meter_data,
            )
        return SiteData(devices)

    async def async_close(self) -> None:
        """Log out: the hub allows one connection per user."""
        await self.client.logout()

    def diagnostics(self) -> dict[str, Any]:
        """The last answer of every endpoint."""
        return self.client.raw_payloads


# --- station -------------------------------------------------------------------------------


async def _set_availability(site: EvceSite, device: DeviceData, on: bool) -> None:
    data: EvceStationData = device.data
    await site.client.change_availability(data.station.id, operative=on)


def _available(data: EvceStationData) -> bool | None:
    if data.status is None or data.status.status is None:
        return None
    return data.status.status is not EvceConnectorStatus.UNAVAILABLE


async def _restart(site: EvceSite, device: DeviceData) -> None:
    data: EvceStationData = device.data
    await site.client.reset(data.station.id)


def _station_value(attribute: str) -> Callable[[EvceStationData], Any]:
    def value(data: EvceStationData) -> Any:
        return None if data.status is None else getattr(data.status, attribute)

    return value


def _connector_status(connector: int) -> Callable[[EvceStationData], Any]:
    def value(data: EvceStationData) -> Any:
        if data.status is None or connector not in data.status.connectors:
            return None
        return data.status.connectors[connector].status

    return value


def _reported(attribute: str) -> Callable[[EvceStationData], bool]:
    """A measurement gets an entity when the hub reports it (or cannot tell yet: offline)."""
    return lambda data: data.status is None or getattr(data.status, attribute) is not None


def _has_connector(connector: int) -> Callable[[EvceStationData], bool]:
    return lambda data: connector in data.station.connectors


STATION_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    enum_sensor(
        "status", "evce_station_status", STATION, EvceConnectorStatus, _station_value("status")
    ),
    enum_sensor(
        "ocpp_status",
        "evce_ocpp_connection",
        STATION,
        EvceOcppStatus,
        _station_value("ocpp_status"),
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    *(
        enum_sensor(
            f"connector_{connector}_status",
            "evce_connector_status",
            STATION,
            EvceConnectorStatus,
            _connector_status(connector),
            translation_placeholders={"connector": str(connector)},
            exists_fn=_has_connector(connector),
        )
        for connector in range(1, MAX_CONNECTORS + 1)
    ),
    power_sensor(
        "power", "power", STATION, _station_value("power_w"), exists_fn=_reported("power_w")
    ),
    energy_sensor(
        "energy",
        "meter_energy",
        STATION,
        _station_value("energy_wh"),
        exists_fn=_reported("energy_wh"),
    ),
    energy_sensor(
        "session_energy",
        "session_energy",
        STATION,
        _station_value("session_energy_wh"),
        exists_fn=_reported("session_energy_wh"),
    ),
    EvseBridgeSwitchEntityDescription(
        key="availability",
        translation_key="evce_availability",
        device_kind=STATION,
        is_on_fn=_available,
        set_fn=_set_availability,
    ),
    EvseBridgeButtonEntityDescription(
        key="restart",
        device_kind=STATION,
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        press_fn=_restart,
    ),
)

# --- hub -----------------------------------------------------------------------------------

HUB_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    EvseBridgeSensorEntityDescription(
        key="stations_connected",
        translation_key="evce_stations_connected",
        device_kind=HUB,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.stations_connected,
        attributes_fn=lambda data: {"stations": data.stations},
    ),
    power_sensor("power", "evce_stations_power", HUB, lambda data: data.power_w),
)

# --- zone ----------------------------------------------------------------------------------


def _reduction_max(data: EvceZoneData) -> float:
    if data.reduction_type is EvceReductionType.POWER:
        limit = data.zone.max_power_kw
    else:
        limit = data.zone.max_current_a
    # A zone without a reported limit still gets a usable slider.
    return limit if limit is not None else 1000.0


def _reduction_unit(data: EvceZoneData) -> str:
    if data.reduction_type is EvceReductionType.POWER:
        return UnitOfPower.KILO_WATT
    return UnitOfElectricCurrent.AMPERE


def _reduction_device_class(data: EvceZoneData) -> NumberDeviceClass:
    if data.reduction_type is EvceReductionType.POWER:
        return NumberDeviceClass.POWER
    return NumberDeviceClass.CURRENT


async def _set_reduction(site: EvceSite, device: DeviceData, value: float) -> None:
    data: EvceZoneData = device.data
    await site.client.set_zone_reduction(data.zone.id, value, data.reduction_type)


ZONE_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    *phase_sensors(
        current_sensor, "current_phase", ZONE, lambda data: data.status.currents_a, precision=1
    ),
    power_sensor("power", "power", ZONE, lambda data: data.status.power_w),
    current_sensor(
        "setpoint", "evce_zone_setpoint", ZONE, lambda data: data.status.setpoint_a, precision=1
    ),
    EvseBridgeNumberEntityDescription(
        key="reduction",
        translation_key="evce_zone_reduction",
        device_kind=ZONE,
        mode=NumberMode.BOX,
        native_step=0.1,
        value_fn=lambda data: data.reduction.value,
        set_fn=_set_reduction,
        min_fn=lambda data: 0.0,
        max_fn=_reduction_max,
        unit_fn=_reduction_unit,
        device_class_fn=_reduction_device_class,
    ),
)

# --- power meter ---------------------------------------------------------------------------


POWER_METER_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    *phase_sensors(
        voltage_sensor,
        "voltage_phase",
        POWER_METER,
        lambda data: data.values.voltages_v,
        precision=1,
    ),
    *phase_sensors(
        current_sensor,
        "current_phase",
        POWER_METER,
        lambda data: data.values.currents_a,
        precision=2,
    ),
    power_sensor(
        "power",
        "power",
        POWER_METER,
        lambda data: data.values.power_kw,
        unit=UnitOfPower.KILO_WATT,
    ),
    energy_sensor(
        "energy_import",
        "evce_energy_import",
        POWER_METER,
        lambda data: data.values.energy_import_kwh,
        unit=UnitOfEnergy.KILO_WATT_HOUR,
    ),
    EvseBridgeSensorEntityDescription(
        key="frequency",
        device_kind=POWER_METER,
        device_class=SensorDeviceClass.FREQUENCY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfFrequency.HERTZ,
        suggested_display_precision=2,
        value_fn=lambda data: data.values.frequency_hz,
    ),
)

# --- actions -------------------------------------------------------------------------------


def _station_for_command(device: DeviceData | None) -> EvceStationData:
    """The targeted station, which must be online to take a command."""
    assert device is not None
    data: EvceStationData = device.data
    if not data.online:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="evce_station_offline",
            translation_placeholders={"station": device.identity.name},
        )
    return data


def _check_connector(device: DeviceData, data: EvceStationData, connector: int) -> None:
    if connector not in data.station.connectors:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="evce_unknown_connector",
            translation_placeholders={
                "connector": str(connector),
                "station": device.identity.name,
                "connectors": ", ".join(str(item) for item in data.station.connectors) or "-",
            },
        )


async def _async_remote_start(
    hass: HomeAssistant,
    call: ServiceCall,
    runtime: EvseBridgeRuntimeData,
    device: DeviceData | None,
) -> ServiceResponse:
    data = _station_for_command(device)
    assert device is not None
    connector: int = call.data[ATTR_CONNECTOR]
    _check_connector(device, data, connector)
    site = runtime.site
    assert isinstance(site, EvceSite)
    await site.client.remote_start(data.station.id, connector, call.data.get(ATTR_ID_TAG))
    return None


async def _async_remote_stop(
    hass: HomeAssistant,
    call: ServiceCall,
    runtime: EvseBridgeRuntimeData,
    device: DeviceData | None,
) -> ServiceResponse:
    data = _station_for_command(device)
    assert device is not None
    connector: int | None = call.data.get(ATTR_CONNECTOR)
    transaction: int | None = call.data.get(ATTR_TRANSACTION_ID)
    if connector is None and transaction is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="evce_connector_or_transaction"
        )
    if connector is not None:
        _check_connector(device, data, connector)
    site = runtime.site
    assert isinstance(site, EvceSite)
    await site.client.remote_stop(
        data.station.id, connector_id=connector, transaction_id=transaction
    )
    return None


SERVICES = (
    VendorService(
        name="remote_start",
        fields={
            vol.Required(ATTR_CONNECTOR): vol.All(vol.Coerce(int), vol.Range(min=1)),
            vol.Optional(ATTR_ID_TAG): cv.string,
        },
        handler=_async_remote_start,
        device_kinds=(STATION,),
    ),
    VendorService(
        name="remote_stop",
        fields={
            vol.Optional(ATTR_CONNECTOR): vol.All(vol.Coerce(int), vol.Range(min=1)),
            vol.Optional(ATTR_TRANSACTION_ID): vol.All(vol.Coerce(int), vol.Range(min=0)),
        },
        handler=_async_remote_stop,
        device_kinds=(STATION,),
    ),
)

SCHNEIDER_EVCE = Vendor(
    key="schneider_evce",
    user_schema=_user_schema,
    secret_fields=(CONF_PASSWORD,),
    async_probe=_async_probe,
    create_site=EvceSite,
    update_interval=timedelta(seconds=30),
    descriptions=(
        *HUB_DESCRIPTIONS,
        *STATION_DESCRIPTIONS,
        *ZONE_DESCRIPTIONS,
        *POWER_METER_DESCRIPTIONS,
    ),
    services=SERVICES,
    form_errors={
        EvceAccountBlockedError: ("base", "evce_account_blocked"),
        EvseAuthenticationError: (CONF_PASSWORD, "invalid_auth"),
        EvseCertificateError: (CONF_CERTIFICATE, "evce_certificate_untrusted"),
        EvseNotSupportedError: (CONF_HOST, "not_supported"),
        EvseResponseError: (CONF_HOST, "unexpected_answer"),
        EvseConnectionError: (CONF_HOST, "cannot_connect"),
    },
    redact=frozenset({CONF_TOKEN, ATTR_ID_TAG, "serial_number", "tcp_address"}),
    async_certificate_fingerprint=_async_certificate_fingerprint,
)
