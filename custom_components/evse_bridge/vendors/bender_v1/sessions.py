"""Bender v1: the controller's transactions as session records.

Times are the controller's, plus ``correction`` (what its clock is behind, see
``clock``): a controller whose clock is wrong files its sessions at the right time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.util import dt as dt_util

from ...api.bender_v1 import CompletedTransaction, Transaction
from ...contract.records import SessionRecord


def _time(value: str | None, correction: timedelta) -> datetime | None:
    moment = None if value is None else dt_util.parse_datetime(value)
    return None if moment is None else moment + correction


def running_record(
    transaction: Transaction | None, correction: timedelta = timedelta()
) -> SessionRecord | None:
    """The running transaction of ``system_state``; it is there only while one runs."""
    if transaction is None:
        return None
    return SessionRecord(
        id=transaction.id,
        start=_time(transaction.started, correction),
        energy_kwh=None if transaction.energy_wh is None else transaction.energy_wh / 1000,
        power_w=transaction.power_w,
        duration_s=transaction.duration_s,
        tag=transaction.id_tag,
    )


def completed_record(
    transaction: CompletedTransaction, correction: timedelta = timedelta()
) -> SessionRecord:
    """A transaction of the controller's records, ended."""
    return SessionRecord(
        id=transaction.id,
        start=_time(transaction.started, correction),
        end=_time(transaction.ended, correction),
        energy_kwh=None if transaction.energy_wh is None else transaction.energy_wh / 1000,
        duration_s=transaction.duration_s,
        tag=transaction.id_tag,
        stop_reason=transaction.stop_reason,
        ended=True,
    )
