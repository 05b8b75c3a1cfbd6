"""Every name, state, error and action of the EVCE vendor is translated in English and German."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
import pytest
import yaml

from custom_components.evse_bridge.contract.descriptions import (
    EvseBridgeBinarySensorEntityDescription,
    EvseBridgeButtonEntityDescription,
    EvseBridgeEventEntityDescription,
    EvseBridgeNumberEntityDescription,
    EvseBridgeSensorEntityDescription,
    EvseBridgeSwitchEntityDescription,
)
from custom_components.evse_bridge.vendors.schneider_evce import SCHNEIDER_EVCE

COMPONENT = Path(__file__).parents[2] / "custom_components" / "evse_bridge"
VENDOR_PACKAGE = COMPONENT / "vendors" / "schneider_evce"
PLATFORMS = {
    EvseBridgeBinarySensorEntityDescription: "binary_sensor",
    EvseBridgeSensorEntityDescription: "sensor",
    EvseBridgeSwitchEntityDescription: "switch",
    EvseBridgeNumberEntityDescription: "number",
    EvseBridgeButtonEntityDescription: "button",
    EvseBridgeEventEntityDescription: "event",
}


def load(language: str) -> dict[str, Any]:
    return json.loads((COMPONENT / "translations" / f"{language}.json").read_text("utf-8"))


@pytest.mark.parametrize("language", ["en", "de"])
def test_vendor_strings(language: str) -> None:
    strings = load(language)
    config = strings["config"]
    step = config["step"]["schneider_evce"]
    for field in ("host", "username", "password", "certificate"):
        assert step["data"][field]
        assert step["data_description"][field]
    assert "{fingerprint}" in config["step"]["confirm_certificate"]["description"]
    assert set(strings["selector"]["evce_certificate"]["options"]) == {
        "pinned",
        "system",
        "insecure",
    }
    for description in SCHNEIDER_EVCE.descriptions:
        if description.translation_key is None:
            continue
        platform = next(value for kind, value in PLATFORMS.items() if isinstance(description, kind))
        entity = strings["entity"][platform][description.translation_key]
        assert entity["name"]
        if getattr(description, "device_class", None) is SensorDeviceClass.ENUM:
            assert set(entity["state"]) >= set(description.options or [])  # type: ignore[attr-defined]
    source = "".join(path.read_text("utf-8") for path in sorted(VENDOR_PACKAGE.glob("*.py")))
    for key in set(re.findall(r'translation_key="(evce_[a-z_]+)"', source)):
        found = (
            key in strings["exceptions"]
            or key in config["error"]
            or any(key in platform for platform in strings["entity"].values())
            or key in strings["selector"]
        )
        assert found, key
    for key in ("evce_certificate_untrusted", "evce_no_permission"):
        assert config["error"][key]
    for key in ("command_timeout", "certificate_changed"):
        assert strings["exceptions"][key]["message"]
    issue = strings["issues"]["certificate_changed"]
    assert "{received}" in issue["description"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_actions(language: str) -> None:
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text("utf-8"))
    strings = load(language)["services"]
    for service in SCHNEIDER_EVCE.services:
        assert strings[service.name]["name"]
        assert set(strings[service.name]["fields"]) == set(services[service.name]["fields"])
        assert {str(field) for field in service.fields} <= set(services[service.name]["fields"])
