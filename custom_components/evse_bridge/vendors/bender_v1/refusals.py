"""Bender v1: the controller's refusal of a whitelist or settings command, as the user reads it.

Only a refusal is turned into an error here, with a message of its own that names
the controller and passes the controller's cause on; every other failure of the
command reaches ``contract.errors.translate_client_errors``, which the action layer
and the number entity wrap around every command.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ...api import EvseCommandRejectedError
from ...api.bender_v1 import scrub_tags
from ...contract.errors import refusal
from ...contract.site import DeviceData
from ...contract.vendor import EntryContext


def controller_name(context: EntryContext, device: DeviceData | None) -> str:
    """The controller as the user knows it (its device name), also for an entry target."""
    if device is None:
        device = next(iter(context.devices.values()))
    return device.identity.name or context.entry.title


@contextmanager
def refused(key: str, controller: str, tag_ids: Iterable[str] = ()) -> Iterator[None]:
    """Turn the controller's refusal into the translated refusal ``key`` naming the controller.

    The controller's cause may quote a tag id: every id of the request is replaced.
    """
    try:
        yield
    except EvseCommandRejectedError as err:
        raise refusal(
            key, controller=controller, cause=scrub_tags(str(err), tag_ids) or "-"
        ) from err
