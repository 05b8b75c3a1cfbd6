"""Bender Legacy REST: the site, one read-only controller polled with one request."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant

from ...api.bender_common import base_url
from ...contract.site import DeviceData, DeviceIdentity, Site, SiteData
from .config import controller_title, legacy_client

#: The key and kind of the entry's one device.
CONTROLLER = "controller"


class BenderLegacySite(Site):
    """One controller: one device, one request per poll."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Create the client from the entry's data."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self._client = legacy_client(hass, entry.data)
        self._url = base_url(entry.data[CONF_HOST])

    async def async_fetch(self) -> SiteData:
        """Read ``full_state``."""
        state = await self._client.full_state()
        identity = DeviceIdentity(
            name=controller_title(state),
            manufacturer=state.vendor,
            model=state.model,
            serial_number=state.serial,
            sw_version=state.firmware,
            configuration_url=self._url,
        )
        return SiteData(
            {CONTROLLER: DeviceData(key=CONTROLLER, kind=CONTROLLER, identity=identity, data=state)}
        )

    def diagnostics(self) -> dict[str, Any]:
        """The last ``full_state`` as the controller sent it, and the scheme that authenticated."""
        return {**self._client.raw_payloads, "client": {"auth_scheme": self._client.auth_scheme}}
