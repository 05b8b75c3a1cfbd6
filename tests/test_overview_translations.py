"""The site overview's sensors, problem attributes and repair issues read in both languages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.evse_bridge.contract.overview import (
    ChargePointProblemDescription,
    ChargePointStatus,
    site_summary_sensors,
)
from custom_components.evse_bridge.contract.vendor import Vendor
from custom_components.evse_bridge.vendors import VENDORS

COMPONENT = Path(__file__).parents[1] / "custom_components" / "evse_bridge"


def _load(language: str) -> dict[str, Any]:
    return json.loads((COMPONENT / "translations" / f"{language}.json").read_text("utf-8"))


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("vendor", VENDORS.values(), ids=list(VENDORS))
def test_problem_sensor_status_translated(language: str, vendor: Vendor) -> None:
    binary_sensors = _load(language)["entity"]["binary_sensor"]
    problems = [
        description
        for description in vendor.descriptions
        if isinstance(description, ChargePointProblemDescription)
    ]
    assert problems
    for description in problems:
        assert description.translation_key is not None
        attributes = binary_sensors[description.translation_key]["state_attributes"]
        status = attributes["status"]
        assert status["name"]
        assert set(status["state"]) == {member.value for member in ChargePointStatus}


@pytest.mark.parametrize("language", ["en", "de"])
def test_summary_sensors_translated(language: str) -> None:
    sensors = _load(language)["entity"]["sensor"]
    for description in site_summary_sensors("hub"):
        assert description.translation_key is not None
        assert sensors[description.translation_key]["name"]
