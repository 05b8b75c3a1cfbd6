"""Who may call the actions: administrators, users who may control the target, nobody else.

Each vendor's entry runs against its simulator; every registered action is called by a
read-only user, a normal user and an administrator, each with a ``Context`` of their own.
A refused call must reach no device: the simulators count every request they receive.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any
from unittest.mock import patch

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
import voluptuous as vol

from custom_components.evse_bridge import services
from custom_components.evse_bridge.api.bender_v1 import BenderV1Client
from custom_components.evse_bridge.budget.action import SERVICE_BOOST
from custom_components.evse_bridge.const import CONF_VENDOR, DOMAIN
from custom_components.evse_bridge.contract.vendor import Permission
from custom_components.evse_bridge.sessions.action import SERVICE_GET_SESSIONS
from custom_components.evse_bridge.vendors import VENDORS
from simulator import bender_v1, kempower_chargeye, schneider_evce
from simulator.clock import SimClock

from .conftest import SimServer, StartSimulator

#: Who may call what (issue "Who may act"): everything else is admin-only.
CONTROL_ACTIONS = frozenset(
    {
        "remote_start",
        "remote_stop",
        "start_transaction",
        "stop_transaction",
        "set_power_limit",
        "clear_power_limit",
        "change_availability",
        "set_zone_reduction",
    }
)

#: Data each action's schema accepts (besides the target).
ACTION_DATA: dict[str, dict[str, Any]] = {
    "start_pairing": {},
    "get_whitelist": {},
    "add_whitelist_tag": {"id": "0A1B2C3D"},
    "edit_whitelist_tag": {"id": "0A1B2C3D", "name": "Van"},
    "delete_whitelist_tags": {"ids": ["0A1B2C3D"]},
    "clear_whitelist": {},
    "get_settings": {},
    "set_settings": {"settings": {"OcppServerUrl_ocpp": "wss://elsewhere.example/"}},
    "start_transaction": {},
    "stop_transaction": {},
    "set_power_limit": {"limit": 11},
    "clear_power_limit": {},
    "change_availability": {"operative": True},
    "set_charging_profile": {"profile": {}},
    "clear_charging_profile": {},
    "restart_station": {},
    "remote_start": {},
    "remote_stop": {},
    "reset_station": {},
    "set_zone_reduction": {"value": 10},
    SERVICE_GET_SESSIONS: {},
}


async def _entry_bender_v1(
    hass: HomeAssistant, start: StartSimulator, clock: SimClock
) -> SimServer:
    sim = await start(bender_v1.BenderV1Device(clock))
    MockConfigEntry(
        domain=DOMAIN,
        title="Controller",
        unique_id=bender_v1.SERIAL,
        data={
            CONF_VENDOR: "bender_v1",
            "host": sim.host,
            "username": bender_v1.DEFAULT_USERNAME,
            "password": bender_v1.DEFAULT_PASSWORD,
        },
    ).add_to_hass(hass)
    return sim


async def _entry_schneider_evce(
    hass: HomeAssistant, start: StartSimulator, clock: SimClock
) -> SimServer:
    hub = schneider_evce.EvceDevice(clock)
    sim = await start(hub)
    MockConfigEntry(
        domain=DOMAIN,
        title="EVCE",
        unique_id=schneider_evce.SERIAL,
        data={
            CONF_VENDOR: "schneider_evce",
            "host": sim.host,
            "username": schneider_evce.LOGIN,
            "password": schneider_evce.PASSWORD,
            "certificate": "pinned",
            "fingerprint": hub.certificate.fingerprint,
        },
    ).add_to_hass(hass)
    return sim


async def _entry_kempower_chargeye(
    hass: HomeAssistant, start: StartSimulator, clock: SimClock
) -> SimServer:
    device = kempower_chargeye.ChargEyeDevice(clock, epoch=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    sim = await start(device)
    MockConfigEntry(
        domain=DOMAIN,
        title="Depot",
        unique_id=kempower_chargeye.DEFAULT_ORGANIZATION,
        data={
            CONF_VENDOR: "kempower_chargeye",
            "refresh_token": kempower_chargeye.DEFAULT_REFRESH_TOKEN,
            "server_url": f"{sim.url}/api",
        },
    ).add_to_hass(hass)
    return sim


ENTRIES: dict[str, Callable[[HomeAssistant, StartSimulator, SimClock], Awaitable[SimServer]]] = {
    "bender_v1": _entry_bender_v1,
    "schneider_evce": _entry_schneider_evce,
    "kempower_chargeye": _entry_kempower_chargeye,
}


@pytest.fixture(params=sorted(ENTRIES))
async def loaded(
    request: pytest.FixtureRequest, hass: HomeAssistant, start_simulator: StartSimulator
) -> AsyncGenerator[tuple[str, MockConfigEntry, SimServer]]:
    """One vendor's entry, set up against its simulator; waits run in no time."""

    clock = SimClock(scale=0)

    async def sleep(seconds: float) -> None:
        """Pairing and command follow-ups wait in simulated time."""
        clock.advance(seconds)

    vendor_key: str = request.param
    with patch(
        "custom_components.evse_bridge.vendors.bender_v1.config.BenderV1Client",
        partial(BenderV1Client, sleep=sleep, monotonic=clock.now),
    ):
        sim = await ENTRIES[vendor_key](hass, start_simulator, clock)
        (entry,) = hass.config_entries.async_entries(DOMAIN)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        if vendor_key == "schneider_evce":
            entry.runtime_data.site.client.sleep = sleep
        yield vendor_key, entry, sim


@pytest.fixture
async def normal_user(hass: HomeAssistant, hass_owner_user: MockUser) -> User:
    """A user of the default group ``system-users``: controls every entity, no admin.

    The owner exists first: Home Assistant makes the first user it creates the owner.
    """
    user = await hass.auth.async_create_user("Household", group_ids=["system-users"])
    assert not user.is_admin
    return user


def _target(hass: HomeAssistant, entry: MockConfigEntry, action: str) -> dict[str, str]:
    """A target the action accepts on this entry: a device of a kind it takes, else the entry."""
    services = {service.name: service for service in entry.runtime_data.vendor.services}
    kinds = services[action].device_kinds if action in services else ()
    if not kinds:
        return {"config_entry_id": entry.entry_id}
    runtime = entry.runtime_data
    key = next(
        key for key, device in runtime.coordinator.data.devices.items() if device.kind in kinds
    )
    identifier = runtime.site.registry_identifier(key)
    device = next(
        device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if identifier in device.identifiers
    )
    return {"device_id": device.id}


def _actions_of(vendor_key: str) -> list[str]:
    return [service.name for service in VENDORS[vendor_key].services] + [SERVICE_GET_SESSIONS]


async def _call(
    hass: HomeAssistant, action: str, data: dict[str, Any], user_id: str | None
) -> BaseException | None:
    """Call ``action`` as ``user_id``; the error it raised, if any."""
    try:
        await hass.services.async_call(
            DOMAIN,
            action,
            data,
            blocking=True,
            context=Context(user_id=user_id),
            return_response=action in {"get_whitelist", "get_settings", SERVICE_GET_SESSIONS},
        )
    except (HomeAssistantError, vol.Invalid) as err:
        return err
    return None


async def test_every_action_is_tested(hass: HomeAssistant) -> None:
    """Each registered action has a permission here and test data: none slips through."""
    assert await async_setup_component(hass, DOMAIN, {})
    registered = set(hass.services.async_services()[DOMAIN])
    # The site power budget's boost: who may call it is tested in tests/budget/test_boost.py.
    assert SERVICE_BOOST in registered
    registered.remove(SERVICE_BOOST)
    assert registered == set(ACTION_DATA)
    assert registered == {action for key in ENTRIES for action in _actions_of(key)}
    # What services.py enforces is the table above.
    for vendor in VENDORS.values():
        for service in vendor.services:
            expected = Permission.CONTROL if service.name in CONTROL_ACTIONS else Permission.ADMIN
            assert service.permission is expected, service.name


async def test_who_may_call_each_action(
    hass: HomeAssistant,
    loaded: tuple[str, MockConfigEntry, SimServer],
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
    normal_user: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Read-only: refused; normal user: operational only; administrator: everything."""
    vendor_key, entry, sim = loaded
    registered = set(hass.services.async_services()[DOMAIN])
    for action in _actions_of(vendor_key):
        assert action in registered
        data = {**_target(hass, entry, action), **ACTION_DATA[action]}
        before = sim.requests()
        caplog.clear()
        refused = await _call(hass, action, data, hass_read_only_user.id)
        assert isinstance(refused, Unauthorized), (action, refused)
        assert sim.requests() == before, f"{action} from a read-only user reached the device"
        assert not [r for r in caplog.records if r.name.startswith("custom_components")]

        outcome = await _call(hass, action, data, normal_user.id)
        if action in CONTROL_ACTIONS:
            assert not isinstance(outcome, Unauthorized), (action, outcome)
        else:
            assert isinstance(outcome, Unauthorized), (action, outcome)
            assert sim.requests() == before, f"{action} from a non-admin reached the device"

        outcome = await _call(hass, action, data, hass_admin_user.id)
        assert not isinstance(outcome, Unauthorized), (action, outcome)
        await hass.async_block_till_done()


async def test_unknown_user_and_automation(
    hass: HomeAssistant, loaded: tuple[str, MockConfigEntry, SimServer]
) -> None:
    """A user id nobody has is refused as unknown; a call without a user is allowed."""
    vendor_key, entry, sim = loaded
    for action in (SERVICE_GET_SESSIONS, *sorted(set(_actions_of(vendor_key)) & CONTROL_ACTIONS)):
        data = {**_target(hass, entry, action), **ACTION_DATA[action]}
        before = sim.requests()
        refused = await _call(hass, action, data, "0123456789abcdef0123456789abcdef")
        assert isinstance(refused, UnknownUser), (action, refused)
        assert sim.requests() == before
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_GET_SESSIONS,
        {"config_entry_id": entry.entry_id},
        blocking=True,
        context=Context(),
        return_response=True,
    )
    assert response is not None
    assert response["sessions"] == []


@pytest.mark.parametrize("loaded", ["kempower_chargeye", "schneider_evce"], indirect=True)
async def test_control_requires_every_entity_of_the_target(
    hass: HomeAssistant,
    loaded: tuple[str, MockConfigEntry, SimServer],
) -> None:
    """A user granted control of only some of the target's entities is refused."""
    vendor_key, entry, sim = loaded
    action = next(action for action in _actions_of(vendor_key) if action in CONTROL_ACTIONS)
    data = {**_target(hass, entry, action), **ACTION_DATA[action]}
    user = MockUser().add_to_hass(hass)
    device_id = data.get("device_id")
    entities = (
        er.async_entries_for_device(er.async_get(hass), device_id, include_disabled_entities=True)
        if device_id
        else er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    )
    allowed = entities[0].entity_id
    user.mock_policy({"entities": {"entity_ids": {allowed: True}}})
    before = sim.requests()
    refused = await _call(hass, action, data, user.id)
    assert isinstance(refused, Unauthorized)
    assert sim.requests() == before
    # With every entity of the target, it is allowed.
    user.mock_policy({"entities": {"entity_ids": {entity.entity_id: True for entity in entities}}})
    assert not isinstance(await _call(hass, action, data, user.id), Unauthorized)


@pytest.mark.parametrize(
    "data",
    [
        {"device_id": "d" * 100_000},
        {"config_entry_id": "../other"},
        {"config_entry_id": ""},
        {"config_entry_id": "{entry}", "tag": "T" * 65},
        {"config_entry_id": "{entry}", "tag": ""},
    ],
)
@pytest.mark.parametrize("loaded", ["schneider_evce"], indirect=True)
async def test_targets_and_tag_are_bounded(
    hass: HomeAssistant,
    loaded: tuple[str, MockConfigEntry, SimServer],
    hass_admin_user: MockUser,
    data: dict[str, str],
) -> None:
    """Over-long or malformed ids and tags are refused by the schema, before any look-up."""
    _, entry, sim = loaded
    data = {key: value.format(entry=entry.entry_id) for key, value in data.items()}
    before = sim.requests()
    for action in (SERVICE_GET_SESSIONS, "remote_start"):
        if action != SERVICE_GET_SESSIONS and "tag" in data:
            continue
        refused = await _call(hass, action, data, hass_admin_user.id)
        assert isinstance(refused, ServiceValidationError), (action, refused)
        assert (refused.translation_key or "").startswith("field_"), (action, refused)
    assert sim.requests() == before


def test_vendors_sharing_an_action_must_agree_on_its_permission(hass: HomeAssistant) -> None:
    legacy = VENDORS["bender_legacy"]
    pairing = VENDORS["bender_v1"].services[0]
    clashing = replace(pairing, permission=Permission.CONTROL)
    vendors = {**VENDORS, "bender_legacy": replace(legacy, services=(clashing,))}
    with (
        patch.object(services, "VENDORS", vendors),
        pytest.raises(ValueError, match="start_pairing with different permissions"),
    ):
        services.async_setup_services(hass)


@pytest.mark.parametrize("loaded", ["schneider_evce"], indirect=True)
async def test_a_device_without_entities_is_for_administrators(
    hass: HomeAssistant,
    loaded: tuple[str, MockConfigEntry, SimServer],
    normal_user: User,
    hass_admin_user: MockUser,
) -> None:
    """No entity, no permission to grant: only an administrator may act on such a device."""
    _, entry, sim = loaded
    data = {**_target(hass, entry, "set_zone_reduction"), **ACTION_DATA["set_zone_reduction"]}
    registry = er.async_get(hass)
    for entity in er.async_entries_for_device(registry, data["device_id"]):
        registry.async_remove(entity.entity_id)
    await hass.async_block_till_done()
    before = sim.requests()
    assert isinstance(await _call(hass, "set_zone_reduction", data, normal_user.id), Unauthorized)
    assert sim.requests() == before
    assert await _call(hass, "set_zone_reduction", data, hass_admin_user.id) is None
    assert sim.requests() > before
