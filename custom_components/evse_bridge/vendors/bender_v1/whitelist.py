"""Bender v1 actions on the controller's local whitelist of RFID/NFC tags.

Tag ids are personal data: they reach the controller and the response of
``get_whitelist`` (what the operator asked for), never a log line or an error
text; a refusal's cause is passed on with every tag id of the call replaced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any
import uuid

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from ...api.bender_v1 import (
    BenderV1Client,
    PairingTag,
    TagType,
    WhitelistEntry,
    WhitelistPriority,
)
from ...contract.fields import INT32_MAX, NAME_MAX, bounded_text, integer, token
from ...contract.site import DeviceData
from ...contract.vendor import EntryContext, ServiceHandler, VendorService
from .refusals import controller_name, refused
from .site import v1_site

ATTR_TAG_ID = "id"
ATTR_TAG_IDS = "ids"
ATTR_TAG_TYPE = "tag_type"
ATTR_NAME = "name"
ATTR_NUMBER = "number"
ATTR_PRIORITY = "priority"
ATTR_USER_ID = "user_id"

#: Most tag ids one ``delete_whitelist_tags`` call takes.
TAG_IDS_MAX = 100

WHITELIST_ADDED = "added"
WHITELIST_ALREADY_LISTED = "already_listed"


def whitelist_errors(
    context: EntryContext, device: DeviceData | None, tag_ids: Iterable[str]
) -> AbstractContextManager[None]:
    """``refused`` for a whitelist command: the error names no tag id of the call."""
    return refused("whitelist_rejected", controller_name(context, device), tag_ids)


_tag_id = token()


def _user_id(value: Any) -> str:
    """A user id is a UUID (the document's ``userid``)."""
    text = cv.string(value).strip()
    if len(text) > 36:
        raise vol.Invalid("user id is not a UUID")
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
    vol.Optional(ATTR_NAME): bounded_text(NAME_MAX),
    vol.Optional(ATTR_NUMBER): integer(0, INT32_MAX),
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
        entries = await v1_site(context).client.whitelist()
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
            await write(v1_site(context).client, [entry])
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
        await v1_site(context).client.whitelist_delete(tag_ids)
    return None


async def _async_clear(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    with whitelist_errors(context, device, ()):
        await v1_site(context).client.whitelist_clear()
    return None


async def async_whitelist_scanned_tag(
    context: EntryContext, device: DeviceData | None, tag: PairingTag, name: str | None
) -> str:
    """Add a tag read in pairing mode to the whitelist; a listed tag only gets its new name."""
    client = v1_site(context).client
    with whitelist_errors(context, device, [tag.id]):
        # Controllers spell a card's UID in either case: the same card is listed once.
        listed = {entry.id.upper(): entry.id for entry in await client.whitelist()}
        if (listed_id := listed.get(tag.id.upper())) is not None:
            if name:
                await client.whitelist_edit([WhitelistEntry(id=listed_id, name=name)])
            return WHITELIST_ALREADY_LISTED
        await client.whitelist_add([WhitelistEntry(id=tag.id, tag_type=tag.tag_type, name=name)])
    return WHITELIST_ADDED


_tag_ids = vol.All(cv.ensure_list, vol.Length(min=1, max=TAG_IDS_MAX), [_tag_id])


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
