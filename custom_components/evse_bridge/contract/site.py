"""What a vendor hands to the generic Home Assistant side: a Site and its devices.

A Site wraps one vendor client behind one config entry. Each poll it returns a
``SiteData``: every device it found (a controller, a hub, a station, a zone, a
meter, a connector) keyed by a key that is stable for the device's lifetime.
The platforms create entities per device from the vendor's descriptions for
that device's ``kind``; devices that appear or disappear between polls get
entities added or their device removed, without a restart.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from homeassistant.helpers.device_registry import DeviceInfo

from ..const import (
    DOMAIN,
)
from .records import SessionRecord


def device_model_id(vendor_label: str, kind: str) -> str:
    """The registry model ID of a ``kind`` device of a vendor: "EVCE station".

    The actions' device pickers (services.yaml) filter on it, so each offers only the
    devices that can run the action; nothing else may set a device's model ID. Device
    pages show it after the model, so it reads as words: "EVlink Pro AC (EVCE station)".
    """
    return f"{vendor_label} {kind.replace('_', ' ')}"


#: The translated name of a connector device: "{station} connector {connector}".
CONNECTOR_NAME_KEY: Final = "connector"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceIdentity:
    """How a device appears in the device registry."""

    name: str
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    sw_version: str | None = None
    hw_version: str | None = None
    configuration_url: str | None = None
    #: Key of the parent device in the same site (a station's hub).
    via_key: str | None = None
    #: Translation key for the name, when the name is generic ("Controller").
    translation_key: str | None = None
    #: Values of the placeholders in the translated name ("{station} connector {connector}").
    translation_placeholders: Mapping[str, str] | None = None
    #: Area proposed for a new device (a cloud station's location).
    suggested_area: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceData:
    """One device's identity and its latest parsed state."""

    key: str
    kind: str
    identity: DeviceIdentity
    data: Any


@dataclass(frozen=True, slots=True)
class SiteData:
    """Everything one poll found, by device key."""

    devices: dict[str, DeviceData] = field(default_factory=dict)
    #: The device keys a list read of this poll confirmed (stations, zones, meters of the
    #: hub's inventory); None when this poll read no list. A device the list lacks is
    #: removed at once; one only missing from ``devices`` (a failed status read) is
    #: removed after several polls.
    inventory: frozenset[str] | None = None


class Site(ABC):
    """One vendor client behind one config entry, as the coordinator sees it.

    ``unique_id`` prefixes the identifiers of the site's devices and entities:
    the config entry's unique ID (a controller or hub serial, an account ID).
    """

    def __init__(self, unique_id: str) -> None:
        """Remember the identity that prefixes every device and entity ID."""
        self.unique_id = unique_id

    @abstractmethod
    async def async_fetch(self) -> SiteData:
        """Poll the device(s); raise an ``EvseBridgeError`` when that fails."""

    async def async_close(self) -> None:  # noqa: B027 - optional hook
        """Release the session (log out) when the entry unloads."""

    async def async_final_session(self, device_key: str, session_id: str) -> SessionRecord | None:
        """The device's own record of a session that just ended, where its API has one.

        Called once when a session with a device id is no longer reported running;
        ``None`` (the default) means the last poll that saw it running is final.
        """
        return None

    async def async_completed_sessions(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, SessionRecord]] | None:
        """Completed sessions from the device's own records, as (device key, record).

        ``None`` (the default) means the device keeps no records the API documents;
        the integration's own store answers instead.
        """
        return None

    def diagnostics(self) -> dict[str, Any]:
        """The last raw payload of every endpoint, for bug reports (redacted by the caller)."""
        return {}

    def device_identifier(self, device_key: str) -> str:
        """Registry identifier of a device: unique across entries and vendors."""
        return f"{self.unique_id}_{device_key}"

    def registry_identifier(self, device_key: str) -> tuple[str, str]:
        """The device's identifier in Home Assistant's device registry."""
        return (DOMAIN, self.device_identifier(device_key))

    def device_info(self, device_key: str) -> DeviceInfo:
        """How an entity links to its device: by identifier only.

        The coordinator registers every device with its full description and its
        parent before the platforms add entities, so an entity only names which one.
        """
        return DeviceInfo(identifiers={self.registry_identifier(device_key)})
