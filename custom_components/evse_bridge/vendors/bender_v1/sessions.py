"""Bender v1: the controller's transactions as session records."""

from __future__ import annotations

from homeassistant.util import dt as dt_util

from ...api.bender_v1 import CompletedTransaction, Transaction
from ...contract.records import SessionRecord


def running_record(transaction: Transaction | None) -> SessionRecord | None:
    """The running transaction of ``system_state``; it is there only while one runs."""
    if transaction is None:
        return None
    return SessionRecord(
        id=transaction.id,
        start=None if transaction.started is None else dt_util.parse_datetime(transaction.started),
        energy_kwh=None if transaction.energy_wh is None else transaction.energy_wh / 1000,
        power_w=transaction.power_w,
        duration_s=transaction.duration_s,
        tag=transaction.id_tag,
    )


def completed_record(transaction: CompletedTransaction) -> SessionRecord:
    """A transaction of the controller's records, ended."""
    return SessionRecord(
        id=transaction.id,
        start=None if transaction.started is None else dt_util.parse_datetime(transaction.started),
        end=None if transaction.ended is None else dt_util.parse_datetime(transaction.ended),
        energy_kwh=None if transaction.energy_wh is None else transaction.energy_wh / 1000,
        duration_s=transaction.duration_s,
        tag=transaction.id_tag,
        stop_reason=transaction.stop_reason,
        ended=True,
    )
