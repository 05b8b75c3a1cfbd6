"""What a loaded config entry keeps at ``entry.runtime_data``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .coordinator import EvseBridgeCoordinator
    from .site import Site
    from .vendors.base import Vendor
    from .writes import WriteCoalescer


@dataclass(slots=True)
class EvseBridgeRuntimeData:
    """The entry's vendor, its site adapter, the coordinator that polls it, its writer."""

    vendor: Vendor
    site: Site
    coordinator: EvseBridgeCoordinator
    writes: WriteCoalescer


type EvseBridgeConfigEntry = ConfigEntry[EvseBridgeRuntimeData]
