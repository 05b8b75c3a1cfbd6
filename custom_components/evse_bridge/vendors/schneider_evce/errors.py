"""The hub's refusal of a zone reduction, as an error that names the zone.

Every other client error becomes a translated error through
``contract.errors.translate_client_errors``, which the entities and the action
layer wrap around each command (naming the station and the command as the user
saw them). This one says more: which zone the hub refused to reduce.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ...api import EvseCommandRejectedError
from ...contract.errors import refusal


@contextmanager
def reduction_errors(zone: str) -> Iterator[None]:
    """The hub's refusal of a zone reduction, naming the zone."""
    try:
        yield
    except EvseCommandRejectedError as err:
        raise refusal("evce_reduction_rejected", zone=zone) from err
