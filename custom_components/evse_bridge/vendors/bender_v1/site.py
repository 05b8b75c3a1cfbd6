"""Bender v1: the site, one controller whose endpoints are polled each at its own pace.

The system state is polled every 15 s, the errors and warnings every 60 s and
the transaction summary every 5 minutes (and right after a transaction ends),
all within the one session the client keeps alive (polling faster than its
60 s timeout). The client gets an HTTP session of its own that keeps cookies,
for controllers that hand out the session id as a cookie.

The summary's units are not documented: they are established by comparing its
growth with the transactions this site watched end, stored in the entry, and
only then is its energy offered as the lifetime meter (summary + transactions
ended but not yet summed + the running one, never falling).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ...api import EvseDetailUnavailableError, EvseNotSupportedError
from ...api.bender_common import ConnectionState
from ...api.bender_v1 import (
    ChargePointInfo,
    ControllerLog,
    SettingParameter,
    SummaryUnits,
    SystemState,
    Transaction,
    TransactionSummary,
)
from ...contract.records import SessionRecord
from ...contract.site import DeviceData, DeviceIdentity, Site, SiteData
from ...contract.vendor import EntryContext
from .clock import ControllerClock
from .config import (
    CONF_LIFETIME_WH,
    CONF_SUMMARY_UNITS,
    controller_title,
    http_session,
    v1_client,
)
from .controls import V1Controls
from .sessions import completed_record

_LOGGER = logging.getLogger(__name__)

#: The key and kind of the entry's one device.
CONTROLLER = "controller"
STATE_INTERVAL = timedelta(seconds=15)
LOGGING_INTERVAL = timedelta(seconds=60)
SUMMARY_INTERVAL = timedelta(minutes=5)
#: A drop of the lifetime meter smaller than this is the summary's rounding to whole kWh,
#: held back; a larger one is a real reset of the controller's database.
ROUNDING_WH = 1000.0
#: How far back the controller's records are searched for a transaction that just ended.
FINAL_RECORD_WINDOW = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class BenderV1Data:
    """One poll's view of the controller; ``log``/``summary`` are None when unsupported.

    ``running`` says whether a transaction runs (None when unsure); ``total_energy_wh``
    is the lifetime meter, None until the summary's energy unit is established.
    """

    info: ChargePointInfo
    state: SystemState
    log: ControllerLog | None
    summary: TransactionSummary | None
    units: SummaryUnits
    running: bool | None
    total_energy_wh: float | None
    #: The charging current limit parameter, where the settings meta identifies one.
    current_limit: SettingParameter | None = None
    #: What to add to the controller's times, in s: how far its clock is behind (0 unless off).
    clock_correction_s: float = 0.0


class BenderV1Site(Site):
    """One controller; decides per poll which endpoints are due."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Create the client, on an HTTP session of its own, from the entry's data."""
        assert entry.unique_id is not None
        super().__init__(entry.unique_id)
        self._hass = hass
        self._entry = entry
        self._http = http_session(hass)
        self.client = v1_client(self._http, entry.data)
        self.controls = V1Controls(hass, entry, self.client)
        self.clock = ControllerClock(hass, entry)
        self._info: ChargePointInfo | None = None
        self._log: ControllerLog | None = None
        self._summary: TransactionSummary | None = None
        self._logging_due: datetime | None = dt_util.utcnow()
        self._summary_due: datetime | None = dt_util.utcnow()
        self._active_supported = True
        stored = entry.data.get(CONF_SUMMARY_UNITS) or {}
        self._units = SummaryUnits(stored.get("energy"), stored.get("duration"))
        #: Evidence for the units: the summary before the watched transactions ended.
        self._baseline: TransactionSummary | None = None
        #: The running transaction as last seen, and those seen end since the baseline.
        self._running: Transaction | None = None
        self._ended: list[Transaction] = []
        self._total_wh: float | None = entry.data.get(CONF_LIFETIME_WH)

    async def async_fetch(self) -> SiteData:
        """System state every poll; logging, summary and identity when due."""
        client = self.client
        now = dt_util.utcnow()
        if self._info is None:
            self._info = await client.charge_point_info()
        state = await client.system_state()
        self.clock.measure(state.transaction, now, controller_title(self._info))
        running = await self.transaction_running(state)
        self._watch(state.transaction)
        if self._logging_due is not None and now >= self._logging_due:
            try:
                self._log = await client.logging()
            except EvseDetailUnavailableError:
                # Failed this time (logged once by the client): the last log stands.
                self._logging_due = now + LOGGING_INTERVAL
            except EvseNotSupportedError:
                self._logging_due = None
            else:
                self._logging_due = now + LOGGING_INTERVAL
        if self._summary_due is not None and now >= self._summary_due:
            try:
                summary = await client.transaction_summary()
            except EvseDetailUnavailableError:
                self._summary_due = now + SUMMARY_INTERVAL
            except EvseNotSupportedError:
                self._summary_due = None
            else:
                self._summary_due = now + SUMMARY_INTERVAL
                self._take_summary(summary)
                if self._ended:
                    # The summary has not counted every ended transaction yet: ask again soon.
                    self._summary_due = now
        info = self._info
        identity = DeviceIdentity(
            name=controller_title(info),
            manufacturer=info.vendor,
            model=info.model,
            serial_number=info.serial,
            sw_version=info.firmware,
            configuration_url=client.host_url,
        )
        data = BenderV1Data(
            info=info,
            state=state,
            log=self._log,
            summary=self._summary,
            units=self._units,
            running=running,
            total_energy_wh=self._lifetime_wh(state.transaction),
            current_limit=await self.controls.async_current_limit(now),
            clock_correction_s=self.clock.correction.total_seconds(),
        )
        return SiteData(
            {CONTROLLER: DeviceData(key=CONTROLLER, kind=CONTROLLER, identity=identity, data=data)}
        )

    async def async_final_session(self, device_key: str, session_id: str) -> SessionRecord | None:
        """The controller's record of the transaction that just ended (final energy).

        Searched by the controller's clock, however wrong it is.
        """
        since = self.clock.device_time(dt_util.utcnow() - FINAL_RECORD_WINDOW)
        for transaction in await self.client.completed_transactions(since):
            if transaction.id == session_id:
                return completed_record(transaction, self.clock.correction)
        return None

    async def async_completed_sessions(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, SessionRecord]] | None:
        """The controller's completed transactions; None where it lists none.

        The period is the real time's; the controller is asked for it by its own clock.
        """
        clock = self.clock
        try:
            transactions = await self.client.completed_transactions(
                clock.device_time(start), clock.device_time(end)
            )
        except EvseNotSupportedError:
            return None
        return [
            (CONTROLLER, completed_record(transaction, clock.correction))
            for transaction in transactions
        ]

    async def transaction_running(self, state: SystemState) -> bool | None:
        """Whether a transaction runs; the documented ``transactions/active`` settles doubt.

        ``system_state`` carries the running transaction; without one and with a
        vehicle connected, ``transactions/active`` tells whether one runs anyway.
        """
        if state.transaction is not None:
            return True
        if state.connection is ConnectionState.NO_VEHICLE_CONNECTED or not self._active_supported:
            return False
        try:
            active = await self.client.transaction_active()
        except EvseDetailUnavailableError:
            return None
        except EvseNotSupportedError:
            self._active_supported = False
            return False
        return active is not False

    def _watch(self, transaction: Transaction | None) -> None:
        """Note a transaction that ended since the last poll; its summary is due at once."""
        previous = self._running
        if previous is not None and (transaction is None or transaction.id != previous.id):
            self._ended.append(previous)
            if self._summary_due is not None:
                self._summary_due = dt_util.utcnow()
            if self._total_wh is not None:
                # Once per transaction: what the meter showed, kept across restarts.
                self._hass.config_entries.async_update_entry(
                    self._entry, data={**self._entry.data, CONF_LIFETIME_WH: self._total_wh}
                )
        self._running = transaction

    def _take_summary(self, summary: TransactionSummary) -> None:
        """Keep a new summary; establish its units when it grew by the watched transactions."""
        self._summary = summary
        baseline = self._baseline
        if baseline is None or baseline.count is None or summary.count is None:
            self._baseline, self._ended = summary, []
            return
        grown = summary.count - baseline.count
        if grown < len(self._ended):
            return  # not yet counted: wait for the summary to catch up
        if grown == len(self._ended):
            self._establish(self._units.establish(baseline, summary, self._ended))
        self._baseline, self._ended = summary, []

    def _establish(self, units: SummaryUnits) -> None:
        """Store newly established units; the reload adds the entities they allow."""
        if units == self._units:
            return
        _LOGGER.info(
            "%s: transaction summary units established from a watched transaction: "
            "energy %s, duration %s",
            self._entry.title,
            units.energy or "open",
            units.duration or "open",
        )
        self._units = units
        self._hass.config_entries.async_update_entry(
            self._entry,
            data={
                **self._entry.data,
                CONF_SUMMARY_UNITS: {"energy": units.energy, "duration": units.duration},
            },
        )
        self._hass.config_entries.async_schedule_reload(self._entry.entry_id)

    def _lifetime_wh(self, transaction: Transaction | None) -> float | None:
        """Summary + ended transactions it has not counted yet + the running one; never falls."""
        completed = self._units.energy_wh(self._summary)
        if completed is None:
            return None
        baseline = self._baseline
        grown = 0
        if baseline is not None and baseline.count is not None and self._summary is not None:
            grown = (self._summary.count or baseline.count) - baseline.count
        pending = self._ended[grown:]
        total = completed + sum(item.energy_wh or 0.0 for item in pending)
        if transaction is not None and transaction.energy_wh is not None:
            total += transaction.energy_wh
        if self._total_wh is not None and self._total_wh - ROUNDING_WH < total < self._total_wh:
            # A summary rounded to whole units may sum an ended transaction a little lower.
            total = self._total_wh
        self._total_wh = total
        return total

    async def async_close(self) -> None:
        """Log out, so the controller's single session is free at once; release the session."""
        try:
            await self.client.logout()
        finally:
            self._http.detach()

    def diagnostics(self) -> dict[str, Any]:
        """Raw payloads, plus how the client reached the controller and what it established."""
        return {
            **self.client.raw_payloads,
            "client": {
                **self.client.readings,
                "logins": self.client.login_count,
                "summary_units": {
                    "energy": self._units.energy,
                    "duration": self._units.duration,
                    "how": "growth of the summary compared with transactions watched to their end",
                },
            },
            "clock": self.clock.diagnostics(),
            "whitelist_readings": self.client.whitelist_readings,
            "settings_readings": self.client.settings_readings,
        }


def v1_site(context: EntryContext) -> BenderV1Site:
    """The site of the entry an action acts on: a Bender v1 one (its vendor's actions only)."""
    site = context.site
    assert isinstance(site, BenderV1Site)
    return site
