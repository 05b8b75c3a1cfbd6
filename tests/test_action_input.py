"""Input at the boundary: every action field is bounded, and ``services.yaml`` says so.

Hostile values (100 000 characters, 1e30, inf, nan, path traversal) are refused by the
action's schema, before anything reaches a device: the simulators count every request.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
import voluptuous as vol

from custom_components.evse_bridge.contract.fields import bounded_object
from custom_components.evse_bridge.vendors import VENDORS
from simulator import schneider_evce

from .conftest import SimServer
from .test_permissions import ACTION_DATA, _actions_of, _call, _target, loaded  # noqa: F401

SERVICES_YAML = Path(__file__).parents[1] / "custom_components/evse_bridge/services.yaml"
TARGETS = frozenset({"device_id", "config_entry_id"})

LONG = "x" * 100_000
#: Each action's name and field names as its form shows them.
SERVICE_NAMES = json.loads(
    (SERVICES_YAML.parent / "translations" / "en.json").read_text(encoding="utf-8")
)["services"]
TRAVERSAL = "../chargingStations/X/reset?"


def _fields() -> dict[str, dict[str, Any]]:
    """Each vendor action's schema by field name (one schema per action: services.py)."""
    found: dict[str, dict[str, Any]] = {}
    for vendor in VENDORS.values():
        for service in vendor.services:
            found[service.name] = {str(marker): value for marker, value in service.fields.items()}
    return found


def _validators(validator: Any) -> Iterator[Any]:
    """``validator`` and every validator it is made of."""
    yield validator
    for inner in getattr(validator, "validators", ()):
        yield from _validators(inner)


def _bound(validator: Any, kind: type[vol.Range] | type[vol.Length]) -> tuple[Any, Any] | None:
    for item in _validators(validator):
        if isinstance(item, kind):
            return item.min, item.max
    return None


def test_services_yaml_states_what_the_schemas_enforce() -> None:
    """A number selector's min/max is the schema's range; every text field is bounded."""
    described = load_yaml_dict(str(SERVICES_YAML))
    schemas = _fields()
    checked = 0
    for action, fields in schemas.items():
        yaml_fields = {
            name: spec for name, spec in described[action]["fields"].items() if name not in TARGETS
        }
        assert set(yaml_fields) == set(fields), action
        for name, spec in yaml_fields.items():
            (kind, config), *_ = spec["selector"].items()
            validator = fields[name]
            if kind == "number":
                assert _bound(validator, vol.Range) == (config["min"], config["max"]), (
                    action,
                    name,
                )
                checked += 1
            elif kind == "text":
                # A text selector states no length: the schema bounds it all the same.
                with pytest.raises(vol.Invalid):
                    validator([LONG] if (config or {}).get("multiple") else LONG)
                checked += 1
            elif kind == "object":
                with pytest.raises(vol.Invalid):
                    validator({"key": LONG})
                checked += 1
    assert checked >= 25


#: Per action, the fields given hostile values, and the values (each refused).
NUMBERS = (1e30, float("inf"), float("nan"), "inf", "nan", -1)
HOSTILE: dict[str, dict[str, tuple[Any, ...]]] = {
    "start_pairing": {"name": (LONG,)},
    "add_whitelist_tag": {"id": (LONG, "a b", ""), "name": (LONG,), "number": NUMBERS},
    "edit_whitelist_tag": {"id": (LONG,), "user_id": (LONG,)},
    "delete_whitelist_tags": {"ids": ([LONG], ["0A"] * 101, [])},
    "get_settings": {"params": ([LONG], [TRAVERSAL], ["A"] * 1001)},
    "set_settings": {
        "settings": (
            {"OcppServerUrl_ocpp": LONG},
            {LONG: 1},
            {"OperatorCurrentLimit_lm": float("inf")},
            {"OperatorCurrentLimit_lm": 1e30},
            {"OperatorCurrentLimit_lm": [1]},
        )
    },
    "start_transaction": {"id_token": (LONG, "a b")},
    "stop_transaction": {"transaction_id": (LONG, TRAVERSAL, "..", "a/b", "a?b")},
    "set_power_limit": {
        "limit": NUMBERS,
        "comment": (LONG,),
        "condition": (LONG,),
        "charging_profile_id": (*NUMBERS, 2**31),
        "relative_delay": (*NUMBERS, 86_401, 1.5),
        "stack_level": (*NUMBERS, 10_001),
    },
    "change_availability": {"reason": (LONG,)},
    "set_charging_profile": {"profile": ({"id": LONG}, {"id": float("nan")})},
    "clear_charging_profile": {"charging_profile_id": (*NUMBERS, 2**31)},
    "remote_start": {"connector": (*NUMBERS, 17, 0), "id_tag": (LONG, "a b")},
    "remote_stop": {"connector": NUMBERS, "transaction_id": (*NUMBERS, 2**31, TRAVERSAL)},
    "set_zone_reduction": {
        "value": NUMBERS,
        "duration": ({"hours": 1e30}, "99999999999:00:00", {"days": 8}),
    },
}


def test_every_bounded_field_has_hostile_values() -> None:
    """Every action with a free field is in the table above."""
    free = {action for action, fields in _fields().items() if fields}
    bounded_only = {"restart_station", "clear_power_limit", "reset_station"}
    assert free - bounded_only == set(HOSTILE)


async def test_hostile_input_is_refused_before_the_device(
    hass: HomeAssistant,
    loaded: tuple[str, MockConfigEntry, SimServer],  # noqa: F811
    hass_admin_user: MockUser,
) -> None:
    """Each hostile value, from an administrator: a validation error, no request."""
    vendor_key, entry, sim = loaded
    tried = 0
    for action in _actions_of(vendor_key):
        for name, values in HOSTILE.get(action, {}).items():
            for hostile in values:
                data = {**_target(hass, entry, action), **ACTION_DATA[action], name: hostile}
                before = sim.requests()
                refused = await _call(hass, action, data, hass_admin_user.id)
                assert isinstance(refused, ServiceValidationError), (action, name, refused)
                assert (refused.translation_key or "").startswith("field_"), (action, name)
                # The form's words, not voluptuous's ("... @ data['id_token']").
                form = SERVICE_NAMES[action]
                assert str(refused).startswith(f"{form['name']}: {form['fields'][name]['name']} ")
                assert "data[" not in str(refused)
                assert sim.requests() == before, f"{action} {name} reached the device"
                tried += 1
    assert tried >= 20


@pytest.mark.parametrize("loaded", ["schneider_evce"], indirect=True)
async def test_evce_transaction_of_the_target_only(
    hass: HomeAssistant,
    loaded: tuple[str, MockConfigEntry, SimServer],  # noqa: F811
    hass_admin_user: MockUser,
) -> None:
    """``remote_stop`` with an id the target's connectors were not seen with is refused."""
    _, entry, sim = loaded
    data = {**_target(hass, entry, "remote_stop"), "transaction_id": 987_654}
    before = sim.requests()
    refused = await _call(hass, "remote_stop", data, hass_admin_user.id)
    assert isinstance(refused, ServiceValidationError)
    assert refused.translation_key == "evce_unknown_transaction"
    assert sim.requests() == before
    assert isinstance(sim.device, schneider_evce.EvceDevice)


def test_bounded_object_refuses_what_is_no_json() -> None:
    validate = bounded_object(100)
    assert validate({"id": 1}) == {"id": 1}
    for value in ([1], {"a": object()}, {"a": float("inf")}, {"a": "x" * 100}):
        with pytest.raises(vol.Invalid):
            validate(value)


#: One bad value of each kind, and the error the user reads (the form's names, no voluptuous).
FIELD_ERRORS = [
    (
        "kempower_chargeye",
        "start_transaction",
        {"id_token": LONG},
        "Start charging session: ID token must have from 1 to 36 characters",
    ),
    (
        "kempower_chargeye",
        "set_power_limit",
        {"limit": float("inf")},
        "Set limit: Limit must be a finite number",
    ),
    (
        "kempower_chargeye",
        "set_power_limit",
        {"limit": 1e30},
        "Set limit: Limit must be from 0 to 1000",
    ),
    (
        "kempower_chargeye",
        "stop_transaction",
        {"transaction_id": TRAVERSAL},
        "Stop charging session: Transaction ID contains characters it may not have",
    ),
    (
        "kempower_chargeye",
        "set_power_limit",
        {"limit": "eleven"},
        "Set limit: Limit has a value this action does not take",
    ),
    (
        "kempower_chargeye",
        "set_power_limit",
        {"config_entry_id": "not an entry!"},
        "Set limit: Config entry contains characters it may not have",
    ),
    (
        "bender_v1",
        "delete_whitelist_tags",
        {"ids": ["0A"] * 101},
        "Delete whitelist tags: Tag IDs must have from 1 to 100 entries",
    ),
    (
        "bender_v1",
        "delete_whitelist_tags",
        {"ids": [LONG]},
        "Delete whitelist tags: Tag IDs must have from 1 to 36 characters",
    ),
    (
        "bender_v1",
        "add_whitelist_tag",
        {"colour": "red"},
        "Add whitelist tag has no field colour",
    ),
    (
        "schneider_evce",
        "set_zone_reduction",
        {"value": None},
        "Set zone reduction: Reduction has a value this action does not take",
    ),
    (
        "schneider_evce",
        "get_sessions",
        {"tag": "T" * 65},
        "Get sessions: Tag must have from 1 to 64 characters",
    ),
]


@pytest.mark.parametrize(
    ("loaded", "action", "bad", "message"),
    FIELD_ERRORS,
    indirect=["loaded"],
)
async def test_a_refused_field_is_named_as_in_the_form(
    hass: HomeAssistant,
    loaded: tuple[str, MockConfigEntry, SimServer],  # noqa: F811
    hass_admin_user: MockUser,
    action: str,
    bad: dict[str, Any],
    message: str,
) -> None:
    _, entry, sim = loaded
    data = {**_target(hass, entry, action), **ACTION_DATA.get(action, {}), **bad}
    if "config_entry_id" in bad:
        data.pop("device_id", None)
    before = sim.requests()
    refused = await _call(hass, action, data, hass_admin_user.id)
    assert isinstance(refused, ServiceValidationError)
    assert str(refused) == message
    assert sim.requests() == before
