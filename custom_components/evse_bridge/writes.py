"""Safe writes: set-points written to a device are coalesced per target.

Automations that set a limit or a reduction every few seconds wear out a
controller's flash and hammer cloud APIs. Every write of a number entity, and
of a vendor action that declares a ``write_target``, goes through the entry's
``WriteCoalescer``:

- a value equal to the last one sent (and to what the device reports, where
  known) is not sent again;
- at most one write per target per interval (``write_interval`` option, default
  ``DEFAULT_WRITE_INTERVAL_S``); a write that comes sooner waits for the end of
  the interval, and the last value requested by then is the one sent;
- an ``urgent`` write (a decrease the site power budget needs to stay under the
  building's limit) is sent at once, replacing a write that waits: safety is never
  delayed by coalescing.

A write sent at once raises its errors to the caller; a deferred write can only
log them (the caller has returned) and refreshes the entry's data either way.
Deferred writes run as tasks of the entry: when it unloads, the ones waiting and
the ones under way are cancelled before the site logs out, so none logs in again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import logging
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .contract.vendor import UNKNOWN

_LOGGER = logging.getLogger(__name__)

CONF_WRITE_INTERVAL = "write_interval"
#: At most one write per target in this many seconds unless the entry's options say otherwise.
DEFAULT_WRITE_INTERVAL_S = 30.0
#: The options flow offers intervals up to an hour.
MAX_WRITE_INTERVAL_S = 3600.0

type Send = Callable[[], Awaitable[Any]]
#: Runs a coroutine as a task of the entry (``entry.async_create_background_task``).
type CreateTask = Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]]


class WriteOutcome(StrEnum):
    """What became of one requested write."""

    SENT = "sent"
    SKIPPED = "skipped"
    DEFERRED = "deferred"


@dataclass(slots=True)
class _Target:
    last_value: Hashable = UNKNOWN
    last_sent: datetime | None = None
    pending_value: Hashable = UNKNOWN
    pending_send: Send | None = None
    timer: CALLBACK_TYPE | None = None


@dataclass(slots=True)
class WriteStats:
    """Counts since the entry was set up (diagnostics, benchmark)."""

    requested: int = 0
    sent: int = 0
    skipped: int = 0
    superseded: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        """JSON-ready copy."""
        return {
            "requested": self.requested,
            "sent": self.sent,
            "skipped": self.skipped,
            "superseded": self.superseded,
            "failed": self.failed,
        }


@dataclass(slots=True)
class WriteCoalescer:
    """The coalescing writer of one config entry.

    Targets are stable strings such as ``f"{device_key}/{description_key}"``; they
    appear in logs, so they never carry an id tag.
    """

    hass: HomeAssistant
    #: The interval now (read on every write: the options may change while loaded).
    interval_fn: Callable[[], timedelta]
    #: Starts a deferred write as a task bound to the entry.
    create_task: CreateTask
    #: Called after a deferred write was sent (or failed), to show the device's new state.
    after_deferred: Callable[[], Awaitable[None]] | None = None
    stats: WriteStats = field(default_factory=WriteStats)
    _targets: dict[str, _Target] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def pending(self, target: str) -> tuple[bool, Hashable]:
        """Whether a write to ``target`` waits, and its value."""
        state = self._targets.get(target)
        if state is None or state.pending_send is None:
            return False, None
        return True, state.pending_value

    async def async_write(
        self,
        target: str,
        value: Hashable,
        send: Send,
        *,
        current: Hashable = UNKNOWN,
        urgent: bool = False,
    ) -> WriteOutcome:
        """Send ``value`` to ``target`` now, later, or not at all (see the module doc).

        ``current`` is what the device reported for the target since our last write,
        where known: a value that was changed elsewhere is written again. An ``urgent``
        write is sent now, whatever the interval, and drops a write waiting for it.
        """
        self.stats.requested += 1
        state = self._targets.setdefault(target, _Target())
        if urgent:
            if state.timer is not None:
                state.timer()
            if state.pending_send is not None:
                self.stats.superseded += 1
            state.pending_value, state.pending_send, state.timer = UNKNOWN, None, None
            await self._send(state, value, send, dt_util.utcnow())
            return WriteOutcome.SENT
        if state.pending_send is not None:
            # The last value requested within the interval wins.
            self.stats.superseded += 1
            state.pending_value, state.pending_send = value, send
            return WriteOutcome.DEFERRED
        if value == state.last_value and (current is UNKNOWN or current == value):
            self.stats.skipped += 1
            return WriteOutcome.SKIPPED
        now = dt_util.utcnow()
        if state.last_sent is not None and now < state.last_sent + (interval := self.interval_fn()):
            state.pending_value, state.pending_send = value, send
            delay = (state.last_sent + interval - now).total_seconds()
            state.timer = async_call_later(self.hass, delay, self._due(target))
            return WriteOutcome.DEFERRED
        await self._send(state, value, send, now)
        return WriteOutcome.SENT

    async def _send(self, state: _Target, value: Hashable, send: Send, now: datetime) -> None:
        # The slot is taken before the request: a write arriving meanwhile waits for it.
        previous, state.last_sent = state.last_sent, now
        try:
            await send()
        except BaseException:
            state.last_sent = previous
            self.stats.failed += 1
            raise
        state.last_value = value
        self.stats.sent += 1

    def _due(self, target: str) -> Callable[[datetime], None]:
        @callback
        def due(_: datetime) -> None:
            task = self.create_task(
                self._send_pending(target), f"evse_bridge deferred write {target}"
            )
            if not task.done():
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

        return due

    async def _send_pending(self, target: str) -> None:
        state = self._targets[target]
        value, send = state.pending_value, state.pending_send
        state.pending_value, state.pending_send, state.timer = UNKNOWN, None, None
        if send is None:
            return
        if value == state.last_value:
            self.stats.skipped += 1
            return
        try:
            await self._send(state, value, send, dt_util.utcnow())
        except Exception as err:  # no caller is left to raise to
            _LOGGER.warning(
                "A deferred write to %s failed: %s", target, str(err) or type(err).__name__
            )
        if self.after_deferred is not None:
            await self.after_deferred()

    async def async_shutdown(self) -> None:
        """Drop writes still waiting and cancel those under way (the entry unloads)."""
        for state in self._targets.values():
            if state.timer is not None:
                state.timer()
            state.timer, state.pending_send, state.pending_value = None, None, UNKNOWN
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        # Returned only once they ended: the site logs out next, and must stay logged out.
        await asyncio.gather(*tasks, return_exceptions=True)

    def diagnostics(self) -> dict[str, Any]:
        """Interval and counts."""
        return {"interval_s": self.interval_fn().total_seconds(), **self.stats.as_dict()}
