"""A connector's running transaction as the session record the sessions layer tracks."""

from __future__ import annotations

from ...contract.records import SESSION_UNKNOWN, SessionRecord, SessionUnknown
from .model import EvceConnectorData, hub_session_start


def session_record(data: EvceConnectorData) -> SessionRecord | SessionUnknown | None:
    """The connector's running transaction; the hub keeps no record of finished ones.

    While the station is offline the hub reports nothing current: the open session
    neither ends nor changes until the station is back.
    """
    state = data.state
    if state is None or not data.online:
        return SESSION_UNKNOWN
    if not state.in_session:
        return None
    return SessionRecord(
        id=None if state.transaction_id is None else str(state.transaction_id),
        # Only the hub's own start: a first sighting would move after a restart.
        start=hub_session_start(state),
        energy_kwh=None if state.session_energy_wh is None else state.session_energy_wh / 1000,
        power_w=state.power_w,
    )


def meter_kwh(data: EvceConnectorData) -> float | None:
    """The connector's lifetime register in kWh: what a session that ended unseen counted."""
    energy = data.energy_wh
    return None if energy is None else energy / 1000
