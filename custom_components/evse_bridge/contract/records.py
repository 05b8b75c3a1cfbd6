"""A charging session as a device reports it: plain data, no Home Assistant.

Vendors fill these in; the session core (``sessions/core.py``) compares them
across polls. Kept apart from ``site.py`` so the session core imports nothing
from Home Assistant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Final


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRecord:
    """A charging session as one connector (or single-point controller) reports it.

    Vendor-neutral: a vendor's ``record_fn`` (see ``contract.sessions.session_event``) fills
    in what its device says; ``None`` is "not reported". The generic side
    (``sessions/``) detects start and end across polls and takes the energy of
    the last record it saw, or of the device's own record of the finished session.
    """

    #: The device's own id of the session (a transaction id), where it has one.
    id: str | None = None
    start: datetime | None = None
    energy_kwh: float | None = None
    power_w: float | None = None
    duration_s: float | None = None
    #: The RFID/NFC tag that authorized it: personal data, never logged.
    tag: str | None = field(default=None, repr=False)
    vehicle_soc: float | None = None
    stop_reason: str | None = None
    #: The device's record says the session is over; its values are final.
    ended: bool = False
    end: datetime | None = None


class SessionUnknown(Enum):
    """A poll that tells nothing about the session (a station offline, a state unread)."""

    UNKNOWN = "unknown"


#: What a ``record_fn`` returns when this poll cannot say whether a session runs.
SESSION_UNKNOWN: Final = SessionUnknown.UNKNOWN
