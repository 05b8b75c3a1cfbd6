"""What a vendor declares a device can be limited to: the site power budget writes it.

A number description with a ``limit_control`` is a limit the budget may set. The
budget never branches on the vendor: it reads from this declaration the unit, the
device's minimum and maximum, the limit in force and the power drawn, and writes
through the number's own ``set_fn`` and write target, so that a budget write and a
user's write to the same number are coalesced together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class LimitUnit(StrEnum):
    """The unit a limit is written in."""

    #: Amperes per phase.
    AMPERE = "ampere"
    KILOWATT = "kilowatt"


def _unchanged(_: Any, limit: float) -> float:
    return limit


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitControl[D = Any]:
    """How the budget limits one device (its number description says how to write)."""

    unit_fn: Callable[[D], LimitUnit]
    #: The least the device charges at (6 A per IEC 61851): below it, it is paused (0).
    minimum_fn: Callable[[D], float]
    maximum_fn: Callable[[D], float]
    #: The power the device draws now, in W; None when it does not say.
    power_fn: Callable[[D], float | None]
    #: The number's value that sets ``limit`` (an EVCE zone is written a reduction).
    setting_fn: Callable[[D, float], float] = _unchanged
    #: One limit for several stations that the device shares among them (an EVCE zone):
    #: the budget writes it once and the device distributes.
    group: bool = False
    #: The devices (keys in the same entry) that share this limit, where the vendor says
    #: which (a ChargEye power group's stations). Where the budget manages every one of
    #: them (itself or a device below it), it writes this limit once instead of theirs.
    members_fn: Callable[[D], frozenset[str]] | None = None
    #: The sessions the device shares its limit among (an EVCE zone's): in equal shares it
    #: gets one connector's share per session. None: one.
    shares_fn: Callable[[D], int] | None = None
    #: False where the device takes no limit below its minimum (a setting's range starts
    #: there): it is never paused, its minimum is always reserved.
    pausable_fn: Callable[[D], bool] = lambda _: True
    #: The smallest change the device takes: a limit is rounded down to it.
    step_fn: Callable[[D], float] = lambda _: 0.1
    #: Writes per hour the device itself stands (settings kept in flash): an increase is
    #: not written once this many limits were written within the hour, whatever the
    #: budget's own allowance. None: only the budget's. Decreases are always written.
    writes_per_hour: int | None = None
