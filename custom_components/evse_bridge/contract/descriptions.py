"""Entity descriptions the vendors fill in and the platforms turn into entities.

A vendor module lists instances of these classes; each platform picks the ones
of its own class. ``device_kind`` says which of a site's devices the entity
belongs to (``controller``, ``station``, ``zone``, ...); ``exists_fn`` decides
from the first data seen whether the device has it at all (a key an older
firmware does not send creates no entity). The callables receive the device's
parsed ``data`` and, for commands, the vendor's ``Site``.

Each class is generic in the device data its callables read (``D``) and, for
commands, the site they act on (``S``): a vendor writes
``EvseBridgeSensorEntityDescription[LegacyState](value_fn=lambda state: ...)`` and
mypy checks the lambda against ``LegacyState``. Unparametrised, both are ``Any``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.button import ButtonEntityDescription
from homeassistant.components.event import EventEntityDescription
from homeassistant.components.number import NumberEntityDescription
from homeassistant.components.sensor import SensorEntityDescription
from homeassistant.components.switch import SwitchEntityDescription
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.typing import StateType

from .limits import LimitControl
from .site import DeviceData


def _always(_: object) -> bool:
    return True


@dataclass(frozen=True, kw_only=True)
class EvseBridgeEntityDescription[D = Any](EntityDescription):
    """What every EVSE Bridge description has: the device kind it attaches to."""

    device_kind: str
    exists_fn: Callable[[D], bool] = _always
    #: Whether the entity is available with the device's current data (a control that
    #: acts on a running session exists always, usable only while one runs).
    available_fn: Callable[[D], bool] = _always


@dataclass(frozen=True, kw_only=True)
class EvseBridgeSensorEntityDescription[D = Any](
    SensorEntityDescription, EvseBridgeEntityDescription[D]
):
    """A sensor: its value and optional extra attributes."""

    value_fn: Callable[[D], StateType | datetime]
    attributes_fn: Callable[[D], Mapping[str, Any] | None] | None = None


@dataclass(frozen=True, kw_only=True)
class EvseBridgeBinarySensorEntityDescription[D = Any](
    BinarySensorEntityDescription, EvseBridgeEntityDescription[D]
):
    """A binary sensor: on, off, or None for unknown."""

    is_on_fn: Callable[[D], bool | None]
    attributes_fn: Callable[[D], Mapping[str, Any] | None] | None = None


@dataclass(frozen=True, kw_only=True)
class EvseBridgeSwitchEntityDescription[D = Any, S = Any](
    SwitchEntityDescription, EvseBridgeEntityDescription[D]
):
    """A switch whose state the device reports and a command sets."""

    is_on_fn: Callable[[D], bool | None]
    set_fn: Callable[[S, DeviceData, bool], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class EvseBridgeNumberEntityDescription[D = Any, S = Any](
    NumberEntityDescription, EvseBridgeEntityDescription[D]
):
    """A number written with a command; its bounds may depend on the device.

    Its unit is the description's, for the entity's lifetime: an automation's value
    never changes meaning.
    """

    value_fn: Callable[[D], float | None]
    set_fn: Callable[[S, DeviceData, float], Awaitable[None]]
    min_fn: Callable[[D], float] | None = None
    max_fn: Callable[[D], float] | None = None
    attributes_fn: Callable[[D], Mapping[str, Any] | None] | None = None
    #: Set when the number is a limit the site power budget may write.
    limit_control: LimitControl[D] | None = None


@dataclass(frozen=True, kw_only=True)
class EvseBridgeButtonEntityDescription[D = Any, S = Any](
    ButtonEntityDescription, EvseBridgeEntityDescription[D]
):
    """A button that sends one command."""

    press_fn: Callable[[S, DeviceData], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class EvseBridgeEventEntityDescription[D = Any](
    EventEntityDescription, EvseBridgeEntityDescription[D]
):
    """An event entity fired by the site through ``fire_device_event``."""
