"""Bender v1: the controller's clock, measured from the running transaction.

The API has no "now" of the controller's own; a transaction that is charging
implies it: its ``startTime`` plus its ``duration``. A clock found off by more
than a few minutes raises a repair issue (cleared when the clock is right again)
and the controller's session times are corrected by the measured offset.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import logging

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from ...api.bender_v1 import Transaction
from ...const import DOMAIN
from ...contract.clock import AGREEMENT, DeviceClock

_LOGGER = logging.getLogger(__name__)
AGREEMENT_S = AGREEMENT.total_seconds()

CLOCK_ISSUE = "clock_skew"
#: The entry keeps the offset established last (s), so a restart or reload corrects at once:
#: a session that ended meanwhile is found in the controller's records by its clock.
CONF_CLOCK_OFFSET_S = "clock_offset_s"


def device_now(transaction: Transaction | None) -> datetime | None:
    """The controller's time implied by a charging transaction; None if none charges.

    Only while power flows: a controller may stop counting ``duration`` once the car is full.
    """
    if (
        transaction is None
        or transaction.started is None
        or transaction.duration_s is None
        or not transaction.power_w
        or (started := dt_util.parse_datetime(transaction.started)) is None
    ):
        return None
    if started.tzinfo is None:
        started = dt_util.as_utc(started)
    return started + timedelta(seconds=transaction.duration_s)


class ControllerClock(DeviceClock):
    """The controller's clock and its repair issue, with the offset the entry keeps."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """The offset kept; its issue (kept too) stays while it is skewed, else it is cleared."""
        stored = entry.data.get(CONF_CLOCK_OFFSET_S)
        super().__init__(None if stored is None else timedelta(seconds=stored))
        self._hass = hass
        self._entry = entry
        if not self.skewed:
            ir.async_delete_issue(hass, DOMAIN, self.issue_id)

    @property
    def issue_id(self) -> str:
        """The repair issue of this entry's skewed clock."""
        return f"{CLOCK_ISSUE}_{self._entry.entry_id}"

    def measure(self, transaction: Transaction | None, poll_time: datetime, name: str) -> None:
        """Compare the running transaction's times with the poll; raise or clear the issue."""
        if (moment := device_now(transaction)) is None:
            return
        changed = self.observe(moment, poll_time)
        self._keep_offset()
        if not changed:
            return
        if not self.skewed:
            _LOGGER.info("%s: the controller's clock is right again", name)
            ir.async_delete_issue(self._hass, DOMAIN, self.issue_id)
            return
        _LOGGER.warning(
            "%s: the controller's clock is off by %s; its session times are corrected",
            name,
            self.describe_offset(),
        )
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self.issue_id,
            is_fixable=False,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=CLOCK_ISSUE,
            translation_placeholders={
                "controller": name,
                "device_time": _minute(moment),
                "real_time": _minute(poll_time),
                "offset": self.describe_offset(),
            },
        )

    def _keep_offset(self) -> None:
        """Write the established offset to the entry when it moved (rarely: not every poll)."""
        if self.offset is None:
            return
        stored = self._entry.data.get(CONF_CLOCK_OFFSET_S)
        if stored is not None and abs(self.offset.total_seconds() - stored) <= AGREEMENT_S:
            return
        self._hass.config_entries.async_update_entry(
            self._entry,
            data={**self._entry.data, CONF_CLOCK_OFFSET_S: round(self.offset.total_seconds())},
        )


def _minute(moment: datetime) -> str:
    """A time in Home Assistant's zone, to the minute."""
    return dt_util.as_local(moment).strftime("%Y-%m-%d %H:%M")
