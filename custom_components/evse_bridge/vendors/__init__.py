"""The vendors EVSE Bridge supports, by key (the config flow's menu, in this order)."""

from __future__ import annotations

from ..contract.vendor import (
    Vendor,
)
from .bender_legacy import BENDER_LEGACY
from .bender_v1 import BENDER_V1
from .kempower_chargeye import KEMPOWER_CHARGEYE
from .schneider_evce import SCHNEIDER_EVCE

VENDORS: dict[str, Vendor] = {
    vendor.key: vendor for vendor in (BENDER_LEGACY, BENDER_V1, SCHNEIDER_EVCE, KEMPOWER_CHARGEYE)
}
