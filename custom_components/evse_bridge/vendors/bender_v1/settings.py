"""Bender v1 actions on the controller's documented controls: local whitelist, settings.

Tag ids are personal data: they reach the controller and the response of
``get_whitelist`` (what the operator asked for), never a log line or an error
text; a refusal's cause is passed on with every tag id of the call replaced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
import uuid

from homeassistant.components.number import NumberDeviceClass, NumberMode
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import UnitOfElectricCurrent
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv, issue_registry as ir
import voluptuous as vol

from ...api import EvseCommandRejectedError, EvseNotSupportedError
from ...api.bender_v1 import (
    BenderV1Client,
    PairingTag,
    SettingParameter,
    TagType,
    WhitelistEntry,
    WhitelistPriority,
    find_current_limit,
    scrub_tags,
)
from ...api.parsing import to_float
from ...const import DOMAIN
from ...contract.descriptions import (
    EvseBridgeNumberEntityDescription,
)
from ...contract.site import (
    DeviceData,
)
from ...contract.vendor import (
    EntryContext,
    ServiceHandler,
    VendorService,
)

ATTR_TAG_ID = "id"
ATTR_TAG_IDS = "ids"
ATTR_TAG_TYPE = "tag_type"
ATTR_NAME = "name"
ATTR_NUMBER = "number"
ATTR_PRIORITY = "priority"
ATTR_USER_ID = "user_id"

WHITELIST_ADDED = "added"
WHITELIST_ALREADY_LISTED = "already_listed"


def _client(context: EntryContext) -> BenderV1Client:
    client = getattr(context.site, "client", None)
    assert isinstance(client, BenderV1Client)
    return client


def _controller_name(context: EntryContext, device: DeviceData | None) -> str:
    """The controller as the user knows it (its device name)."""
    if device is None:
        device = next(iter(context.devices.values()))
    return device.identity.name or context.entry.title


@contextmanager
def refused(key: str, controller: str, tag_ids: Iterable[str] = ()) -> Iterator[None]:
    """Turn the controller's refusal into the translated error ``key`` naming the controller.

    The controller's cause may quote a tag id: every id of the request is replaced.
    """
    try:
        yield
    except EvseCommandRejectedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={
                "controller": controller,
                "cause": scrub_tags(str(err), tag_ids) or "-",
            },
        ) from err


def whitelist_errors(
    context: EntryContext, device: DeviceData | None, tag_ids: Iterable[str]
) -> Any:
    """``refused`` for a whitelist command."""
    return refused("whitelist_rejected", _controller_name(context, device), tag_ids)


def _tag_id(value: Any) -> str:
    text = cv.string(value).strip()
    if not text:
        raise vol.Invalid("empty tag id")
    return text


def _user_id(value: Any) -> str:
    """A user id is a UUID (the document's ``userid``)."""
    text = cv.string(value).strip()
    try:
        uuid.UUID(text)
    except ValueError:
        raise vol.Invalid("user id is not a UUID") from None
    return text


_TAG_TYPE = vol.All(cv.string, vol.Upper, vol.In([member.name for member in TagType]))
_PRIORITY = vol.All(cv.string, vol.Upper, vol.In([member.name for member in WhitelistPriority]))

ENTRY_FIELDS: dict[vol.Marker, Any] = {
    vol.Required(ATTR_TAG_ID): _tag_id,
    vol.Optional(ATTR_TAG_TYPE): _TAG_TYPE,
    vol.Optional(ATTR_NAME): cv.string,
    vol.Optional(ATTR_NUMBER): vol.All(vol.Coerce(int), vol.Range(min=0)),
    vol.Optional(ATTR_PRIORITY): _PRIORITY,
    vol.Optional(ATTR_USER_ID): _user_id,
}


def _entry(data: dict[str, Any]) -> WhitelistEntry:
    tag_type = data.get(ATTR_TAG_TYPE)
    priority = data.get(ATTR_PRIORITY)
    return WhitelistEntry(
        id=data[ATTR_TAG_ID],
        tag_type=None if tag_type is None else TagType[tag_type],
        name=data.get(ATTR_NAME),
        number=data.get(ATTR_NUMBER),
        user_id=data.get(ATTR_USER_ID),
        priority=None if priority is None else WhitelistPriority[priority],
    )


def entry_response(entry: WhitelistEntry) -> dict[str, Any]:
    """One entry as action response data, in the document's spelling of types."""
    return {
        ATTR_TAG_ID: entry.id,
        ATTR_TAG_TYPE: None if entry.tag_type is None else entry.tag_type.name,
        ATTR_NAME: entry.name,
        ATTR_NUMBER: entry.number,
        ATTR_PRIORITY: None if entry.priority is None else entry.priority.name,
        ATTR_USER_ID: entry.user_id,
    }


async def _async_get_whitelist(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    with whitelist_errors(context, device, ()):
        entries = await _client(context).whitelist()
    return {"tags": [entry_response(entry) for entry in entries]}


def _tag_writer(
    write: Callable[[BenderV1Client, list[WhitelistEntry]], Awaitable[None]],
) -> ServiceHandler:
    """An action that sends the one whitelist entry its fields describe with ``write``."""

    async def handler(
        hass: HomeAssistant,
        call: ServiceCall,
        context: EntryContext,
        device: DeviceData | None,
    ) -> ServiceResponse:
        entry = _entry(dict(call.data))
        with whitelist_errors(context, device, [entry.id]):
            await write(_client(context), [entry])
        return None

    return handler


_async_add_tag = _tag_writer(lambda client, entries: client.whitelist_add(entries))
_async_edit_tag = _tag_writer(lambda client, entries: client.whitelist_edit(entries))


async def _async_delete_tags(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    tag_ids: list[str] = list(dict.fromkeys(call.data[ATTR_TAG_IDS]))
    with whitelist_errors(context, device, tag_ids):
        await _client(context).whitelist_delete(tag_ids)
    return None


async def _async_clear(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    with whitelist_errors(context, device, ()):
        await _client(context).whitelist_clear()
    return None


async def async_whitelist_scanned_tag(
    context: EntryContext, device: DeviceData | None, tag: PairingTag, name: str | None
) -> str:
    """Add a tag read in pairing mode to the whitelist; a listed tag only gets its new name."""
    client = _client(context)
    with whitelist_errors(context, device, [tag.id]):
        listed = {entry.id for entry in await client.whitelist()}
        if tag.id in listed:
            if name:
                await client.whitelist_edit([WhitelistEntry(id=tag.id, name=name)])
            return WHITELIST_ALREADY_LISTED
        await client.whitelist_add([WhitelistEntry(id=tag.id, tag_type=tag.tag_type, name=name)])
    return WHITELIST_ADDED


def _tag_ids(value: Any) -> list[str]:
    ids = [_tag_id(item) for item in cv.ensure_list(value)]
    if not ids:
        raise vol.Invalid("no tag ids")
    return ids


WHITELIST_SERVICES: tuple[VendorService, ...] = (
    VendorService(
        name="get_whitelist",
        fields={},
        handler=_async_get_whitelist,
        supports_response=SupportsResponse.ONLY,
    ),
    VendorService(name="add_whitelist_tag", fields=ENTRY_FIELDS, handler=_async_add_tag),
    VendorService(name="edit_whitelist_tag", fields=ENTRY_FIELDS, handler=_async_edit_tag),
    VendorService(
        name="delete_whitelist_tags",
        fields={vol.Required(ATTR_TAG_IDS): _tag_ids},
        handler=_async_delete_tags,
    ),
    VendorService(name="clear_whitelist", fields={}, handler=_async_clear),
)


# -- Settings --------------------------------------------------------------------------------

ATTR_PARAMS = "params"
ATTR_SETTINGS = "settings"
#: How often the current limit's value is read again (one small request): it changes rarely,
#: and a write through Home Assistant reads it back at the next poll.
CURRENT_LIMIT_INTERVAL = timedelta(minutes=5)
REBOOT_ISSUE = "reboot_required"


class V1Controls:
    """What the site keeps for the settings: the current-limit parameter and the restart issue.

    The current limit is found once in the full settings (with meta); afterwards only
    its value is read, every ``CURRENT_LIMIT_INTERVAL`` or after a write.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, client: BenderV1Client):
        """Keep what the poll and the repair issue need; an entry set up anew has no issue."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._searched = False
        self._current_limit: SettingParameter | None = None
        self._due: datetime | None = None
        #: Logins the client had made when a change needing a restart was written.
        self._reboot_logins: int | None = None
        ir.async_delete_issue(hass, DOMAIN, self.reboot_issue_id)

    @property
    def reboot_issue_id(self) -> str:
        """The repair issue of this entry's pending restart."""
        return f"{REBOOT_ISSUE}_{self._entry.entry_id}"

    async def async_current_limit(self, now: datetime) -> SettingParameter | None:
        """The charging current limit parameter, if the controller's meta identifies one."""
        self._check_rebooted()
        if not self._searched:
            self._searched = True
            try:
                self._current_limit = find_current_limit(await self._client.settings())
            except EvseNotSupportedError:
                return None
            self._due = now + CURRENT_LIMIT_INTERVAL
            return self._current_limit
        limit = self._current_limit
        if limit is None or (self._due is not None and now < self._due):
            return limit
        fresh = (await self._client.settings([limit.key])).get(limit.key)
        if fresh is not None:
            # A values-only answer keeps the meta found at first.
            self._current_limit = SettingParameter(
                key=limit.key, value=fresh.value, meta={**limit.meta, **fresh.meta}
            )
        self._due = now + CURRENT_LIMIT_INTERVAL
        return self._current_limit

    async def async_set(self, device_name: str, values: Mapping[str, Any]) -> ServiceResponse:
        """Validated write; a change that needs a restart opens the repair issue."""
        result = await self._client.set_settings(values)
        if self._current_limit is not None and self._current_limit.key in values:
            # Read the written value back at the next poll.
            self._due = None
        if result.reboot_required:
            self._reboot_logins = self._client.login_count
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self.reboot_issue_id,
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=REBOOT_ISSUE,
                translation_placeholders={"controller": device_name},
            )
        return {"params": list(result.params), "reboot_required": result.reboot_required}

    def _check_rebooted(self) -> None:
        """A restart ends the API session: a new login since the write means it happened."""
        if self._reboot_logins is not None and self._client.login_count > self._reboot_logins:
            self._reboot_logins = None
            ir.async_delete_issue(self._hass, DOMAIN, self.reboot_issue_id)


def _controls(context: EntryContext) -> V1Controls:
    controls = getattr(context.site, "controls", None)
    assert isinstance(controls, V1Controls)
    return controls


def _parameter_response(parameter: SettingParameter) -> dict[str, Any]:
    return {"value": parameter.value, "meta": dict(parameter.meta)}


async def _async_get_settings(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    """Parameter names -> values with their meta (the meta from the full answer)."""
    client = _client(context)
    wanted: list[str] = list(dict.fromkeys(call.data.get(ATTR_PARAMS, [])))
    found = await client.settings(wanted)
    if wanted and any(not parameter.meta for parameter in found.values()):
        # A named query answers values only; the meta comes with the full answer.
        everything = await client.settings()
        found = {
            key: SettingParameter(
                key=key,
                value=parameter.value,
                meta=everything[key].meta if key in everything else parameter.meta,
            )
            for key, parameter in found.items()
        }
    return {
        ATTR_SETTINGS: {key: _parameter_response(parameter) for key, parameter in found.items()},
        "missing": [key for key in wanted if key not in found],
    }


async def _async_set_settings(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    values: dict[str, Any] = dict(call.data[ATTR_SETTINGS])
    name = _controller_name(context, device)
    with refused("settings_rejected", name):
        return await _controls(context).async_set(name, values)


def _settings_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise vol.Invalid("expected parameter names with their new values")
    return {cv.string(key): item for key, item in value.items()}


SETTINGS_SERVICES: tuple[VendorService, ...] = (
    VendorService(
        name="get_settings",
        fields={vol.Optional(ATTR_PARAMS): vol.All(cv.ensure_list, [cv.string])},
        handler=_async_get_settings,
        supports_response=SupportsResponse.ONLY,
    ),
    VendorService(
        name="set_settings",
        fields={vol.Required(ATTR_SETTINGS): _settings_object},
        handler=_async_set_settings,
        supports_response=SupportsResponse.OPTIONAL,
    ),
)


async def _set_current_limit(site: Any, device: DeviceData, value: float) -> None:
    limit: SettingParameter = device.data.current_limit
    # The meta's type is a number type; an integer type gets an integer.
    kind = str(limit.meta.get("type", "")).lower()
    number: float | int = round(value) if kind.startswith(("int", "uint")) else value
    controls: V1Controls = site.controls
    name = device.identity.name or limit.key
    with refused("settings_rejected", name):
        await controls.async_set(name, {limit.key: number})


def _limit(data: Any) -> SettingParameter:
    limit: SettingParameter = data.current_limit
    return limit


def current_limit_number(kind: str) -> EvseBridgeNumberEntityDescription:
    """The charging current limit: only where the settings meta identifies it."""
    return EvseBridgeNumberEntityDescription(
        key="charging_current_limit",
        translation_key="charging_current_limit",
        device_kind=kind,
        mode=NumberMode.BOX,
        native_step=1,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        device_class=NumberDeviceClass.CURRENT,
        exists_fn=lambda data: getattr(data, "current_limit", None) is not None,
        value_fn=lambda data: None if data.current_limit is None else to_float(_limit(data).value),
        set_fn=_set_current_limit,
        min_fn=lambda data: _limit(data).minimum or 0.0,
        max_fn=lambda data: _limit(data).maximum or 80.0,
    )
