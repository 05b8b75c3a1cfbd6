"""The EVCE site: one hub, polled into a device per station, connector, zone and power meter.

Each poll reads every station's status in one request, then one status and one
reduction per zone and one set of values per power meter. The lists of
stations, zones and meters (and which stations each zone holds) are read again
only after a reconnection, every ten minutes, or when a status names a station
not seen before. The hub's JWT is kept in the entry data, so a restart reuses it
instead of logging in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.util import dt as dt_util

from ...api import EvseBridgeError, EvseNotSupportedError
from ...api.schneider_evce import (
    EvceClient,
    EvceConnectorState,
    EvceOcppStatus,
    EvcePermissionError,
    EvcePowerMeter,
    EvceProductInfo,
    EvceReductionType,
    EvceSslMode,
    EvceStation,
    EvceStationStatus,
    EvceTransaction,
    EvceZone,
    EvceZoneReduction,
    split_host,
)
from ...const import CONF_FINGERPRINT, DOMAIN
from ...contract.http import device_clientsession
from ...contract.records import SessionRecord
from ...contract.site import CONNECTOR_NAME_KEY, DeviceData, DeviceIdentity, Site, SiteData
from .model import (
    CONF_CERTIFICATE,
    CONF_DEVICE_KEYS,
    CONF_HUB_ID_SOURCE,
    CONNECTOR,
    HUB,
    POWER_METER,
    STATION,
    ZONE,
    EvceConnectorData,
    EvceHubData,
    EvcePowerMeterData,
    EvceStationData,
    EvceZoneData,
    KeyBook,
    hub_session_start,
)
from .sessions import ended_record

MANUFACTURER = "Schneider Electric"
#: How often the lists of stations, zones and meters are read again without other cause.
INVENTORY_INTERVAL = timedelta(minutes=10)


def ssl_mode(data: Mapping[str, Any]) -> EvceSslMode:
    """How the entry checks the hub's certificate."""
    return EvceSslMode(data.get(CONF_CERTIFICATE, EvceSslMode.PINNED))


def create_client(hass: HomeAssistant, data: Mapping[str, Any], token: str | None) -> EvceClient:
    """A client for the hub of this entry data, starting with ``token`` if given."""
    mode = ssl_mode(data)
    return EvceClient(
        device_clientsession(hass),
        data[CONF_HOST],
        data[CONF_USERNAME],
        data[CONF_PASSWORD],
        ssl_mode=mode,
        fingerprint=data.get(CONF_FINGERPRINT) if mode is EvceSslMode.PINNED else None,
        token=token,
    )


def _sessions(statuses: Mapping[int, EvceStationStatus], station_ids: tuple[int, ...]) -> int:
    """Sessions on the connected stations of ``station_ids``: the ones the hub shares among."""
    return sum(
        state.in_session
        for station_id in station_ids
        if (status := statuses.get(station_id)) is not None
        and status.ocpp_status is EvceOcppStatus.CONNECTED
        for state in status.connectors.values()
    )


class EvceSite(Site):
    """One hub: the hub device, a device per station, connector, zone and power meter."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Create the client; a token kept from an earlier run is used first."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self._hass = hass
        self._entry = entry
        self.client = create_client(hass, entry.data, token=entry.data.get(CONF_TOKEN))
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
        self._keys = KeyBook(
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
        #: Per station, its firmware version and where the hub stated it (None, None: nowhere).
        self._firmware: dict[int, tuple[str | None, str | None]] = {}
        #: The hub's ongoing session records by (station, EVSE), from the last poll that
        #: saw a session run; None while the hub does not answer them.
        self._ongoing: dict[tuple[int, int], EvceTransaction] | None = None
        #: Whether the hub's ended records answered the last time they were asked.
        self._ended_offered: bool | None = None
        #: Connector device key -> (station ID, EVSE ID), as of the last poll.
        self._connector_ids: dict[str, tuple[int, int]] = {}
        #: The hub refused the login with 403: not retried until the entry is reloaded.
        self._login_refused: EvcePermissionError | None = None
        #: Per zone, the temporary reduction last seen and when it lapses.
        self._reduction_ends: dict[int, tuple[EvceZoneReduction, datetime]] = {}

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
        self._firmware = {
            station_id: await self.client.station_firmware(station_id)
            for station_id in self._stations
        }
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
        if self._login_refused is not None:
            raise self._login_forbidden() from self._login_refused
        try:
            data = await self._async_fetch()
        except EvcePermissionError as err:
            # Blocked or not permitted: a new password would not help (no reauth), and
            # logging in again every poll would keep a blocked account blocked.
            self._login_refused = err
            self._reconnected = True
            raise self._login_forbidden() from err
        except EvseBridgeError:
            self._reconnected = True
            raise
        self._reconnected = False
        return data

    def _login_forbidden(self) -> ConfigEntryError:
        return ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="evce_login_forbidden",
            translation_placeholders={"username": self._entry.data[CONF_USERNAME]},
        )

    async def _async_read_ongoing(self, statuses: dict[int, EvceStationStatus]) -> None:
        """The hub's records of the running sessions, asked only while one runs."""
        if not any(
            state.in_session for status in statuses.values() for state in status.connectors.values()
        ):
            self._ongoing = {} if self._ongoing is not None else None
            return
        records = await self.client.transactions("ongoing")
        self._ongoing = (
            None
            if records is None
            else {
                (item.station_id, item.evse_id): item
                for item in records
                if item.station_id is not None and item.evse_id is not None
            }
        )

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
        await self._async_read_ongoing(statuses)
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
            ends = self._reduction_end(zone.id, reduction)
            sessions = None if station_ids is None else _sessions(statuses, station_ids)
            zones[zone.id] = EvceZoneData(zone, status, reduction, names, ends, sessions)
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

    async def async_set_zone_reduction(
        self,
        zone_id: int,
        value: float,
        reduction_type: EvceReductionType,
        *,
        duration_s: int | None = None,
    ) -> None:
        """Apply a reduction; a temporary one lapses ``duration_s`` from now."""
        applied = await self.client.set_zone_reduction(
            zone_id, value, reduction_type, duration_s=duration_s
        )
        self._reduction_ends.pop(zone_id, None)
        if duration_s is not None:
            ends = dt_util.utcnow().replace(microsecond=0) + timedelta(seconds=duration_s)
            self._reduction_ends[zone_id] = (applied, ends)

    def _reduction_end(self, zone_id: int, reduction: EvceZoneReduction) -> datetime | None:
        """When a temporary reduction lapses.

        The document does not say whether ``duration_s`` is the duration as set or the time
        left: an unchanged reduction keeps the end already known (as set), one whose
        duration changed lapses ``duration_s`` from now (time left, or renewed).
        """
        temporary = (reduction.valid_mode or "").lower() == "temporary"
        if not temporary or reduction.duration_s is None or not reduction.value:
            self._reduction_ends.pop(zone_id, None)
            return None
        known = self._reduction_ends.get(zone_id)
        if known is not None and known[0] == reduction:
            return known[1]
        now = dt_util.utcnow().replace(microsecond=0)
        ends = now + timedelta(seconds=reduction.duration_s)
        self._reduction_ends[zone_id] = (reduction, ends)
        return ends

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
        if (parsed := hub_session_start(state)) is not None:
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
                    sw_version=self._firmware.get(station.id, (None, None))[0],
                    via_key=HUB,
                ),
                data=station_data,
            )
            for connector in station.connectors:
                connector_key = f"{key}_{CONNECTOR}_{connector}"
                self._connector_ids[connector_key] = (station.id, connector)
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
                        ongoing=(self._ongoing or {}).get((station.id, connector)),
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

    async def async_final_session(self, device_key: str, session_id: str) -> SessionRecord | None:
        """The hub's ended record of the session that just ended, where the hub keeps one."""
        ids = self._connector_ids.get(device_key)
        if ids is None:
            return None
        records = await self.client.transactions("ended", ids[0])
        self._ended_offered = records is not None
        for item in records or ():
            if item.id == session_id and item.evse_id in (None, ids[1]):
                return ended_record(item)
        return None

    async def async_completed_sessions(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, SessionRecord]] | None:
        """The hub's ended records that started in [start, end); None where it keeps none."""
        records = await self.client.transactions("ended")
        self._ended_offered = records is not None
        if records is None:
            return None
        key_of = {ids: key for key, ids in self._connector_ids.items()}
        found: list[tuple[str, SessionRecord]] = []
        for item in records:
            if item.start is None or not start <= item.start < end:
                continue
            key = key_of.get((item.station_id or 0, item.evse_id or 0))
            if key is not None:
                found.append((key, ended_record(item)))
        return found

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
            **self.client.readings,
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
            "devices": self._device_readings(),
        }

    def _device_readings(self) -> dict[str, dict[str, Any]]:
        """Per device, which reading it used where the documents are silent."""
        readings: dict[str, dict[str, Any]] = {
            HUB: {
                "identity_fields": dict(self._info.sources) if self._info is not None else {},
                "unique_id_source": self._entry.data.get(CONF_HUB_ID_SOURCE, "serial"),
                "station_list_path": self.client.station_list_path,
            }
        }
        session_source = (
            "statuses and ongoing records" if self._ongoing is not None else "statuses only"
        )
        final_source = {
            None: "not asked yet",
            True: "ended records",
            False: "last poll (no ended records)",
        }[self._ended_offered]
        for station_id in self._stations:
            key = self._key_of[STATION].get(station_id, f"{STATION}_{station_id}")
            version_source = self._firmware.get(station_id, (None, None))[1]
            readings[key] = {"firmware": version_source or "not stated"}
        for connector_key in self._connector_ids:
            readings[connector_key] = {
                "running_session": session_source,
                "final_session": final_source,
            }
        return readings

    def diagnostics(self) -> dict[str, Any]:
        """The last answer of every endpoint and the readings the hub used."""
        return {**self.client.raw_payloads, "readings": self.readings()}
