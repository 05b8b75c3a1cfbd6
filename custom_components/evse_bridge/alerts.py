"""Repair issues for charge points that stay faulted or offline.

A charge point that is faulted or offline for longer than the entry's alert delay (an
option, default 15 minutes) raises a repair issue naming it; the issue is deleted when
the charge point recovers, leaves the site, or the entry is unloaded or removed. While
the entry's own device does not answer, every charge point it last reported counts as
offline. An offline station with two connectors is one issue, not three; a faulted
connector is named itself, not its station that reports the fault too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .contract.overview import PROBLEM_STATUSES, ChargePoint, ChargePointStatus
from .coordinator import EvseBridgeConfigEntry, EvseBridgeCoordinator
from .registry import entry_devices, registry_name

#: Option: minutes a charge point may be faulted or offline before a repair issue is raised.
CONF_ALERT_DELAY: Final = "alert_delay"
DEFAULT_ALERT_DELAY_MIN: Final = 15
MAX_ALERT_DELAY_MIN: Final = 24 * 60
#: How often the delay is checked besides every poll (a failing poll notifies nobody).
CHECK_INTERVAL: Final = timedelta(minutes=1)


def issue_prefix(entry_id: str) -> str:
    """The start of the ids of every charge point issue of an entry."""
    return f"charge_point_{entry_id}_"


class ChargePointAlerts:
    """Watches an entry's charge points; raises and clears their repair issues."""

    def __init__(
        self, hass: HomeAssistant, entry: EvseBridgeConfigEntry, coordinator: EvseBridgeCoordinator
    ) -> None:
        """Watch the charge points ``coordinator`` reports for ``entry``."""
        self._hass = hass
        self._entry = entry
        self._coordinator = coordinator
        #: Per charge point key: since when it has a problem.
        self._since: dict[str, datetime] = {}
        self._raised: set[str] = set()
        self._last: dict[str, ChargePoint] = {}

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Check after every poll and every minute; returns what stops it."""
        self.async_check()
        stop_listening = self._coordinator.async_add_listener(self.async_check)
        stop_timer = async_track_time_interval(self._hass, self.async_check, CHECK_INTERVAL)

        @callback
        def stop() -> None:
            stop_listening()
            stop_timer()
            for key in set(self._raised):
                self._delete(key)

        return stop

    @property
    def delay(self) -> timedelta:
        """The entry's alert delay."""
        minutes = self._entry.options.get(CONF_ALERT_DELAY, DEFAULT_ALERT_DELAY_MIN)
        return timedelta(minutes=float(minutes))

    @callback
    def async_check(self, _now: datetime | None = None) -> None:
        """Raise the issues whose delay passed; delete those of recovered charge points."""
        now = dt_util.utcnow()
        coordinator = self._coordinator
        if coordinator.last_update_success and coordinator.data is not None:
            self._last = coordinator.charge_points()
            points = self._last
        else:
            points = {
                key: replace(point, status=ChargePointStatus.OFFLINE)
                for key, point in self._last.items()
            }
        problems = {key for key, point in points.items() if point.status in PROBLEM_STATUSES}
        for key in set(self._since) - problems:
            del self._since[key]
        shown = {key for key in problems if not self._told_elsewhere(key, points)}
        for key in self._raised - shown:
            self._delete(key)
        for key in problems:
            since = self._since.setdefault(key, now)
            if key in shown and now - since >= self.delay:
                self._raise(key, points[key], since)

    def _told_elsewhere(self, key: str, points: dict[str, ChargePoint]) -> bool:
        """Whether another charge point's issue tells of this one's problem.

        Offline is told by the topmost device (a station offline takes its connectors
        with it); a fault by the most specific one (a station reports its faulted
        connector's fault as its own).
        """
        devices = self._coordinator.data.devices if self._coordinator.data else {}
        status = points[key].status
        if status is ChargePointStatus.OFFLINE:
            device = devices.get(key)
            parent = None if device is None else points.get(device.identity.via_key or "")
            return parent is not None and parent.status is ChargePointStatus.OFFLINE
        return any(
            device.identity.via_key == key
            and child in points
            and points[child].status is ChargePointStatus.FAULTED
            for child, device in devices.items()
        )

    def _issue_id(self, key: str) -> str:
        return f"{issue_prefix(self._entry.entry_id)}{key}"

    def _name(self, key: str) -> str:
        registered = entry_devices(self._hass, self._entry.entry_id).get(
            self._coordinator.site.registry_identifier(key)
        )
        if registered is not None and (name := registry_name(registered)):
            return name
        devices = self._coordinator.data.devices if self._coordinator.data else {}
        return devices[key].identity.name if key in devices else key

    def _raise(self, key: str, point: ChargePoint, since: datetime) -> None:
        status = point.status or ChargePointStatus.OFFLINE
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id(key),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=f"charge_point_{status.value}",
            translation_placeholders={
                "name": self._name(key),
                "entry": self._entry.title,
                "since": dt_util.as_local(since).strftime("%Y-%m-%d %H:%M"),
            },
        )
        self._raised.add(key)

    def _delete(self, key: str) -> None:
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(key))
        self._raised.discard(key)


@callback
def async_delete_entry_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every charge point issue of a removed entry."""
    prefix = issue_prefix(entry_id)
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(prefix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
