"""The ``get_sessions`` action: the entry's completed sessions, filtered, totalled, grouped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Final

from homeassistant.core import (
    ServiceResponse,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..const import DOMAIN
from .tracker import KEEP, SessionTracker, _parse

SERVICE_GET_SESSIONS: Final = "get_sessions"
ATTR_FROM: Final = "from"
ATTR_TO: Final = "to"
ATTR_TAG: Final = "tag"
ATTR_GROUP_BY: Final = "group_by"
GROUP_BY: Final = ("tag", "connector", "day", "month")


def _totals(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    listed = list(items)
    return {
        "energy_kwh": round(sum(item["energy_kwh"] or 0.0 for item in listed), 3),
        "duration_s": sum(item["duration_s"] or 0 for item in listed),
        "count": len(listed),
    }


def _group_key(item: dict[str, Any], group_by: str) -> str:
    if group_by == "tag":
        return item["tag"] or ""
    if group_by == "connector":
        return " ".join(part for part in (item["station"], item["connector"]) if part)
    moment = dt_util.as_local(_parse(item["start"] or item["end"]) or dt_util.utcnow())
    return moment.strftime("%Y-%m-%d" if group_by == "day" else "%Y-%m")


#: The action's fields besides its target (``device_id`` / ``config_entry_id``).
GET_SESSIONS_FIELDS: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_FROM): cv.datetime,
    vol.Optional(ATTR_TO): cv.datetime,
    vol.Optional(ATTR_TAG): cv.string,
    vol.Optional(ATTR_GROUP_BY): vol.In(GROUP_BY),
}


async def async_get_sessions(
    tracker: SessionTracker, device_key: str | None, data: Mapping[str, Any]
) -> ServiceResponse:
    """The answer of ``get_sessions`` for an entry's ``tracker`` (one device's, if a key)."""
    call_data = data
    now = dt_util.utcnow()
    end = dt_util.as_utc(call_data[ATTR_TO]) if ATTR_TO in call_data else now
    start = dt_util.as_utc(call_data[ATTR_FROM]) if ATTR_FROM in call_data else end - KEEP
    if start >= end:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="invalid_period")
    sessions = await tracker.async_history(start, end)
    if device_key is not None:
        sessions = [
            item for item in sessions if device_key in (item["device_key"], item["parent_key"])
        ]
    if tag := call_data.get(ATTR_TAG):
        wanted = {tag.strip(), tracker.pseudonym(tag)}
        sessions = [item for item in sessions if item["tag"] in wanted]
    sessions.sort(key=lambda item: item["start"] or item["end"] or "")
    public = [
        {key: value for key, value in item.items() if key not in ("device_key", "parent_key")}
        for item in sessions
    ]
    response: dict[str, Any] = {"sessions": public, "totals": _totals(public)}
    if group_by := call_data.get(ATTR_GROUP_BY):
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in public:
            groups[_group_key(item, group_by)].append(item)
        response["groups"] = [
            {"group": key, **_totals(items)} for key, items in sorted(groups.items())
        ]
    return response
