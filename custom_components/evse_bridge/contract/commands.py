"""Feedback for commands sent from buttons: what the device answered, on its "Last command".

A refused or unanswered command also raises a translated error where it was
pressed; an accepted one shows only here (and in the logbook, as a state change),
so the user sees that the device took it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import EntityCategory

from ..api import (
    EvseCommandRejectedError,
    EvseCommandTimeoutError,
)
from .descriptions import (
    EvseBridgeSensorEntityDescription,
)

LAST_COMMAND_KEY: Final = "last_command"


class CommandOutcome(StrEnum):
    """What became of a command."""

    ACCEPTED = "accepted"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The last command sent to a device from a button."""

    #: The button's name, as the user knows it ("Restart").
    command: str
    outcome: CommandOutcome
    at: datetime


def outcome_of(error: BaseException | None) -> CommandOutcome:
    """The outcome of a command that raised ``error`` (the client's error behind it)."""
    if isinstance(error, EvseCommandRejectedError):
        return CommandOutcome.REFUSED
    if isinstance(error, EvseCommandTimeoutError):
        return CommandOutcome.NO_ANSWER
    return CommandOutcome.FAILED


def _no_value(_: Any) -> None:
    return None


@dataclass(frozen=True, kw_only=True)
class LastCommandSensorDescription(EvseBridgeSensorEntityDescription):
    """The device's answer to the last command sent from one of its buttons."""

    value_fn: Callable[[Any], None] = _no_value


def last_command_sensor(
    device_kind: str, *, enabled_default: bool = True
) -> LastCommandSensorDescription:
    """The "Last command" sensor of every device of ``device_kind`` that has buttons."""
    return LastCommandSensorDescription(
        key=LAST_COMMAND_KEY,
        translation_key=LAST_COMMAND_KEY,
        device_kind=device_kind,
        device_class=SensorDeviceClass.ENUM,
        options=[outcome.value for outcome in CommandOutcome],
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=enabled_default,
    )
