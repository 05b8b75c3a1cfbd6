"""The one coordinator per config entry, whatever the vendor, and what the entry keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    EvseAuthenticationError,
    EvseBridgeError,
    EvseCertificateMismatchError,
    EvseRateLimitedError,
)
from .compat import UPDATE_FAILED_RETRY_AFTER, remove_device, update_failed
from .const import DOMAIN, LOGGER
from .contract.commands import CommandResult
from .contract.overview import (
    ChargePoint,
    SiteOverview,
    charge_point_descriptions,
    charge_points,
)
from .contract.site import DeviceData, Site, SiteData, device_model_id
from .contract.vendor import Vendor
from .entity_limit import async_check_entity_limit, entities_added_disabled
from .registry import entry_devices
from .sessions.tracker import SessionTracker
from .writes import WriteCoalescer

#: A device missing from this many successful polls in a row is removed, unless a list
#: read says so sooner: one failed status read must not cost its entities' settings.
STALE_AFTER_POLLS: Final = 3


@dataclass(slots=True)
class EvseBridgeRuntimeData:
    """The entry's vendor, site adapter, poller, writer and sessions."""

    vendor: Vendor
    site: Site
    coordinator: EvseBridgeCoordinator
    writes: WriteCoalescer
    sessions: SessionTracker


type EvseBridgeConfigEntry = ConfigEntry[EvseBridgeRuntimeData]


class EvseBridgeCoordinator(DataUpdateCoordinator[SiteData]):
    """Polls the entry's site and turns client errors into Home Assistant's.

    The base class logs once when updates start failing and once when they
    recover, and marks the entities unavailable in between. A service that
    answers 429 gets its ``Retry-After`` before the next poll; the first 429
    after a good poll keeps the last data (entities stay available), a second
    one in a row fails the update.
    """

    config_entry: EvseBridgeConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EvseBridgeConfigEntry,
        site: Site,
        vendor: Vendor,
        sessions: SessionTracker,
    ) -> None:
        """Poll ``site`` every ``vendor.update_interval``; compare each poll with ``sessions``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=vendor.update_interval,
        )
        self.site = site
        self._vendor_label = vendor.label
        self._charge_point_kinds = charge_point_descriptions(vendor.descriptions)
        #: The poll the charge points below were worked out from, and its overview once asked.
        self._points_of: tuple[SiteData, dict[str, ChargePoint]] | None = None
        self._overview_of: tuple[SiteData, SiteOverview] | None = None
        self._certificate_issue_checked = False
        self._registered: set[str] = set()
        self._descriptions = vendor.descriptions
        #: Unique IDs of the entities to add disabled, so that the entry stays within the
        #: enabled entities Home Assistant adds for one (``entity_limit``).
        self.added_disabled: frozenset[str] = frozenset()
        #: Whether a poll added a new device's entities disabled for the limit: the next one
        #: tells the user (its entities are in the registry by then).
        self._entity_limit_check_due = False
        #: Per registry device ID, how many successful polls in a row have not reported it.
        self._absent: dict[str, int] = {}
        #: The devices of the last poll after which the registry held no others, and how
        #: many the registry held then.
        self._all_current: tuple[frozenset[str], int] = (frozenset(), -1)
        #: Compares each successful poll with the open charging sessions.
        self.sessions = sessions
        #: Per device key, the answer to the last command sent from a button.
        self.command_results: dict[str, CommandResult] = {}
        #: Whether the last poll was answered 429 (and kept the data before it).
        self._rate_limited = False
        #: Seconds until the next poll, once, instead of the update interval.
        self._next_poll_delay_s: float | None = None

    def charge_points(self) -> dict[str, ChargePoint]:
        """The latest poll's charge points by device key (the summary sensors' and alerts')."""
        # Once per poll: the alerts and each summary sensor read them, some more than once.
        data = self.data
        if self._points_of is None or self._points_of[0] is not data:
            self._points_of = data, charge_points(data.devices, self._charge_point_kinds)
        return self._points_of[1]

    def site_overview(self) -> SiteOverview:
        """The latest poll's charge points counted by state, with their total power."""
        data = self.data
        if self._overview_of is None or self._overview_of[0] is not data:
            self._overview_of = data, SiteOverview.of(self.charge_points().values())
        return self._overview_of[1]

    @property
    def certificate_issue_id(self) -> str:
        """The repair issue raised when the entry's pinned certificate changed."""
        return f"certificate_changed_{self.config_entry.entry_id}"

    async def _async_update_data(self) -> SiteData:
        try:
            data = await self.site.async_fetch()
        except EvseRateLimitedError as err:
            return self._rate_limited_answer(err)
        except EvseCertificateMismatchError as err:
            raise self._certificate_changed(err) from err
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
        self._rate_limited = False
        if not self._certificate_issue_checked:
            # The entry works again (the user accepted the new certificate).
            ir.async_delete_issue(self.hass, DOMAIN, self.certificate_issue_id)
            self._certificate_issue_checked = True
        self._remove_stale_devices(data)
        if self._entity_limit_check_due:
            self._entity_limit_check_due = False
            entry = self.config_entry
            async_check_entity_limit(
                self.hass, entry.entry_id, entry.title, self.site, self._descriptions, data.devices
            )
        self._register_new_devices(data)
        await self.sessions.async_process(data)
        return data

    def _rate_limited_answer(self, err: EvseRateLimitedError) -> SiteData:
        """Wait what the service asked before the next poll; keep the data of a good poll once."""
        interval = self.update_interval.total_seconds() if self.update_interval else 0.0
        delay = max(err.retry_after, interval)
        if not self._rate_limited and self.data is not None and self.last_update_success:
            self._rate_limited = True
            self._next_poll_delay_s = delay
            LOGGER.info(
                "%s is rate limited; keeping the last data, next poll in %.0f s", self.name, delay
            )
            return self.data
        if not UPDATE_FAILED_RETRY_AFTER:
            self._next_poll_delay_s = delay
        raise update_failed(
            retry_after=delay,
            translation_domain=DOMAIN,
            translation_key="communication_error",
            translation_placeholders={"error": str(err)},
        ) from err

    @callback
    def _schedule_refresh(self) -> None:
        """Schedule the next poll, after a rate-limited one when the service asked for a wait."""
        delay, self._next_poll_delay_s = self._next_poll_delay_s, None
        interval = self.update_interval
        if delay is None or interval is None:
            super()._schedule_refresh()
            return
        self.update_interval = timedelta(seconds=delay)
        try:
            super()._schedule_refresh()
        finally:
            self.update_interval = interval

    def _register_new_devices(self, data: SiteData) -> None:
        """Register new devices, parents first, and link each to its parent.

        Entities then only refer to devices the registry already has, whatever
        order the platforms add them in. The link is the parent's registry ID
        (``via_device_id``), which every supported Home Assistant accepts.
        """
        if self._registered.issuperset(data.devices):
            return
        new = [device for key, device in data.devices.items() if key not in self._registered]
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        registry_ids = {
            identifier: device.id
            for identifier, device in entry_devices(self.hass, entry_id).items()
        }
        for device in sorted(new, key=lambda item: _depth(data, item)):
            identity = device.identity
            identifier = self.site.registry_identifier(device.key)
            entry = registry.async_get_or_create(
                config_entry_id=entry_id,
                identifiers={identifier},
                name=identity.name,
                manufacturer=identity.manufacturer,
                model=identity.model,
                model_id=device_model_id(self._vendor_label, device.kind),
                serial_number=identity.serial_number,
                sw_version=identity.sw_version,
                hw_version=identity.hw_version,
                configuration_url=identity.configuration_url,
                suggested_area=identity.suggested_area,
                translation_key=identity.translation_key,
                translation_placeholders=identity.translation_placeholders,
            )
            registry_ids[identifier] = entry.id
            if identity.via_key is None:
                continue
            parent_id = registry_ids.get(self.site.registry_identifier(identity.via_key))
            if parent_id is not None and entry.via_device_id != parent_id:
                registry.async_update_device(entry.id, via_device_id=parent_id)
        self._registered = set(data.devices)
        # Before the platforms make the new devices' entities.
        disabled = entities_added_disabled(
            self.hass,
            entry_id,
            self.site,
            self._descriptions,
            {device.key: device for device in new},
        )
        self.added_disabled |= disabled
        # Set-up tells the user about the first poll's devices.
        self._entity_limit_check_due = bool(disabled) and self.data is not None

    def _certificate_changed(self, err: EvseCertificateMismatchError) -> ConfigEntryError:
        """Never accept a changed certificate silently: fail the entry, explain in a repair.

        While the entry is loaded, it is reloaded so that it ends in a setup error
        instead of polling a device it no longer trusts.
        """
        entry = self.config_entry
        placeholders = {
            "name": entry.title,
            "expected": display_fingerprint(err.expected),
            "received": display_fingerprint(err.received),
        }
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.certificate_issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="certificate_changed",
            translation_placeholders=placeholders,
        )
        if entry.state is ConfigEntryState.LOADED:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="certificate_changed",
            translation_placeholders=placeholders,
        )

    def _remove_stale_devices(self, data: SiteData) -> None:
        """Remove devices the site no longer reports (a station removed from a hub).

        Gone when this poll's list read lacks them, or when absent from
        ``STALE_AFTER_POLLS`` successful polls in a row.
        """
        devices = data.devices
        registry = dr.async_get(self.hass)
        registered = dr.async_entries_for_config_entry(registry, self.config_entry.entry_id)
        checked, count = self._all_current
        unchanged = len(devices) == len(checked) and checked.issuperset(devices)
        if unchanged and len(registered) == count:
            # The devices of a poll after which the registry held none else, and no device
            # registered since: set operations, not a look at every device of a large site.
            return
        identifier = self.site.registry_identifier
        current = {identifier(key) for key in devices}
        listed = None if data.inventory is None else {identifier(key) for key in data.inventory}
        absent: dict[str, int] = {}
        kept = False
        removed = 0
        for device in registered:
            if not device.identifiers or device.identifiers & current:
                continue
            if listed is not None:
                if device.identifiers & listed:
                    # Listed, only its status failed: it exists.
                    kept = True
                    continue
                polls = STALE_AFTER_POLLS
            else:
                polls = self._absent.get(device.id, 0) + 1
            if polls < STALE_AFTER_POLLS:
                absent[device.id] = polls
                kept = True
                continue
            LOGGER.info("Removing %s: no longer reported by %s", device.name, self.name)
            remove_device(registry, device, self.config_entry.entry_id)
            removed += 1
        self._absent = absent
        self._all_current = (
            (frozenset(), -1) if kept else (frozenset(devices), len(registered) - removed)
        )


def _depth(data: SiteData, device: DeviceData) -> int:
    """How many parents ``device`` has in ``data`` (a hub 0, its station 1, a connector 2)."""
    depth = 0
    via_key = device.identity.via_key
    while via_key is not None and via_key in data.devices and depth < len(data.devices):
        depth += 1
        via_key = data.devices[via_key].identity.via_key
    return depth


def display_fingerprint(fingerprint: str) -> str:
    """``AB:CD:..`` as certificate viewers show it."""
    text = fingerprint.upper()
    return ":".join(text[index : index + 2] for index in range(0, len(text), 2))
