"""Calls that differ between the Home Assistant releases this integration supports.

The minimum release (2025.4) gives a device a set of config entries (``config_entries``)
and detaches a device from an entry with ``remove_config_entry_id``. Home Assistant 2026.8+
gives a device exactly one config entry (``config_entry_id``), removes it with
``async_remove_device`` and reports the old names as deprecated; 2026.9+ also has child
devices, which a device ID can name. Home Assistant 2025.11+ lets ``UpdateFailed`` carry
a ``retry_after`` that delays the next poll. Newer releases serialise a ``Store``'s data in
the event loop unless told (``serialize_in_event_loop``) that it is safe elsewhere; the
minimum release always serialises in the executor. Each difference is one branch here,
chosen by what the running Home Assistant has: when the minimum release reaches 2026.9,
keep the new branches and inline them where this module is used.

mypy checks each test lane against that lane's Home Assistant: scripts/test marks the
constants below always true or always false, so each lane type-checks the branch its
Home Assistant has.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
import inspect
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import Unauthorized, UnknownUser
from homeassistant.helpers import aiohttp_client, device_registry as dr, entity_platform
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import VolSchemaType
from homeassistant.helpers.update_coordinator import UpdateFailed

if TYPE_CHECKING:
    from aiohttp.abc import AbstractResolver

#: A device belongs to exactly one config entry (Home Assistant 2026.8+).
SINGLE_CONFIG_ENTRY: Final = hasattr(dr.DeviceEntry, "config_entry_id")
#: A device ID can name a child device (Home Assistant 2026.9+).
CHILD_DEVICES: Final = hasattr(dr, "ChildDeviceEntry")
#: ``UpdateFailed(retry_after=...)`` delays the coordinator's next poll (Home Assistant 2025.11+).
UPDATE_FAILED_RETRY_AFTER: Final = "retry_after" in inspect.signature(UpdateFailed).parameters
#: How many enabled entities Home Assistant adds for one config entry; None: no limit.
#: Newer releases add no more once an entry has that many (registered ones stay).
ENABLED_ENTITIES_PER_ENTRY: Final[int | None] = getattr(
    entity_platform, "MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY", None
)
#: A ``Store`` can be told to serialise its data outside the event loop (newer releases).
STORE_SERIALIZE_OPTION: Final = "serialize_in_event_loop" in inspect.signature(Store).parameters


def snapshot_store(hass: HomeAssistant, version: int, key: str) -> Store[dict[str, Any]]:
    """A private ``Store`` serialised outside the event loop on every release.

    Only for data saved as a copy no one changes (``async_save`` of a snapshot, or a
    delayed save whose function returns one).
    """
    options: dict[str, Any] = {"serialize_in_event_loop": False} if STORE_SERIALIZE_OPTION else {}
    return Store(hass, version, key, private=True, **options)


def update_failed(retry_after: float | None = None, **kwargs: Any) -> UpdateFailed:
    """``UpdateFailed`` that asks for the next poll in ``retry_after`` s where Home Assistant can.

    Where it cannot, the coordinator delays the poll itself (``EvseBridgeCoordinator``).
    """
    if UPDATE_FAILED_RETRY_AFTER and retry_after is not None:
        kwargs["retry_after"] = retry_after
    return UpdateFailed(**kwargs)


def get_device(hass: HomeAssistant, device_id: str) -> dr.DeviceEntry | None:
    """The (main) device with registry ID ``device_id``; this integration has no child devices."""
    registry = dr.async_get(hass)
    if CHILD_DEVICES:
        return registry.async_get(device_id, include_child_devices=False)
    else:  # noqa: RET505 - mypy skips the branch the lane's Home Assistant lacks
        return registry.async_get(device_id)


def config_entry_ids(device: dr.DeviceEntry) -> set[str]:
    """The IDs of the config entries ``device`` belongs to."""
    if SINGLE_CONFIG_ENTRY:
        return {device.config_entry_id}
    else:  # noqa: RET505 - mypy skips the branch the lane's Home Assistant lacks
        return set(device.config_entries)


def remove_device(registry: dr.DeviceRegistry, device: dr.DeviceEntry, entry_id: str) -> None:
    """Remove ``device`` of config entry ``entry_id`` (and with it, its entities)."""
    if SINGLE_CONFIG_ENTRY:
        registry.async_remove_device(device.id)
    else:
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)


def async_register_admin_service(
    hass: HomeAssistant,
    domain: str,
    service: str,
    handler: Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]],
    schema: VolSchemaType,
    supports_response: SupportsResponse,
) -> None:
    """Register an action only administrators may call, as core's helper of that name does.

    The minimum release's ``homeassistant.helpers.service.async_register_admin_service``
    takes no ``supports_response`` (newer releases do), and several admin actions answer
    with data. A call without a user (an automation, a script) is allowed, as in core.
    When the minimum release has the parameter, call core's helper instead.
    """

    async def admin_handler(call: ServiceCall) -> ServiceResponse:
        if call.context.user_id:
            user = await hass.auth.async_get_user(call.context.user_id)
            if user is None:
                raise UnknownUser(context=call.context)
            if not user.is_admin:
                raise Unauthorized(context=call.context)
        return await handler(call)

    hass.services.async_register(
        domain, service, admin_handler, schema=schema, supports_response=supports_response
    )


def connection_resolver(hass: HomeAssistant) -> AbstractResolver | None:
    """The resolver Home Assistant's own sessions use (mDNS for ``.local`` names), if it has one.

    Home Assistant offers no public factory for it; without one aiohttp's default
    resolver is used.
    """
    factory = getattr(aiohttp_client, "_async_make_resolver", None)
    return None if factory is None else cast("AbstractResolver", factory(hass))
