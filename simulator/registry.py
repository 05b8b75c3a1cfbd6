"""Which simulated device kinds exist, imported only when used."""

from __future__ import annotations

import importlib

from .clock import SimClock
from .device import SimDevice

#: kind -> "module:class". A new vendor adds one line here.
DEVICE_TYPES: dict[str, str] = {
    "bender_legacy": "simulator.bender_legacy:LegacyDevice",
    "bender_v1": "simulator.bender_v1:BenderV1Device",
    "schneider_evce": "simulator.schneider_evce:EvceDevice",
    "kempower_chargeye": "simulator.kempower_chargeye:ChargEyeDevice",
}


def create_device(kind: str, clock: SimClock, options: dict[str, str]) -> SimDevice:
    """Build a device of ``kind`` from command-line style string options."""
    module_name, _, class_name = DEVICE_TYPES[kind].partition(":")
    device_class: type[SimDevice] = getattr(importlib.import_module(module_name), class_name)
    return device_class.from_options(clock, options)
