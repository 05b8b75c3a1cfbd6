"""The base entity and the generic way platforms add entities for a site's devices."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import (
    EvseAuthenticationError,
    EvseBridgeError,
    EvseCommandRejectedError,
    EvseCommandTimeoutError,
    EvseNotSupportedError,
)
from .const import DOMAIN
from .coordinator import EvseBridgeCoordinator
from .descriptions import EvseBridgeEntityDescription
from .runtime import EvseBridgeConfigEntry
from .site import DeviceData


class EvseBridgeEntity(CoordinatorEntity[EvseBridgeCoordinator]):
    """An entity of one device of a site, described by a vendor description."""

    _attr_has_entity_name = True
    entity_description: EvseBridgeEntityDescription

    def __init__(
        self,
        coordinator: EvseBridgeCoordinator,
        device_key: str,
        description: EvseBridgeEntityDescription,
    ) -> None:
        """Attach the entity to ``device_key``'s device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.device_key = device_key
        site = coordinator.site
        self._attr_unique_id = f"{site.device_identifier(device_key)}_{description.key}"
        self._attr_device_info = site.device_info(device_key)

    @property
    def available(self) -> bool:
        """Unavailable when polling fails or the site stops reporting the device."""
        return super().available and self.device_key in self.coordinator.data.devices

    @property
    def device_name(self) -> str:
        """The entity's device as the user knows it, for messages."""
        if self.device_entry is None:
            return self.device.identity.name
        return registry_name(self.device_entry)

    @property
    def device(self) -> DeviceData:
        """The device's latest data (only read while available)."""
        return self.coordinator.data.devices[self.device_key]

    @property
    def data(self) -> Any:
        """The vendor's parsed state of the device."""
        return self.device.data


class RegisteredDevice(Protocol):
    """What names a device registry entry (every Home Assistant's kinds of entry have it)."""

    @property
    def name_by_user(self) -> str | None:
        """The name the user gave the device."""

    @property
    def name(self) -> str | None:
        """The name the integration gave the device."""


def registry_name(device: RegisteredDevice) -> str:
    """A registered device as the user knows it: the name they gave it, else its own."""
    return device.name_by_user or device.name or ""


@contextmanager
def translate_client_errors(entry: EvseBridgeConfigEntry, target: str) -> Iterator[None]:
    """Turn a failed command into a translated HomeAssistantError that names ``target``.

    ``target`` is the device as the user knows it, or the entry's title. A refused
    login starts reauthentication, so the user is asked for new credentials once
    instead of every action failing silently.
    """
    try:
        yield
    except EvseCommandRejectedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_rejected",
            translation_placeholders={"target": target, "reason": str(err) or "-"},
        ) from err
    except EvseCommandTimeoutError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_timeout",
            translation_placeholders={"target": target},
        ) from err
    except EvseNotSupportedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_not_supported",
            translation_placeholders={"target": target},
        ) from err
    except EvseAuthenticationError as err:
        entry.async_start_reauth(entry.runtime_data.coordinator.hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="authentication_failed"
        ) from err
    except EvseBridgeError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"target": target, "error": str(err) or type(err).__name__},
        ) from err


def async_add_device_entities[D: EvseBridgeEntityDescription](
    entry: EvseBridgeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    description_class: type[D],
    entity_factory: Callable[[EvseBridgeCoordinator, str, D], EvseBridgeEntity],
) -> None:
    """Add the platform's entities for every device now, and for devices that appear later."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    descriptions = [
        description
        for description in runtime.vendor.descriptions
        if isinstance(description, description_class)
    ]
    known: set[str] = set()

    def add_new_devices() -> None:
        if not coordinator.last_update_success:
            return
        devices = coordinator.data.devices
        # A device that disappears and comes back gets its entities again.
        known.intersection_update(devices)
        entities = [
            entity_factory(coordinator, key, description)
            for key, device in devices.items()
            if key not in known
            for description in descriptions
            if description.device_kind == device.kind and description.exists_fn(device.data)
        ]
        known.update(devices)
        if entities:
            async_add_entities(entities)

    add_new_devices()
    entry.async_on_unload(coordinator.async_add_listener(add_new_devices))
