"""The history of an entry's completed sessions: listed, filtered, totalled, grouped.

Plain data, no Home Assistant: a history item is a completed session's event
payload plus the ``device_key`` and ``parent_key`` it ran on (which the answer of
``get_sessions`` leaves out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, Final

from ..contract.records import SessionRecord
from .core import SAME_START_TOLERANCE, parse_time, to_iso
from .tags import normalised

#: How ``get_sessions`` can group the sessions.
GROUP_BY: Final = ("tag", "connector", "day", "month")


def stored_history(
    completed: Iterable[dict[str, Any]], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The completed sessions that started (else ended) in [start, end)."""
    return [
        item
        for item in completed
        if (begin := parse_time(item.get("start") or item.get("end"))) is not None
        and start <= begin < end
    ]


def device_history_item(
    key: str,
    record: SessionRecord,
    tag: str | None,
    names: Mapping[str, Any],
    parent_key: str | None,
) -> dict[str, Any]:
    """A session from the device's own records, as the history lists ours.

    ``tag`` is the record's tag as the history shows it; ``names`` are the device's
    (``device_id``, ``station``, ``connector``).
    """
    duration = record.duration_s
    if duration is None and record.start is not None and record.end is not None:
        duration = (record.end - record.start).total_seconds()
    return {
        "session_id": record.id,
        "start": to_iso(record.start),
        "end": to_iso(record.end),
        "duration_s": None if duration is None else round(duration),
        "energy_kwh": round(record.energy_kwh or 0.0, 3),
        "peak_power_w": record.power_w,
        "tag": tag,
        "vehicle_soc": record.vehicle_soc,
        "stop_reason": record.stop_reason,
        # The device's own record covers the whole session.
        "partial": False,
        **names,
        "device_key": key,
        "parent_key": parent_key,
    }


def totals(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Energy, duration and number of ``items``."""
    listed = list(items)
    return {
        "energy_kwh": round(sum(item["energy_kwh"] or 0.0 for item in listed), 3),
        "duration_s": sum(item["duration_s"] or 0 for item in listed),
        "count": len(listed),
    }


def group_key(item: Mapping[str, Any], group_by: str, time_zone: tzinfo, now: datetime) -> str:
    """The group of ``item``: its tag, its device's key, or its local day or month.

    A session without start and end falls on ``now``'s day.
    """
    if group_by == "tag":
        return str(item["tag"] or "")
    if group_by == "connector":
        return str(item["device_key"])
    moment = parse_time(item["start"] or item["end"]) or now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(time_zone).strftime("%Y-%m-%d" if group_by == "day" else "%Y-%m")


def sessions_answer(
    history: Iterable[Mapping[str, Any]],
    *,
    device_keys: Collection[str] | None,
    tags: Collection[str] | None,
    group_by: str | None,
    time_zone: tzinfo,
    now: datetime,
) -> dict[str, Any]:
    """The answer of ``get_sessions``: the sessions in order, their totals and groups.

    Only those of ``device_keys`` (a device and the devices below it) and of their
    connectors, if keys; only those whose (shown) tag is one of ``tags``, if any. Groups
    by connector are its device key, labelled once with its current name: a renamed
    device or another language keeps its group.
    """
    sessions = list(history)
    if device_keys is not None:
        sessions = [
            item
            for item in sessions
            if item["device_key"] in device_keys or item["parent_key"] in device_keys
        ]
    if tags is not None:
        wanted = {normalised(tag) for tag in tags}
        sessions = [item for item in sessions if item["tag"] and normalised(item["tag"]) in wanted]
    sessions.sort(key=lambda item: item["start"] or item["end"] or "")
    public = [
        {key: value for key, value in item.items() if key not in ("device_key", "parent_key")}
        for item in sessions
    ]
    answer: dict[str, Any] = {"sessions": public, "totals": totals(public)}
    if group_by:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        labels: dict[str, str] = {}
        for item, shown in zip(sessions, public, strict=True):
            key = group_key(item, group_by, time_zone, now)
            groups[key].append(shown)
            # The newest session's names are the device's current ones.
            labels[key] = connector_label(item) if group_by == "connector" else key
        answer["groups"] = sorted(
            ({"group": labels[key], **totals(items)} for key, items in groups.items()),
            key=lambda group: group["group"],
        )
    return answer


def connector_label(item: Mapping[str, Any]) -> str:
    """The connector as the user knows it, once: its name already names its station."""
    station, connector = item["station"], item["connector"]
    if connector and station and not str(connector).startswith(str(station)):
        return f"{station} {connector}"
    return str(connector or station or "")


def with_own_records(
    device_items: Iterable[dict[str, Any]], completed: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The device's records (``device_history_item``), ours in place of those we completed.

    A session has one record: the one its ``completed`` event carried, built once from
    the device's final record and what the polls saw (its peak power, say). Ours matches
    by device, session id and a start within ``SAME_START_TOLERANCE`` (a device whose
    records were reset counts its ids anew). The names are the device item's: current.
    """
    ours: dict[tuple[Any, Any], Mapping[str, Any]] = {
        (item.get("device_key"), item.get("session_id")): item
        for item in completed
        if item.get("session_id") is not None
    }
    merged = []
    for item in device_items:
        own = ours.get((item["device_key"], item["session_id"]))
        if own is not None and _same_start(own, item):
            names = {key: item[key] for key in ("device_id", "station", "connector")}
            merged.append({**own, **names})
        else:
            merged.append(item)
    return merged


def _same_start(one: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    first, second = parse_time(one.get("start")), parse_time(other.get("start"))
    return first is None or second is None or abs(first - second) <= SAME_START_TOLERANCE
