"""The one coordinator per config entry, whatever the vendor."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import EvseAuthenticationError, EvseBridgeError
from .const import DOMAIN, LOGGER
from .runtime import EvseBridgeConfigEntry
from .site import Site, SiteData


class EvseBridgeCoordinator(DataUpdateCoordinator[SiteData]):
    """Polls the entry's site and turns client errors into Home Assistant's.

    The base class logs once when updates start failing and once when they
    recover, and marks the entities unavailable in between.
    """

    config_entry: EvseBridgeConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EvseBridgeConfigEntry,
        site: Site,
        update_interval: timedelta,
    ) -> None:
        """Poll ``site`` every ``update_interval``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=update_interval,
        )
        self.site = site

    async def _async_update_data(self) -> SiteData:
        try:
            data = await self.site.async_fetch()
        except EvseAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            ) from err
        except EvseBridgeError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"error": str(err) or type(err).__name__},
            ) from err
        self._remove_stale_devices(data)
        return data

    def _remove_stale_devices(self, data: SiteData) -> None:
        """Detach devices the site no longer reports (a station removed from a hub)."""
        current = {(DOMAIN, self.site.device_identifier(key)) for key in data.devices}
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(registry, self.config_entry.entry_id):
            if device.identifiers and not device.identifiers & current:
                LOGGER.info("Removing %s: no longer reported by %s", device.name, self.name)
                registry.async_update_device(
                    device.id, remove_config_entry_id=self.config_entry.entry_id
                )
