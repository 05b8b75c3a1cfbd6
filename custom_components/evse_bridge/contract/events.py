"""How a vendor or the session tracker triggers a device's event entity.

The event platform listens on the dispatcher signal of each event entity; the
sender needs only the entry id, the device key and the description key.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from ..const import DOMAIN


def event_signal(entry_id: str, device_key: str, description_key: str) -> str:
    """The dispatcher signal of one event entity."""
    return f"{DOMAIN}_event_{entry_id}_{device_key}_{description_key}"


@callback
def fire_device_event(
    hass: HomeAssistant,
    entry_id: str,
    device_key: str,
    description_key: str,
    event_type: str,
    attributes: dict[str, Any],
) -> None:
    """Trigger the event entity ``description_key`` of a device."""
    async_dispatcher_send(
        hass, event_signal(entry_id, device_key, description_key), event_type, attributes
    )
