"""Bender Legacy REST: the site, one read-only controller polled with one request."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant

from ...api.bender_common import base_url
from ...api.bender_legacy import LegacyState
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
        self._state: LegacyState | None = None

    async def async_fetch(self) -> SiteData:
        """Read ``full_state``."""
        state = await self._client.full_state()
        self._state = state
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
        """The last ``full_state`` as sent, and which reading the controller used where open."""
        return {
            **self._client.raw_payloads,
            "client": {"auth_scheme": self._client.auth_scheme},
            "readings": {CONTROLLER: self._readings()},
        }

    def _readings(self) -> dict[str, Any]:
        state = self._state
        if state is None:
            return {"auth_scheme": self._client.auth_scheme}
        return {
            "auth_scheme": self._client.auth_scheme,
            # Values outside the document's lists, shown as "other" (docs/vendor-assumptions.md).
            "unlisted_values": dict(state.unlisted),
            "phases_sent": len(state.currents_a),
            "name_source": "cp_id" if state.charge_point_id else "model and serial",
        }
