"""Bender v1 ``start_pairing``: read one RFID/NFC tag in the whitelist pairing mode."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from ...api import EvseCommandRejectedError
from ...const import DOMAIN
from ...contract.events import fire_device_event
from ...contract.fields import NAME_MAX, bounded_text
from ...contract.site import DeviceData
from ...contract.vendor import EntryContext, VendorService
from .entities import TAG_SCANNED
from .site import CONTROLLER, v1_site
from .whitelist import ATTR_NAME, async_whitelist_scanned_tag

SERVICE_START_PAIRING = "start_pairing"
ATTR_ADD_TO_WHITELIST = "add_to_whitelist"


def _not_idle() -> ServiceValidationError:
    return ServiceValidationError(translation_domain=DOMAIN, translation_key="pairing_not_idle")


async def _async_start_pairing(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    """Read one tag in pairing mode; fire the device's event and answer with it.

    With ``add_to_whitelist`` the tag is whitelisted (under ``name``), which is
    what pairing mode is for. The tag id goes to the response only (an administrator
    asked for it, as with ``get_whitelist``); the event shows it as sessions do, and
    it never reaches the log.
    """
    site = v1_site(context)
    state = await site.client.system_state()
    if not state.idle or await site.transaction_running(state):
        raise _not_idle()
    try:
        tag = await site.client.pair()
    except EvseCommandRejectedError as err:
        raise _not_idle() from err
    if tag is None:
        return {"result": "no_tag_scanned", "id": None, "tag_type": None}
    tag_type = None if tag.tag_type is None else tag.tag_type.value
    fire_device_event(
        hass,
        context.entry.entry_id,
        CONTROLLER,
        TAG_SCANNED,
        TAG_SCANNED,
        # The same pseudonym as the sessions of this card, unless tag ids are shown.
        {"tag_id": context.display_tag(tag.id), "tag_type": tag_type},
    )
    response: dict[str, Any] = {"result": "tag_scanned", "id": tag.id, "tag_type": tag_type}
    if call.data[ATTR_ADD_TO_WHITELIST]:
        response["whitelist"] = await async_whitelist_scanned_tag(
            context, device, tag, call.data.get(ATTR_NAME)
        )
    return response


PAIRING_SERVICE = VendorService(
    name=SERVICE_START_PAIRING,
    fields={
        vol.Optional(ATTR_ADD_TO_WHITELIST, default=False): cv.boolean,
        vol.Optional(ATTR_NAME): bounded_text(NAME_MAX),
    },
    handler=_async_start_pairing,
    supports_response=SupportsResponse.OPTIONAL,
)
