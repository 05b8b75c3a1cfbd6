"""A connector's sessions as the records the sessions layer tracks.

The statuses carry the running transaction; where the hub also answers its own
session records (``/transactions/ongoing|ended``, in its OpenAPI 3.0.0, not in
the PDF), the ongoing record adds the badge and the start, and the ended record
gives a finished session its final energy, end and stop reason.
"""

from __future__ import annotations

from ...api.schneider_evce import EvceTransaction
from ...contract.records import SESSION_UNKNOWN, SessionRecord, SessionUnknown
from .model import EvceConnectorData, hub_session_start


def session_record(data: EvceConnectorData) -> SessionRecord | SessionUnknown | None:
    """The connector's running transaction, completed by the hub's ongoing record.

    While the station is offline the hub reports nothing current: the open session
    neither ends nor changes until the station is back.
    """
    state = data.state
    if state is None or not data.online:
        return SESSION_UNKNOWN
    if not state.in_session:
        return None
    ongoing = data.ongoing
    energy_wh = state.session_energy_wh
    if energy_wh is None and ongoing is not None:
        energy_wh = ongoing.energy_wh
    return SessionRecord(
        id=None if state.transaction_id is None else str(state.transaction_id),
        # Only the hub's own start: a first sighting would move after a restart.
        start=hub_session_start(state) or (None if ongoing is None else ongoing.start),
        energy_kwh=None if energy_wh is None else energy_wh / 1000,
        power_w=state.power_w,
        tag=None if ongoing is None else ongoing.id_tag,
    )


def ended_record(transaction: EvceTransaction) -> SessionRecord:
    """A session of the hub's ended records: its values are final."""
    energy_wh = transaction.energy_wh
    return SessionRecord(
        id=transaction.id,
        start=transaction.start,
        end=transaction.end,
        energy_kwh=None if energy_wh is None else energy_wh / 1000,
        duration_s=(
            (transaction.end - transaction.start).total_seconds()
            if transaction.start is not None and transaction.end is not None
            else None
        ),
        tag=transaction.id_tag,
        stop_reason=transaction.stop_reason,
        ended=True,
    )


def meter_kwh(data: EvceConnectorData) -> float | None:
    """The connector's lifetime register in kWh: what a session that ended unseen counted."""
    energy = data.energy_wh
    return None if energy is None else energy / 1000
