"""The ``get_sessions`` action: the entry's completed sessions, filtered, totalled, grouped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.core import (
    ServiceResponse,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from ..const import DOMAIN
from .core import KEEP
from .history import GROUP_BY, sessions_answer
from .tracker import SessionTracker

SERVICE_GET_SESSIONS: Final = "get_sessions"
ATTR_FROM: Final = "from"
ATTR_TO: Final = "to"
ATTR_TAG: Final = "tag"
ATTR_GROUP_BY: Final = "group_by"


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
    """The answer of ``get_sessions`` for an entry's ``tracker`` (one device's, if a key).

    A device's answer covers the devices below it: a hub's or an account's every charge point.
    """
    now = dt_util.utcnow()
    end = dt_util.as_utc(data[ATTR_TO]) if ATTR_TO in data else now
    start = dt_util.as_utc(data[ATTR_FROM]) if ATTR_FROM in data else end - KEEP
    if start >= end:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="invalid_period")
    tag = data.get(ATTR_TAG)
    return sessions_answer(
        await tracker.async_history(start, end),
        device_keys=None if device_key is None else tracker.descendants(device_key),
        tags={tag.strip(), tracker.pseudonym(tag)} if tag else None,
        group_by=data.get(ATTR_GROUP_BY),
        time_zone=dt_util.get_default_time_zone(),
        now=now,
    )
