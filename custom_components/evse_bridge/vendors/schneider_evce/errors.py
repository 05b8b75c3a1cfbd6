"""The hub's refusals as errors that say which command, or which zone, it refused.

Every other client error (and these too, where a command is sent without them)
becomes a translated error through ``contract.errors.translate_client_errors``,
which the entities and the action layer wrap around each command. These two are
narrower: their messages name the station command or the zone, which the
generic ones cannot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.exceptions import HomeAssistantError

from ...api import EvseCommandRejectedError, EvseCommandTimeoutError
from ...const import DOMAIN


@contextmanager
def station_command_errors(target: str, command: str) -> Iterator[None]:
    """A station command's refusal or lack of answer, naming ``target`` (the device's name)."""
    try:
        yield
    except EvseCommandRejectedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="evce_command_rejected",
            # The client's reason names no internal id and has id tags scrubbed.
            translation_placeholders={"target": target, "command": command, "reason": str(err)},
        ) from err
    except EvseCommandTimeoutError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="evce_command_timeout",
            translation_placeholders={"target": target, "command": command},
        ) from err


@contextmanager
def reduction_errors(zone: str) -> Iterator[None]:
    """The hub's refusal of a zone reduction, naming the zone."""
    try:
        yield
    except EvseCommandRejectedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="evce_reduction_rejected",
            translation_placeholders={"zone": zone},
        ) from err
