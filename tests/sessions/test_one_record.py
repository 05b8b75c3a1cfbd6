"""One record per session: ``get_sessions`` lists what the completed event carried."""

from __future__ import annotations

from typing import Any

from custom_components.evse_bridge.sessions.history import with_own_records

NAMES = {"device_id": "dev1", "station": "Bay 1", "connector": None}


def _item(session_id: str, start: str, **values: Any) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "start": start,
        "end": None,
        "peak_power_w": None,
        "stop_reason": "EVDisconnected",
        **NAMES,
        "device_key": "controller",
        "parent_key": None,
        **values,
    }


def test_a_session_the_entry_completed_is_its_own_record_with_current_names() -> None:
    device = [_item("1", "2026-12-01T06:02:20+00:00", station="Bay 1 renamed")]
    ours = [_item("1", "2026-12-01T06:02:21+00:00", peak_power_w=11000.0)]
    [row] = with_own_records(device, ours)
    assert row["peak_power_w"] == 11000.0
    assert row["start"] == "2026-12-01T06:02:21+00:00"
    assert row["station"] == "Bay 1 renamed"


def test_a_session_the_entry_never_saw_keeps_the_devices_record() -> None:
    device = [
        _item("1", "2026-12-01T06:02:20+00:00"),
        # The controller's records were reset: its id 2 is another session than ours.
        _item("2", "2026-12-02T08:00:00+00:00"),
    ]
    ours = [_item("2", "2026-11-01T08:00:00+00:00", peak_power_w=7000.0)]
    assert with_own_records(device, ours) == device
