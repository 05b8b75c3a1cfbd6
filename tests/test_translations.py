"""Every vendor's names, states, fields, actions and errors are translated in both languages."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant import data_entry_flow
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
import pytest
import yaml

from custom_components.evse_bridge import platform_of
from custom_components.evse_bridge.budget.action import SERVICE_BOOST
from custom_components.evse_bridge.contract.commands import LastCommandSensorDescription
from custom_components.evse_bridge.contract.descriptions import EvseBridgeButtonEntityDescription
from custom_components.evse_bridge.contract.vendor import Vendor
from custom_components.evse_bridge.sessions.action import SERVICE_GET_SESSIONS
from custom_components.evse_bridge.vendors import VENDORS

COMPONENT = Path(__file__).parents[1] / "custom_components" / "evse_bridge"
LANGUAGES = ["en", "de"]


def _load(language: str) -> dict[str, Any]:
    return json.loads((COMPONENT / "translations" / f"{language}.json").read_text("utf-8"))


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        keys |= _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return keys


def test_languages_have_the_same_keys() -> None:
    assert _keys(_load("en")) == _keys(_load("de"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("vendor", VENDORS.values(), ids=list(VENDORS))
def test_vendor_translated(language: str, vendor: Vendor) -> None:
    strings = _load(language)
    assert strings["config"]["step"]["user"]["menu_options"][vendor.key]
    step = strings["config"]["step"][vendor.key]
    for field, validator in vendor.user_schema({}).schema.items():
        if isinstance(validator, data_entry_flow.section):
            section = step["sections"][str(field)]
            assert section["name"]
            for inner in validator.schema.schema:
                assert section["data"][str(inner)], inner
                assert section["data_description"][str(inner)], inner
            continue
        assert step["data"][str(field)], field
        assert step["data_description"][str(field)], field
    for description in vendor.descriptions:
        if description.translation_key is None:
            # Named by its device class ("Restart"), translated by Home Assistant.
            assert description.device_class is not None, description.key  # type: ignore[attr-defined]
            continue
        platform = platform_of(description)
        entity = strings["entity"][platform][description.translation_key]
        assert entity["name"]
        if getattr(description, "device_class", None) is SensorDeviceClass.ENUM:
            options = getattr(description, "options", None) or []
            assert set(options) <= set(entity["state"]), description.key


@pytest.mark.parametrize("vendor", VENDORS.values(), ids=list(VENDORS))
def test_every_device_with_buttons_shows_the_answer(vendor: Vendor) -> None:
    """A button's command is refused with an error; accepted, it shows on "Last command"."""
    with_buttons = {
        description.device_kind
        for description in vendor.descriptions
        if isinstance(description, EvseBridgeButtonEntityDescription)
    }
    with_feedback = {
        description.device_kind
        for description in vendor.descriptions
        if isinstance(description, LastCommandSensorDescription)
    }
    assert with_buttons == with_feedback


#: States Home Assistant gives an entity it cannot read (and templates' spelling of no value):
#: an option spelt like one would read as a lost connection in the UI, logbook and history.
RESERVED_STATES = {STATE_UNAVAILABLE, STATE_UNKNOWN, "none", ""}


@pytest.mark.parametrize("vendor", VENDORS.values(), ids=list(VENDORS))
def test_no_enum_option_is_a_reserved_state(vendor: Vendor) -> None:
    enums = [
        description
        for description in vendor.descriptions
        if getattr(description, "device_class", None) is SensorDeviceClass.ENUM
    ]
    assert enums
    for description in enums:
        options = {str(option).lower() for option in getattr(description, "options", None) or []}
        assert not options & RESERVED_STATES, description.key
    for language in LANGUAGES:
        for platform in _load(language)["entity"].values():
            for key, entity in platform.items():
                assert not set(entity.get("state", {})) & RESERVED_STATES, (language, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_actions_translated_and_iconed(language: str) -> None:
    strings = _load(language)["services"]
    icons = json.loads((COMPONENT / "icons.json").read_text("utf-8"))["services"]
    actions = yaml.safe_load((COMPONENT / "services.yaml").read_text("utf-8"))
    offered = {service.name for vendor in VENDORS.values() for service in vendor.services}
    offered.add(SERVICE_GET_SESSIONS)  # every vendor's, registered by sessions.py
    offered.add(SERVICE_BOOST)  # the site power budget's
    assert set(actions) == offered
    for name, action in actions.items():
        assert strings[name]["name"]
        assert strings[name]["description"]
        assert icons[name]["service"].startswith("mdi:")
        for field in action.get("fields", {}):
            assert strings[name]["fields"][field]["name"], (name, field)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_key_in_the_code_exists(language: str) -> None:
    strings = _load(language)
    known = set(strings["exceptions"]) | set(strings.get("issues", {}))
    for platform in strings["entity"].values():
        known |= set(platform)
    known |= set(strings["selector"]) | set(strings.get("device", {}))
    for path in COMPONENT.rglob("*.py"):
        for key in re.findall(r'translation_key="([a-z0-9_]+)"', path.read_text("utf-8")):
            assert key in known, (path.name, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_keys_are_valid_translation_keys(language: str) -> None:
    """Home Assistant (hassfest) accepts only lower-case keys without doubled separators."""
    valid = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
    for key in _keys(_load(language)):
        for part in key.split("."):
            assert valid.match(part), key


def test_german_entity_names_fit_the_ui() -> None:
    """German names are longer than English ones; past about 20 characters the UI cuts them."""
    for platform, entities in _load("de")["entity"].items():
        for key, entity in entities.items():
            shown = re.sub(r"\{[a-z_]+\}", "1", entity.get("name", ""))
            assert len(shown) <= 20, (platform, key, shown)


@pytest.mark.parametrize("language", LANGUAGES)
def test_vendor_menu_title_leaves_room_for_the_help_icon(language: str) -> None:
    assert len(_load(language)["config"]["step"]["user"]["title"]) <= 20
