"""What a loaded config entry keeps at ``entry.runtime_data``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .coordinator import EvseBridgeCoordinator
    from .sessions import SessionTracker
    from .site import Site
    from .vendors.base import Vendor
    from .writes import WriteCoalescer


@dataclass(slots=True)
class EvseBridgeRuntimeData:
    """The entry's vendor, site adapter, poller, writer and sessions."""

    vendor: Vendor
    site: Site
    coordinator: EvseBridgeCoordinator
    writes: WriteCoalescer
    sessions: SessionTracker


type EvseBridgeConfigEntry = ConfigEntry[EvseBridgeRuntimeData]
