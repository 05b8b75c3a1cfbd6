"""Schneider EcoStruxure EV Charging Expert: a hub with stations, zones and power meters.

Each poll reads every station's status in one request, then one status and one
reduction per zone and one set of values per power meter. The lists of
stations, zones and meters (and which stations each zone holds) are read again
only after a reconnection, every ten minutes, or when a status names a station
not seen before. The hub's JWT is kept in the entry data, so a restart reuses it
instead of logging in.

Device keys outlive the hub's IDs: a configuration import gives every station,
zone and meter a new ID (document §3.1.4), so the site keeps the document's
name <-> ID dictionary in the entry data and a device whose ID changed under an
unchanged friendly name keeps its key, its entities and their history. A rename
on the hub keeps the ID and therefore the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import logging
from typing import Any

from homeassistant.components.button import ButtonDeviceClass
from homeassistant.components.number import NumberDeviceClass, NumberMode
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
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
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
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
    EvseCommandRejectedError,
    EvseCommandTimeoutError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from ..api.schneider_evce import (
    EvceClient,
    EvceConnectorState,
    EvceConnectorStatus,
    EvceOcppStatus,
    EvcePermissionError,
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
from ..contract.commands import (
    last_command_sensor,
)
from ..contract.descriptions import (
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
    phase_sensors,
    power_sensor,
    voltage_sensor,
)
from ..contract.sessions import (
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
    UNKNOWN,
    EntryContext,
    ProbeResult,
    Vendor,
    VendorService,
    WriteTarget,
)

_LOGGER = logging.getLogger(__name__)

CONF_CERTIFICATE = "certificate"
#: Where the entry's unique id came from: ``serial`` (an answer of the hub) or
#: ``certificate`` (the hub's certificate fingerprint, when no answer has a serial).
CONF_HUB_ID = "hub_id"
CONF_HUB_ID_SOURCE = "hub_id_source"
#: The name <-> ID dictionary: device key -> {"id": hub ID, "name": friendly name}.
CONF_DEVICE_KEYS = "device_keys"
MANUFACTURER = "Schneider Electric"
HUB = "hub"
STATION = "station"
CONNECTOR = "connector"
ZONE = "zone"
POWER_METER = "power_meter"
#: How often the lists of stations, zones and meters are read again without other cause.
INVENTORY_INTERVAL = timedelta(minutes=10)
ATTR_CONNECTOR = "connector"
ATTR_ID_TAG = "id_tag"
ATTR_TRANSACTION_ID = "transaction_id"
ATTR_TYPE = "type"
ATTR_VALUE = "value"
ATTR_UNIT = "unit"
ATTR_DURATION = "duration"
ATTR_SESSION_START = "session_start"
ATTR_STATIONS = "stations"
#: The zone reduction number's key, also its safe-write target's.
REDUCTION_KEY = "reduction"


@dataclass(frozen=True, slots=True)
class EvceHubData:
    """The hub itself: identity and a summary of its stations."""

    info: EvceProductInfo
    stations: int
    stations_connected: int
    power_w: float | None


@dataclass(frozen=True, slots=True)
class EvceStationData:
    """A station's configuration, its latest status (None when the hub sent none), its zone."""

    station: EvceStation
    status: EvceStationStatus | None
    #: Name of the zone the station is affected to (None when no zone lists it).
    zone: str | None = None

    @property
    def online(self) -> bool:
        """Whether the station's OCPP link to the hub is up."""
        return self.status is not None and self.status.ocpp_status is EvceOcppStatus.CONNECTED


@dataclass(frozen=True, slots=True)
class EvceConnectorData:
    """One EVSE (connector) of a station: the values sessions are made of.

    Between sessions power and session energy are 0 (one rule for every vendor);
    ``session_start`` is the hub's where it gives one, else when this
    integration first saw the transaction.
    """

    station: EvceStation
    station_name: str
    connector_id: int
    state: EvceConnectorState | None
    online: bool
    session_start: datetime | None = None

    @property
    def status(self) -> EvceConnectorStatus | None:
        """The connector's OCPP status (None while the station is offline)."""
        return None if self.state is None else self.state.status

    @property
    def in_session(self) -> bool:
        """Whether a session runs on the connector."""
        return self.state is not None and self.state.in_session

    @property
    def transaction_id(self) -> int | None:
        """The running transaction's id."""
        return None if self.state is None or not self.in_session else self.state.transaction_id

    @property
    def power_w(self) -> float | None:
        """Power of the running session; 0 between sessions."""
        if self.state is None:
            return None
        return self.state.power_w if self.in_session else 0.0

    @property
    def session_energy_wh(self) -> float | None:
        """Energy of the running session; 0 between sessions."""
        if self.state is None:
            return None
        return self.state.session_energy_wh if self.in_session else 0.0

    @property
    def energy_wh(self) -> float | None:
        """The connector's lifetime energy register."""
        return None if self.state is None else self.state.energy_wh


@dataclass(frozen=True, slots=True)
class EvceZoneData:
    """A zone, its live status, the reduction applied to it and its stations' names."""

    zone: EvceZone
    status: EvceZoneStatus
    reduction: EvceZoneReduction
    #: Names of the stations affected to the zone (None when the hub does not say).
    stations: tuple[str, ...] | None = None

    @property
    def reduction_type(self) -> EvceReductionType:
        """Unit of the reduction; a zone that does not say is reduced in amperes."""
        return self.reduction.type or EvceReductionType.CURRENT


@dataclass(frozen=True, slots=True)
class EvcePowerMeterData:
    """A power meter, its model's name (None when the hub gives none) and its last values."""

    meter: EvcePowerMeter
    values: EvcePowerMeterValues
    model: str | None = None


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


async def _async_hub_id(data: Mapping[str, Any], info: EvceProductInfo) -> tuple[str, str]:
    """The entry's unique id and where it came from.

    The hub's serial where any answer gives one; else the fingerprint of the
    certificate the hub presents. An entry that took the fingerprint keeps it
    (reauth, reconfigure), so a renewed certificate does not make it another hub.
    """
    stored = data.get(CONF_HUB_ID)
    if stored and data.get(CONF_HUB_ID_SOURCE) == "certificate":
        return str(stored), "certificate"
    if info.serial:
        return info.serial, "serial"
    fingerprint = data.get(CONF_FINGERPRINT)
    if not fingerprint:
        fingerprint = await fetch_certificate_fingerprint(data[CONF_HOST])
    return f"cert-{str(fingerprint)[:32]}", "certificate"


def _running_site(hass: HomeAssistant, unique_id: str, username: str) -> EvceSite | None:
    """The loaded entry's site for this hub and user, if any."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if (
            entry.unique_id == unique_id
            and entry.data.get(CONF_USERNAME) == username
            and entry.state is ConfigEntryState.LOADED
            and isinstance(getattr(entry.runtime_data, "site", None), EvceSite)
        ):
            site: EvceSite = entry.runtime_data.site
            return site
    return None


async def _async_probe(hass: HomeAssistant, data: dict[str, Any]) -> ProbeResult:
    """Log in, then read the hub's identity; the token is kept for the entry.

    The hub allows one connection per user, so this login revoked the token of
    an entry already running for the same hub and user (reauth, reconfigure, a
    second attempt to add it): that entry is handed the new token.
    """
    host = data[CONF_HOST].strip()
    client = _client(hass, {**data, CONF_HOST: host}, token=None)
    await client.login()
    assert client.token is not None
    try:
        info = await client.product_info()
        unique_id, source = await _async_hub_id({**data, CONF_HOST: host}, info)
    except EvseBridgeError:
        await client.logout()
        raise
    if (site := _running_site(hass, unique_id, data[CONF_USERNAME])) is not None:
        site.client.adopt_token(client.token)
    entry_data: dict[str, Any] = {
        key: value for key, value in data.items() if key in (CONF_DEVICE_KEYS,)
    }
    entry_data.update(
        {
            CONF_HOST: host,
            CONF_USERNAME: data[CONF_USERNAME],
            CONF_PASSWORD: data[CONF_PASSWORD],
            CONF_CERTIFICATE: _ssl_mode(data).value,
            CONF_TOKEN: client.token,
            CONF_HUB_ID: unique_id,
            CONF_HUB_ID_SOURCE: source,
        }
    )
    if _ssl_mode(data) is EvceSslMode.PINNED:
        entry_data[CONF_FINGERPRINT] = data[CONF_FINGERPRINT]
    label = info.name or info.model or "EV Charging Expert"
    return ProbeResult(
        unique_id=unique_id,
        title=f"{label} {info.serial or host}",
        data=entry_data,
    )


@dataclass(slots=True)
class _KeyBook:
    """The name <-> ID dictionary of the document (§3.2.2), per device kind.

    ``entries`` maps a device key to the hub ID and friendly name it had when
    last seen; it is stored in the entry data so it survives restarts.
    """

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resolve(self, kind: str, items: list[tuple[int, str | None]]) -> dict[int, str]:
        """Device key per hub ID: known ID, else same name under a vanished ID, else new."""
        mine = {key: value for key, value in self.entries.items() if key.startswith(f"{kind}_")}
        by_id = {int(value["id"]): key for key, value in mine.items()}
        present = {item_id for item_id, _ in items}
        keys: dict[int, str] = {}
        for item_id, _ in items:
            if item_id in by_id:
                keys[item_id] = by_id[item_id]
        for item_id, name in items:
            if item_id in keys:
                continue
            vanished = [
                key
                for key, value in mine.items()
                if int(value["id"]) not in present
                and key not in keys.values()
                and name is not None
                and value.get("name") == name
            ]
            if len(vanished) == 1:
                _LOGGER.info(
                    "EVCE %s %s now has ID %s (configuration import): kept as %s",
                    kind,
                    name,
                    item_id,
                    vanished[0],
                )
                keys[item_id] = vanished[0]
                continue
            key = f"{kind}_{item_id}"
            while key in keys.values():
                key = f"{key}_"
            keys[item_id] = key
        names = dict(items)
        for key in [key for key in self.entries if key.startswith(f"{kind}_")]:
            del self.entries[key]
        for item_id, key in keys.items():
            self.entries[key] = {"id": item_id, "name": names[item_id]}
        return keys


class EvceSite(Site):
    """One hub: the hub device, a device per station, connector, zone and power meter."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
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
        self._zone_stations: dict[int, tuple[int, ...] | None] = {}
        self._meters: dict[int, EvcePowerMeter] = {}
        self._models: dict[int, str | None] = {}
        self._units: dict[int, Mapping[str, str | None]] = {}
        self._keys = _KeyBook(
            {key: dict(value) for key, value in entry.data.get(CONF_DEVICE_KEYS, {}).items()}
        )
        self._key_of: dict[str, dict[int, str]] = {STATION: {}, ZONE: {}, POWER_METER: {}}
        #: First sighting of each running transaction, for hubs that give no start time.
        self._session_starts: dict[str, tuple[int | None, datetime]] = {}
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

    def _store_keys(self) -> None:
        if self._entry.data.get(CONF_DEVICE_KEYS) == self._keys.entries:
            return
        self._hass.config_entries.async_update_entry(
            self._entry,
            data={
                **self._entry.data,
                CONF_DEVICE_KEYS: {key: dict(value) for key, value in self._keys.entries.items()},
            },
        )

    def _inventory_due(self) -> bool:
        if self._inventory_at is None or self._reconnected:
            return True
        if self.client.login_count != self._logins_seen:
            return True
        return dt_util.utcnow() - self._inventory_at >= INVENTORY_INTERVAL

    async def _async_read_inventory(self) -> None:
        """Read the hub's identity, its lists, and refresh the name <-> ID dictionary."""
        self._info = await self.client.product_info()
        self._stations = {station.id: station for station in await self.client.stations()}
        self._zones = {zone.id: zone for zone in await self.client.zones()}
        self._meters = {meter.id: meter for meter in await self.client.power_meters()}
        self._zone_stations = {
            zone_id: await self.client.zone_stations(zone_id) for zone_id in self._zones
        }
        for meter in self._meters.values():
            if meter.model_id is not None and meter.model_id not in self._models:
                self._models[meter.model_id] = await self.client.power_meter_model(meter.model_id)
        self._key_of = {
            STATION: self._keys.resolve(
                STATION, [(item.id, item.name) for item in self._stations.values()]
            ),
            ZONE: self._keys.resolve(ZONE, [(item.id, item.name) for item in self._zones.values()]),
            POWER_METER: self._keys.resolve(
                POWER_METER, [(item.id, item.name) for item in self._meters.values()]
            ),
        }
        self._store_keys()
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
            # A station was added or removed on the hub (or all renumbered): read the lists now.
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
            station_ids = self._zone_stations.get(zone.id)
            names = (
                None
                if station_ids is None
                else tuple(
                    self._station_name(self._stations[item])
                    for item in station_ids
                    if item in self._stations
                )
            )
            zones[zone.id] = EvceZoneData(zone, status, reduction, names)
        meters: dict[int, EvcePowerMeterData] = {}
        for meter in self._meters.values():
            try:
                values = await self.client.power_meter_values(meter.id)
            except EvseNotSupportedError:
                self._inventory_at = None
                continue
            self._units[meter.id] = values.units
            model = None if meter.model_id is None else self._models.get(meter.model_id)
            meters[meter.id] = EvcePowerMeterData(meter, values, model)
        return self._site_data(statuses, zones, meters)

    @staticmethod
    def _station_name(station: EvceStation) -> str:
        return station.name or f"Station {station.id}"

    def _zone_of(self, station_id: int) -> str | None:
        for zone_id, station_ids in self._zone_stations.items():
            if station_ids and station_id in station_ids and zone_id in self._zones:
                zone = self._zones[zone_id]
                return zone.name or f"Zone {zone_id}"
        return None

    def _session_start(self, key: str, state: EvceConnectorState | None) -> datetime | None:
        """The hub's start time of the running session, else when it was first seen."""
        if state is None or not state.in_session:
            self._session_starts.pop(key, None)
            return None
        if (parsed := _hub_session_start(state)) is not None:
            return parsed
        known = self._session_starts.get(key)
        if known is None or known[0] != state.transaction_id:
            known = (state.transaction_id, dt_util.utcnow())
            self._session_starts[key] = known
        return known[1]

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
            key = self._key_of[STATION].get(station.id, f"{STATION}_{station.id}")
            name = self._station_name(station)
            status = statuses.get(station.id)
            station_data = EvceStationData(station, status, self._zone_of(station.id))
            devices[key] = DeviceData(
                key=key,
                kind=STATION,
                identity=DeviceIdentity(
                    name=name,
                    manufacturer=MANUFACTURER,
                    model=station.model,
                    serial_number=station.serial,
                    via_key=HUB,
                ),
                data=station_data,
            )
            for connector in station.connectors:
                connector_key = f"{key}_{CONNECTOR}_{connector}"
                state = None if status is None else status.connectors.get(connector)
                devices[connector_key] = DeviceData(
                    key=connector_key,
                    kind=CONNECTOR,
                    identity=DeviceIdentity(
                        name=f"{name} connector {connector}",
                        manufacturer=MANUFACTURER,
                        model=station.model,
                        via_key=key,
                        translation_key=CONNECTOR_NAME_KEY,
                        translation_placeholders={"station": name, "connector": str(connector)},
                    ),
                    data=EvceConnectorData(
                        station=station,
                        station_name=name,
                        connector_id=connector,
                        state=state,
                        online=station_data.online,
                        session_start=self._session_start(connector_key, state),
                    ),
                )
        for zone_id, zone_data in zones.items():
            key = self._key_of[ZONE].get(zone_id, f"{ZONE}_{zone_id}")
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
            key = self._key_of[POWER_METER].get(meter_id, f"{POWER_METER}_{meter_id}")
            devices[key] = DeviceData(
                key=key,
                kind=POWER_METER,
                identity=DeviceIdentity(
                    name=meter_data.meter.name or f"Power meter {meter_id}",
                    manufacturer=MANUFACTURER,
                    model=meter_data.model,
                    via_key=HUB,
                ),
                data=meter_data,
            )
        return SiteData(devices)

    async def async_close(self) -> None:
        """Log out: the hub allows one connection per user."""
        await self.client.logout()

    def readings(self) -> dict[str, Any]:
        """Which reading of each open point this hub used (docs/vendor-assumptions.md)."""
        info = self._info
        units = sorted(
            {
                f"{name}={unit}"
                for meter_units in self._units.values()
                for name, unit in meter_units.items()
            }
        )
        return {
            "unique_id_source": self._entry.data.get(CONF_HUB_ID_SOURCE, "serial"),
            "identity_fields": dict(info.sources) if info is not None else {},
            "power_meter_units": units,
            "zone_stations": {
                str(zone_id): "listed" if ids is not None else "not offered"
                for zone_id, ids in self._zone_stations.items()
            },
            "power_meter_models": {
                str(model_id): "named" if name else "no name"
                for model_id, name in self._models.items()
            },
            "device_keys": dict(self._keys.entries),
        }

    def diagnostics(self) -> dict[str, Any]:
        """The last answer of every endpoint and the readings the hub used."""
        return {**self.client.raw_payloads, "readings": self.readings()}


# --- errors that name what the user knows ---------------------------------------------------


async def _run(target: str, command: str, call: Callable[[], Any]) -> None:
    """Run a station command; a refusal or no answer names ``target`` (the device's name)."""
    try:
        await call()
    except EvseCommandRejectedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="evce_command_rejected",
            # The client's reason names no internal id and has id tags scrubbed.
            translation_placeholders={"target": target, "command": command, "reason": str(err)},
        ) from err
    except EvseCommandTimeoutError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="evce_command_timeout",
            translation_placeholders={"target": target, "command": command},
        ) from err


# --- station -------------------------------------------------------------------------------


async def _set_availability(site: EvceSite, device: DeviceData, on: bool) -> None:
    data: EvceStationData = device.data
    await _run(
        device.identity.name,
        "change_availability",
        lambda: site.client.change_availability(data.station.id, operative=on),
    )


def _available(data: EvceStationData) -> bool | None:
    if data.status is None or data.status.status is None:
        return None
    return data.status.status is not EvceConnectorStatus.INOPERATIVE


async def _restart(site: EvceSite, device: DeviceData) -> None:
    data: EvceStationData = device.data
    await _run(device.identity.name, "reset", lambda: site.client.reset(data.station.id))


def _station_status(data: EvceStationData) -> EvceConnectorStatus | None:
    return None if data.status is None else data.status.status


def _station_ocpp(data: EvceStationData) -> EvceOcppStatus | None:
    return None if data.status is None else data.status.ocpp_status


STATION_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    enum_sensor("status", "evce_station_status", STATION, EvceConnectorStatus, _station_status),
    enum_sensor(
        "ocpp_status",
        "evce_ocpp_connection",
        STATION,
        EvceOcppStatus,
        _station_ocpp,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    EvseBridgeSensorEntityDescription(
        key="zone",
        translation_key="evce_station_zone",
        device_kind=STATION,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.zone,
        exists_fn=lambda data: data.zone is not None,
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
    last_command_sensor(STATION),
)

# --- connector -----------------------------------------------------------------------------


def _connector_label(data: EvceConnectorData) -> str:
    return f"{data.station_name} {data.connector_id}"


async def _set_connector_availability(site: EvceSite, device: DeviceData, on: bool) -> None:
    data: EvceConnectorData = device.data
    await _run(
        device.identity.name,
        "change_availability",
        lambda: site.client.change_availability(
            data.station.id, operative=on, connector_id=data.connector_id
        ),
    )


def _connector_available(data: EvceConnectorData) -> bool | None:
    if data.status is None:
        return None
    return data.status is not EvceConnectorStatus.INOPERATIVE


def _hub_session_start(state: EvceConnectorState) -> datetime | None:
    return dt_util.parse_datetime(state.session_start) if state.session_start else None


def _session(data: EvceConnectorData) -> SessionRecord | SessionUnknown | None:
    """The connector's running transaction; the hub keeps no record of finished ones.

    While the station is offline the hub reports nothing current: the open session
    neither ends nor changes until the station is back.
    """
    state = data.state
    if state is None or not data.online:
        return SESSION_UNKNOWN
    if not state.in_session:
        return None
    return SessionRecord(
        id=None if state.transaction_id is None else str(state.transaction_id),
        # Only the hub's own start: a first sighting would move after a restart.
        start=_hub_session_start(state),
        energy_kwh=None if state.session_energy_wh is None else state.session_energy_wh / 1000,
        power_w=state.power_w,
    )


def _meter_kwh(data: EvceConnectorData) -> float | None:
    energy = data.energy_wh
    return None if energy is None else energy / 1000


def _connector_attributes(data: EvceConnectorData) -> dict[str, Any]:
    return {
        ATTR_TRANSACTION_ID: data.transaction_id,
        ATTR_SESSION_START: data.session_start.isoformat() if data.session_start else None,
    }


CONNECTOR_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    session_event(CONNECTOR, _session, meter_fn=_meter_kwh),
    enum_sensor(
        "status",
        "evce_connector_status",
        CONNECTOR,
        EvceConnectorStatus,
        lambda data: data.status,
        attributes_fn=_connector_attributes,
    ),
    power_sensor("power", "power", CONNECTOR, lambda data: data.power_w),
    energy_sensor(
        "session_energy", "session_energy", CONNECTOR, lambda data: data.session_energy_wh
    ),
    energy_sensor(
        "energy",
        "meter_energy",
        CONNECTOR,
        lambda data: data.energy_wh,
        exists_fn=lambda data: data.state is None or data.state.energy_wh is not None,
    ),
    EvseBridgeSwitchEntityDescription(
        key="availability",
        translation_key="evce_availability",
        device_kind=CONNECTOR,
        is_on_fn=_connector_available,
        set_fn=_set_connector_availability,
        # One connector's own switch only where the station has several.
        exists_fn=lambda data: len(data.station.connectors) > 1,
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


def _reduction_max(data: EvceZoneData, reduction_type: EvceReductionType | None = None) -> float:
    if (reduction_type or data.reduction_type) is EvceReductionType.POWER:
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


class ReductionMode(StrEnum):
    """The document's ``valid_mode`` of a zone reduction."""

    PERMANENT = "permanent"
    TEMPORARY = "temporary"


def _reduction_mode(data: EvceZoneData) -> ReductionMode | None:
    mode = (data.reduction.valid_mode or "").lower()
    return ReductionMode(mode) if mode in set(ReductionMode) else None


ZONE_DESCRIPTIONS: tuple[EvseBridgeEntityDescription, ...] = (
    *phase_sensors(
        current_sensor, "current_phase", ZONE, lambda data: data.status.currents_a, precision=1
    ),
    power_sensor("power", "power", ZONE, lambda data: data.status.power_w),
    current_sensor(
        "setpoint", "evce_zone_setpoint", ZONE, lambda data: data.status.setpoint_a, precision=1
    ),
    EvseBridgeSensorEntityDescription(
        key="stations",
        translation_key="evce_zone_stations",
        device_kind=ZONE,
        value_fn=lambda data: None if data.stations is None else len(data.stations),
        attributes_fn=lambda data: {ATTR_STATIONS: list(data.stations or ())},
        exists_fn=lambda data: data.stations is not None,
    ),
    enum_sensor(
        "reduction_mode",
        "evce_reduction_mode",
        ZONE,
        ReductionMode,
        _reduction_mode,
        attributes_fn=lambda data: {"duration_s": data.reduction.duration_s},
    ),
    EvseBridgeNumberEntityDescription(
        key=REDUCTION_KEY,
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


@dataclass(frozen=True, slots=True)
class _Target:
    """The station and connector an action is for, and how the user knows them."""

    station: EvceStation
    connector: EvceConnectorData | None
    name: str


def _target(context: EntryContext, device: DeviceData | None, connector: int | None) -> _Target:
    """The station (online) and connector of a station or connector device target."""
    assert device is not None
    site = context.site
    assert isinstance(site, EvceSite)
    data: EvceStationData | EvceConnectorData = device.data
    if isinstance(data, EvceConnectorData):
        online, station = data.online, data.station
        station_name = data.station_name
        if connector is not None and connector != data.connector_id:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="evce_connector_mismatch",
                translation_placeholders={"target": device.identity.name},
            )
        connector = data.connector_id
    else:
        online, station = data.online, data.station
        station_name = device.identity.name
    if not online:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="evce_station_offline",
            translation_placeholders={"station": station_name},
        )
    if connector is None:
        return _Target(station, None, station_name)
    if connector not in station.connectors:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="evce_unknown_connector",
            translation_placeholders={
                "connector": str(connector),
                "station": station_name,
                "connectors": ", ".join(str(item) for item in station.connectors) or "-",
            },
        )
    connector_key = next(
        key
        for key, item in context.devices.items()
        if isinstance(item.data, EvceConnectorData)
        and item.data.station.id == station.id
        and item.data.connector_id == connector
    )
    connector_device = context.devices[connector_key]
    return _Target(station, connector_device.data, connector_device.identity.name)


def _site(context: EntryContext) -> EvceSite:
    site = context.site
    assert isinstance(site, EvceSite)
    return site


async def _async_remote_start(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    target = _target(context, device, call.data.get(ATTR_CONNECTOR))
    if target.connector is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="evce_connector_required",
            translation_placeholders={"station": target.name},
        )
    connector = target.connector.connector_id
    await _run(
        target.name,
        "remote_start",
        lambda: _site(context).client.remote_start(
            target.station.id, connector, call.data.get(ATTR_ID_TAG)
        ),
    )
    return None


async def _async_remote_stop(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    """Stop a transaction given by id, else the one running on the given connector."""
    target = _target(context, device, call.data.get(ATTR_CONNECTOR))
    transaction: int | None = call.data.get(ATTR_TRANSACTION_ID)
    client = _site(context).client
    if transaction is not None:
        await _run(
            target.name,
            "remote_stop",
            lambda: client.remote_stop(target.station.id, transaction_id=transaction),
        )
        return None
    if target.connector is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="evce_connector_or_transaction"
        )
    if not target.connector.in_session:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="evce_no_session",
            translation_placeholders={"target": target.name},
        )
    # The document's remote stop takes a transaction: the connector's running one.
    running = target.connector.transaction_id
    connector = target.connector.connector_id
    await _run(
        target.name,
        "remote_stop",
        lambda: (
            client.remote_stop(target.station.id, transaction_id=running)
            if running is not None
            else client.remote_stop(target.station.id, connector_id=connector)
        ),
    )
    return None


async def _async_reset(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    target = _target(context, device, None)
    hard = call.data[ATTR_TYPE] == "hard"
    await _run(
        target.name,
        "reset",
        lambda: _site(context).client.reset(target.station.id, hard=hard),
    )
    return None


@dataclass(frozen=True, slots=True)
class _ReductionRequest:
    """A ``set_zone_reduction`` call, checked against the zone's limit."""

    value: float
    reduction_type: EvceReductionType
    duration_s: int | None


def _reduction_request(call: ServiceCall, device: DeviceData | None) -> _ReductionRequest:
    assert device is not None
    data: EvceZoneData = device.data
    unit = call.data.get(ATTR_UNIT)
    reduction_type = EvceReductionType(unit) if unit else data.reduction_type
    value: float = call.data[ATTR_VALUE]
    maximum = _reduction_max(data, reduction_type)
    if value > maximum:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="evce_reduction_too_high",
            translation_placeholders={
                "zone": device.identity.name,
                "value": f"{value:g}",
                "maximum": f"{maximum:g}",
            },
        )
    duration: timedelta | None = call.data.get(ATTR_DURATION)
    seconds = None if duration is None else int(duration.total_seconds())
    return _ReductionRequest(value, reduction_type, seconds)


def _reduction_write(call: ServiceCall, device: DeviceData | None) -> WriteTarget:
    """The zone's reduction is the number's set-point: both are coalesced as one target.

    A permanent reduction in the zone's unit is the number's value. A temporary one is
    told apart by when it ends (to the minute), so an automation that renews it before
    it lapses is sent again, at most once per interval.
    """
    assert device is not None
    request = _reduction_request(call, device)
    zone: EvceZoneData = device.data
    key = f"{device.key}/{REDUCTION_KEY}"
    if request.duration_s is not None:
        ends = dt_util.utcnow() + timedelta(seconds=request.duration_s)
        return WriteTarget(
            key, (request.value, request.reduction_type.value, ends.isoformat(timespec="minutes"))
        )
    if request.reduction_type is not zone.reduction_type:
        return WriteTarget(key, (request.value, request.reduction_type.value))
    permanent = _reduction_mode(zone) in (None, ReductionMode.PERMANENT)
    return WriteTarget(key, request.value, zone.reduction.value if permanent else UNKNOWN)


async def _async_set_zone_reduction(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    """A permanent reduction, or a temporary one for ``duration`` (``valid_mode`` temporary)."""
    assert device is not None
    data: EvceZoneData = device.data
    request = _reduction_request(call, device)
    try:
        await _site(context).client.set_zone_reduction(
            data.zone.id, request.value, request.reduction_type, duration_s=request.duration_s
        )
    except EvseCommandRejectedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="evce_reduction_rejected",
            translation_placeholders={"zone": device.identity.name},
        ) from err
    return None


SERVICES = (
    VendorService(
        name="remote_start",
        fields={
            vol.Optional(ATTR_CONNECTOR): vol.All(vol.Coerce(int), vol.Range(min=1)),
            vol.Optional(ATTR_ID_TAG): cv.string,
        },
        handler=_async_remote_start,
        device_kinds=(STATION, CONNECTOR),
    ),
    VendorService(
        name="remote_stop",
        fields={
            vol.Optional(ATTR_CONNECTOR): vol.All(vol.Coerce(int), vol.Range(min=1)),
            vol.Optional(ATTR_TRANSACTION_ID): vol.All(vol.Coerce(int), vol.Range(min=0)),
        },
        handler=_async_remote_stop,
        device_kinds=(STATION, CONNECTOR),
    ),
    VendorService(
        name="reset_station",
        fields={vol.Optional(ATTR_TYPE, default="soft"): vol.In(["soft", "hard"])},
        handler=_async_reset,
        device_kinds=(STATION,),
    ),
    VendorService(
        name="set_zone_reduction",
        fields={
            vol.Required(ATTR_VALUE): vol.All(vol.Coerce(float), vol.Range(min=0)),
            vol.Optional(ATTR_UNIT): vol.In([item.value for item in EvceReductionType]),
            vol.Optional(ATTR_DURATION): vol.All(
                cv.positive_time_period, vol.Range(min=timedelta(seconds=1))
            ),
        },
        handler=_async_set_zone_reduction,
        device_kinds=(ZONE,),
        write_target=_reduction_write,
    ),
)


async def _async_migrate(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Bring an entry of an earlier version to today's data and registry (version 1.2).

    - The entry remembers where its unique id came from (a serial, then: every
      earlier entry took the serial of ``/maintenance/product_infos``).
    - The name <-> ID dictionary starts from the registered devices.
    - Station-level power, energy and session energy were sums over the
      connectors. On a one-connector station they are that connector's values
      and move to its device with their history; on a station with several they
      are removed (their sums would make the Energy statistics count twice).
      The per-connector status sensors already have the connector devices'
      unique ids.
    """
    data = dict(entry.data)
    data.setdefault(CONF_HUB_ID, entry.unique_id)
    data.setdefault(CONF_HUB_ID_SOURCE, "serial")
    registry = er.async_get(hass)
    prefix = f"{entry.unique_id}_"
    entities = er.async_entries_for_config_entry(registry, entry.entry_id)
    unique_ids = {item.unique_id for item in entities}
    stations = {
        item.unique_id[len(prefix) :].removesuffix("_status")
        for item in entities
        if item.unique_id.startswith(f"{prefix}{STATION}_")
        and item.unique_id.endswith("_status")
        and "_connector_" not in item.unique_id
        and not item.unique_id.endswith("_ocpp_status")
    }
    keys: dict[str, dict[str, Any]] = dict(data.get(CONF_DEVICE_KEYS, {}))
    for station_key in sorted(stations):
        station_id = station_key.removeprefix(f"{STATION}_")
        if station_id.isdigit():
            keys.setdefault(station_key, {"id": int(station_id), "name": None})
        several = f"{prefix}{station_key}_connector_2_status" in unique_ids
        for key in ("power", "energy", "session_energy"):
            old = f"{prefix}{station_key}_{key}"
            entity_id = registry.async_get_entity_id("sensor", DOMAIN, old)
            if entity_id is None:
                continue
            if several:
                registry.async_remove(entity_id)
            else:
                registry.async_update_entity(
                    entity_id, new_unique_id=f"{prefix}{station_key}_{CONNECTOR}_1_{key}"
                )
    data[CONF_DEVICE_KEYS] = keys
    hass.config_entries.async_update_entry(entry, data=data)


SCHNEIDER_EVCE = Vendor(
    key="schneider_evce",
    label="EVCE",
    user_schema=_user_schema,
    secret_fields=(CONF_PASSWORD,),
    async_probe=_async_probe,
    create_site=EvceSite,
    update_interval=timedelta(seconds=30),
    descriptions=(
        *HUB_DESCRIPTIONS,
        *STATION_DESCRIPTIONS,
        *CONNECTOR_DESCRIPTIONS,
        *ZONE_DESCRIPTIONS,
        *POWER_METER_DESCRIPTIONS,
    ),
    services=SERVICES,
    form_errors={
        EvcePermissionError: (CONF_USERNAME, "evce_no_permission"),
        EvseAuthenticationError: (CONF_PASSWORD, "invalid_auth"),
        EvseCertificateError: (CONF_CERTIFICATE, "evce_certificate_untrusted"),
        EvseNotSupportedError: (CONF_HOST, "not_supported"),
        EvseResponseError: (CONF_HOST, "unexpected_answer"),
        EvseConnectionError: (CONF_HOST, "cannot_connect"),
    },
    redact=frozenset({CONF_TOKEN, ATTR_ID_TAG, "serial_number", "tcp_address", CONF_HUB_ID}),
    async_certificate_fingerprint=_async_certificate_fingerprint,
    async_migrate_entry=_async_migrate,
)
