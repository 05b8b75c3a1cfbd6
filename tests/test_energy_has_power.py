"""Every device kind with an energy sensor also has the matching power sensor."""

from __future__ import annotations

from homeassistant.components.sensor import SensorDeviceClass
import pytest

from custom_components.evse_bridge.contract.descriptions import (
    EvseBridgeSensorEntityDescription,
)
from custom_components.evse_bridge.contract.vendor import Vendor
from custom_components.evse_bridge.vendors import VENDORS


@pytest.mark.parametrize("vendor", VENDORS.values(), ids=lambda vendor: vendor.key)
def test_energy_sensors_come_with_power(vendor: Vendor) -> None:
    kinds: dict[str, set[SensorDeviceClass | None]] = {}
    for description in vendor.descriptions:
        if isinstance(description, EvseBridgeSensorEntityDescription):
            kinds.setdefault(description.device_kind, set()).add(description.device_class)
    with_energy = {kind for kind, classes in kinds.items() if SensorDeviceClass.ENERGY in classes}
    assert with_energy
    for kind in with_energy:
        assert SensorDeviceClass.POWER in kinds[kind], (vendor.key, kind)


@pytest.mark.parametrize("vendor", VENDORS.values(), ids=lambda vendor: vendor.key)
def test_enabled_energy_sensors_come_with_enabled_power(vendor: Vendor) -> None:
    """An energy sensor enabled by default has a power sensor enabled by default beside it."""
    enabled: dict[str, set[SensorDeviceClass | None]] = {}
    for description in vendor.descriptions:
        if (
            isinstance(description, EvseBridgeSensorEntityDescription)
            and description.entity_registry_enabled_default
        ):
            enabled.setdefault(description.device_kind, set()).add(description.device_class)
    for kind, classes in enabled.items():
        if SensorDeviceClass.ENERGY in classes:
            assert SensorDeviceClass.POWER in classes, (vendor.key, kind)
