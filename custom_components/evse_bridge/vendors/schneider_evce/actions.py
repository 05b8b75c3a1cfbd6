"""The EVCE actions: remote start and stop, station reset, zone reduction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ...api.schneider_evce import EvceReductionType, EvceStation
from ...const import DOMAIN
from ...contract.fields import INT32_MAX, duration, finite_number, integer, token
from ...contract.site import DeviceData
from ...contract.vendor import (
    UNKNOWN,
    EntryContext,
    Permission,
    VendorService,
    WriteTarget,
    device_handler,
)
from .errors import reduction_errors
from .model import (
    ATTR_CONNECTOR,
    ATTR_DURATION,
    ATTR_ID_TAG,
    ATTR_TRANSACTION_ID,
    ATTR_TYPE,
    ATTR_UNIT,
    ATTR_VALUE,
    CONNECTOR,
    REDUCTION_KEYS,
    STATION,
    ZONE,
    EvceConnectorData,
    EvceStationData,
    EvceZoneData,
    ReductionMode,
    reduction_max,
    reduction_mode,
)
from .site import EvceSite

#: Highest connector number the actions take.
CONNECTOR_MAX = 16
#: Largest reduction the action takes in either unit (A or kW); the zone's maximum
#: bounds it further.
REDUCTION_MAX = 10_000.0
#: Longest temporary reduction: a week.
REDUCTION_DURATION_MAX = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class _Target:
    """The station and connector an action is for, and how the user knows them."""

    station: EvceStation
    connector: EvceConnectorData | None
    name: str


def _target(context: EntryContext, device: DeviceData, connector: int | None) -> _Target:
    """The station (online) and connector of a station or connector device target."""
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


@device_handler
async def _async_remote_start(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData,
) -> ServiceResponse:
    target = _target(context, device, call.data.get(ATTR_CONNECTOR))
    if target.connector is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="evce_connector_required",
            translation_placeholders={"station": target.name},
        )
    connector = target.connector.connector_id
    await _site(context).client.remote_start(
        target.station.id, connector, call.data.get(ATTR_ID_TAG)
    )
    return None


def _check_seen(context: EntryContext, target: _Target, transaction: int) -> None:
    """Refuse a transaction the target's connectors were not seen with.

    Only the caller's target is theirs to stop: an id of another station's session, or
    one this entry never saw, is refused before the hub is asked.
    """
    seen = {
        item.data.state.transaction_id
        for item in context.devices.values()
        if isinstance(item.data, EvceConnectorData)
        and item.data.station.id == target.station.id
        and item.data.state is not None
        and (target.connector is None or item.data.connector_id == target.connector.connector_id)
    }
    if transaction not in seen:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="evce_unknown_transaction",
            translation_placeholders={"target": target.name, "transaction": str(transaction)},
        )


@device_handler
async def _async_remote_stop(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData,
) -> ServiceResponse:
    """Stop a transaction given by id, else the one running on the given connector."""
    target = _target(context, device, call.data.get(ATTR_CONNECTOR))
    transaction: int | None = call.data.get(ATTR_TRANSACTION_ID)
    client = _site(context).client
    if transaction is not None:
        _check_seen(context, target, transaction)
        await client.remote_stop(target.station.id, transaction_id=transaction)
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
    if running is not None:
        await client.remote_stop(target.station.id, transaction_id=running)
    else:
        await client.remote_stop(target.station.id, connector_id=connector)
    return None


@device_handler
async def _async_reset(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData,
) -> ServiceResponse:
    target = _target(context, device, None)
    hard = call.data[ATTR_TYPE] == "hard"
    await _site(context).client.reset(target.station.id, hard=hard)
    return None


@dataclass(frozen=True, slots=True)
class _ReductionRequest:
    """A ``set_zone_reduction`` call, checked against the zone's limit."""

    value: float
    reduction_type: EvceReductionType
    duration_s: int | None


def _reduction_request(call: ServiceCall, device: DeviceData) -> _ReductionRequest:
    data: EvceZoneData = device.data
    unit = call.data.get(ATTR_UNIT)
    reduction_type = EvceReductionType(unit) if unit else data.reduction_type
    value: float = call.data[ATTR_VALUE]
    maximum = reduction_max(data, reduction_type)
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


def _reduction_write(call: ServiceCall, device: DeviceData | None) -> WriteTarget | None:
    """A reduction in a unit is that unit's number's set-point: both are coalesced as one target.

    A permanent reduction in the zone's unit is the number's value. A temporary one is
    told apart by when it ends (to the minute), so an automation that renews it before
    it lapses is sent again, at most once per interval. Without a device it is no write:
    the handler refuses the call.
    """
    if device is None:
        return None
    request = _reduction_request(call, device)
    zone: EvceZoneData = device.data
    key = f"{device.key}/{REDUCTION_KEYS[request.reduction_type]}"
    if request.duration_s is not None:
        ends = dt_util.utcnow() + timedelta(seconds=request.duration_s)
        return WriteTarget(
            key, (request.value, request.reduction_type.value, ends.isoformat(timespec="minutes"))
        )
    # What the unit's number shows: 0 while the zone is reduced in the other unit.
    permanent = reduction_mode(zone) in (None, ReductionMode.PERMANENT, ReductionMode.NO_REDUCTION)
    current = zone.reduction_in(request.reduction_type) if permanent else UNKNOWN
    return WriteTarget(key, request.value, current)


@device_handler
async def _async_set_zone_reduction(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData,
) -> ServiceResponse:
    """A permanent reduction, or a temporary one for ``duration`` (``valid_mode`` temporary)."""
    data: EvceZoneData = device.data
    request = _reduction_request(call, device)
    with reduction_errors(device.identity.name):
        await _site(context).async_set_zone_reduction(
            data.zone.id, request.value, request.reduction_type, duration_s=request.duration_s
        )
    return None


SERVICES = (
    VendorService(
        name="remote_start",
        permission=Permission.CONTROL,
        fields={
            vol.Optional(ATTR_CONNECTOR): integer(1, CONNECTOR_MAX),
            vol.Optional(ATTR_ID_TAG): token(),
        },
        handler=_async_remote_start,
        device_kinds=(STATION, CONNECTOR),
    ),
    VendorService(
        name="remote_stop",
        permission=Permission.CONTROL,
        fields={
            vol.Optional(ATTR_CONNECTOR): integer(1, CONNECTOR_MAX),
            vol.Optional(ATTR_TRANSACTION_ID): integer(0, INT32_MAX),
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
        permission=Permission.CONTROL,
        fields={
            vol.Required(ATTR_VALUE): finite_number(0, REDUCTION_MAX),
            vol.Optional(ATTR_UNIT): vol.In([item.value for item in EvceReductionType]),
            vol.Optional(ATTR_DURATION): duration(timedelta(seconds=1), REDUCTION_DURATION_MAX),
        },
        handler=_async_set_zone_reduction,
        device_kinds=(ZONE,),
        write_target=_reduction_write,
    ),
)
