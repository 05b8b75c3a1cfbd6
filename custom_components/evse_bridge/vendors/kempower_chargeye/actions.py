"""The ChargEye actions: transactions, limits, availability, charging profiles, restarts."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from ...api.kempower_chargeye import LimitOptions, ResetType, charging_profile_problems
from ...const import DOMAIN
from ...contract.fields import (
    INT32_MAX,
    TEXT_MAX,
    blank_as_none,
    bounded_object,
    bounded_text,
    finite_number,
    identifier,
    integer,
    token,
)
from ...contract.site import DeviceData
from ...contract.vendor import EntryContext, Permission, VendorService, WriteTarget, device_handler
from .limits import limit_rating
from .model import (
    ATTR_TRANSACTION_ID,
    CONNECTOR,
    STATION,
    ConnectorData,
    PowerGroupData,
    StationData,
    station_key,
)
from .site import ChargEyeSite, running_transaction_id

ATTR_ID_TOKEN = "id_token"
ATTR_ID_TOKEN_TYPE = "id_token_type"
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
#: Largest limit the action takes in any unit (kW of a DC station, A of an AC one);
#: each device's own rating bounds it further.
LIMIT_MAX = 1000.0
#: Longest delay of a limit after charging starts: a day.
RELATIVE_DELAY_MAX = 86_400
STACK_LEVEL_MAX = 10_000
#: Longest charging profile sent (as JSON): a schedule of hundreds of periods fits.
PROFILE_MAX = 64 * 1024


def _site(context: EntryContext) -> ChargEyeSite:
    site = context.site
    assert isinstance(site, ChargEyeSite)
    return site


async def _async_start_transaction(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData,
) -> ServiceResponse:
    # The document allows no id token (null): the station starts without one.
    id_token: str | None = call.data.get(ATTR_ID_TOKEN)
    data: ConnectorData = device.data
    site = _site(context)
    with site.chargeye_refusals(device):
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
    transaction_id: str | None = call.data.get(ATTR_TRANSACTION_ID)
    if transaction_id is None:
        if device is None or device.kind != CONNECTOR:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="transaction_or_connector_required"
            )
        transaction_id = running_transaction_id(site, device)
    else:
        transaction_id = _seen_transaction_id(site, context, device, transaction_id)
    if device is None or isinstance(device.data, PowerGroupData):
        # No one station to name: the generic translation names the target.
        await site.client.stop_transaction(transaction_id)
        return None
    with site.chargeye_refusals(device):
        await site.client.stop_transaction(transaction_id)
    return None


def _seen_transaction_id(
    site: ChargEyeSite, context: EntryContext, device: DeviceData | None, transaction_id: str
) -> str:
    """The id as the service spelt it, if the target's connectors had that transaction.

    A transaction of another account's station, or one this entry never saw, is not
    the caller's to stop: the target (a connector, a station, the whole entry) bounds it.
    """
    if device is None:
        scope = list(context.devices.values())
    elif isinstance(device.data, StationData):
        station_id = device.data.station.station_id
        scope = [
            item
            for item in context.devices.values()
            if isinstance(item.data, ConnectorData) and item.data.station.station_id == station_id
        ]
    elif isinstance(device.data, PowerGroupData):
        # The connectors of the stations the group's limit binds.
        members = device.data.members
        scope = [
            item
            for item in context.devices.values()
            if isinstance(item.data, ConnectorData) and station_key(item.data.station) in members
        ]
    else:
        scope = [device]
    wanted = transaction_id.casefold()
    for item in scope:
        if not isinstance(item.data, ConnectorData):
            continue
        latest = item.data.connector.latest_transaction
        if (
            latest is not None
            and latest.transaction_id is not None
            and latest.transaction_id.casefold() == wanted
        ):
            return latest.transaction_id
    target = "" if device is None else site.display_name(device.key, device.identity.name)
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="chargeye_unknown_transaction",
        translation_placeholders={"target": target or context.entry.title},
    )


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
    device: DeviceData,
) -> ServiceResponse:
    site = _site(context)
    limit: float = call.data[ATTR_LIMIT]
    data: StationData | ConnectorData = device.data
    if limit > (maximum := limit_rating(data)):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="chargeye_limit_too_high",
            translation_placeholders={
                "target": site.display_name(device.key, device.identity.name),
                "value": f"{limit:g}",
                "maximum": f"{maximum:g}",
            },
        )
    if _limits_session(call, device):
        await site.async_set_session_limit(device, limit, _limit_options(call))
    else:
        await site.async_set_power_limit(device, limit, _limit_options(call))
    return None


async def _async_clear_power_limit(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData,
) -> ServiceResponse:
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
    device: DeviceData,
) -> ServiceResponse:
    data: ConnectorData = device.data
    site = _site(context)
    reason: str | None = call.data.get(ATTR_REASON)
    with site.chargeye_refusals(device):
        await site.client.set_connector_availability(
            data.station, data.connector, operative=call.data[ATTR_OPERATIVE], reason=reason
        )
    return None


async def _async_set_charging_profile(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData,
) -> ServiceResponse:
    """Validate the OCPP 2.0.1 ChargingProfile, push it, return the station's answer."""
    profile = call.data[ATTR_PROFILE]
    if problems := charging_profile_problems(profile):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="chargeye_invalid_charging_profile",
            translation_placeholders={"problems": "; ".join(problems)},
        )
    data: StationData | ConnectorData = device.data
    site = _site(context)
    connector = data.connector if isinstance(data, ConnectorData) else None
    with site.chargeye_refusals(device):
        answer = await site.client.set_charging_profile(data.station, connector, profile)
    return {"response": answer.get("response"), "status_info": answer.get("statusInfo")}


async def _async_clear_charging_profile(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData,
) -> ServiceResponse:
    """Remove one charging profile of a station (by id), or all of them."""
    data: StationData = device.data
    site = _site(context)
    with site.chargeye_refusals(device):
        await site.client.clear_charging_profiles(
            data.station, profile_id=call.data.get(ATTR_CHARGING_PROFILE_ID)
        )
    return None


async def _async_restart_station(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData,
) -> ServiceResponse:
    reset = ResetType.IMMEDIATE if call.data[ATTR_IMMEDIATE] else ResetType.ON_IDLE
    data: StationData = device.data
    site = _site(context)
    with site.chargeye_refusals(device):
        await site.client.restart_station(data.station, reset)
    return None


_LIMIT_OPTION_FIELDS: dict[vol.Marker, Any] = {
    vol.Optional(ATTR_CHARGING_PROFILE_ID): integer(0, INT32_MAX),
    vol.Optional(ATTR_COMMENT): bounded_text(TEXT_MAX),
    vol.Optional(ATTR_CONDITION): bounded_text(TEXT_MAX),
    vol.Optional(ATTR_RELATIVE_DELAY): integer(0, RELATIVE_DELAY_MAX),
    vol.Optional(ATTR_STACK_LEVEL): integer(0, STACK_LEVEL_MAX),
}

SERVICES = (
    VendorService(
        name="start_transaction",
        permission=Permission.CONTROL,
        fields={
            vol.Optional(ATTR_ID_TOKEN): blank_as_none(token()),
            vol.Optional(ATTR_ID_TOKEN_TYPE, default="app_user"): vol.All(
                vol.Lower, vol.In(ID_TOKEN_TYPES)
            ),
        },
        handler=device_handler(_async_start_transaction),
        device_kinds=(CONNECTOR,),
    ),
    VendorService(
        name="stop_transaction",
        permission=Permission.CONTROL,
        fields={vol.Optional(ATTR_TRANSACTION_ID): blank_as_none(identifier())},
        handler=_async_stop_transaction,
    ),
    VendorService(
        name="set_power_limit",
        permission=Permission.CONTROL,
        fields={
            vol.Required(ATTR_LIMIT): finite_number(0, LIMIT_MAX),
            vol.Optional(ATTR_SESSION, default=False): cv.boolean,
            **_LIMIT_OPTION_FIELDS,
        },
        handler=device_handler(_async_set_power_limit),
        device_kinds=(STATION, CONNECTOR),
    ),
    VendorService(
        name="clear_power_limit",
        permission=Permission.CONTROL,
        fields={vol.Optional(ATTR_SESSION, default=False): cv.boolean},
        handler=device_handler(_async_clear_power_limit),
        device_kinds=(STATION, CONNECTOR),
        # Clearing writes "no limit" to the power limit number's target.
        write_target=lambda call, device: (
            None if device is None else WriteTarget(f"{device.key}/power_limit", None)
        ),
    ),
    VendorService(
        name="change_availability",
        permission=Permission.CONTROL,
        fields={
            vol.Required(ATTR_OPERATIVE): cv.boolean,
            vol.Optional(ATTR_REASON): blank_as_none(bounded_text(TEXT_MAX)),
        },
        handler=device_handler(_async_change_availability),
        device_kinds=(CONNECTOR,),
    ),
    VendorService(
        name="set_charging_profile",
        fields={vol.Required(ATTR_PROFILE): bounded_object(PROFILE_MAX)},
        handler=device_handler(_async_set_charging_profile),
        supports_response=SupportsResponse.OPTIONAL,
        device_kinds=(STATION, CONNECTOR),
    ),
    # Removes what set_charging_profile (or anyone) pushed: admin-only, like setting one.
    VendorService(
        name="clear_charging_profile",
        fields={
            vol.Optional(ATTR_CHARGING_PROFILE_ID): integer(0, INT32_MAX),
        },
        handler=device_handler(_async_clear_charging_profile),
        device_kinds=(STATION,),
    ),
    VendorService(
        name="restart_station",
        fields={vol.Optional(ATTR_IMMEDIATE, default=False): cv.boolean},
        handler=device_handler(_async_restart_station),
        device_kinds=(STATION,),
    ),
)
