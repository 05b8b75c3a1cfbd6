"""The contract between a vendor package and the generic Home Assistant side."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PASSWORD
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
import voluptuous as vol

from ..api import (
    EvseAuthenticationError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseRedirectError,
    EvseResponseError,
)
from ..const import DOMAIN
from .descriptions import EvseBridgeEntityDescription
from .diagnostics import DiagnosticsShown
from .site import DeviceData, Site


class _Unknown:
    """No value known (``None`` is a value: "no limit")."""


#: Nothing sent to the target yet, or nothing reported since our last write.
UNKNOWN = _Unknown()


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """What a successful connection test found: who the device is."""

    unique_id: str
    title: str
    #: Entry data to store: the user input, normalized, plus anything learnt.
    data: dict[str, Any]
    #: The account's locations (id to name) the entry may be narrowed to, where the probe
    #: covered the whole account and found more than one (see ``Vendor.location_field``).
    locations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryContext:
    """What an action handler may use of the loaded entry it acts on."""

    entry: ConfigEntry
    #: The entry's site: a handler narrows it to its vendor's class (``isinstance``).
    site: Site
    #: Every device of the entry's latest poll, by key.
    devices: Mapping[str, DeviceData]
    #: A tag as the entry's events and history show it: its pseudonym unless the entry's
    #: option shows tag ids (an event's attributes are kept in the recorder and restored).
    display_tag: Callable[[str | None], str | None]


type ServiceHandler = Callable[
    [HomeAssistant, ServiceCall, EntryContext, DeviceData | None], Awaitable[ServiceResponse]
]
type DeviceServiceHandler = Callable[
    [HomeAssistant, ServiceCall, EntryContext, DeviceData], Awaitable[ServiceResponse]
]


def device_handler(handler: DeviceServiceHandler) -> ServiceHandler:
    """A handler of an action that always targets a device (its ``device_kinds`` say which).

    The action layer refuses other targets before it calls a handler; this keeps a
    handler typed with the device it needs instead of asserting it.
    """

    async def handle(
        hass: HomeAssistant, call: ServiceCall, context: EntryContext, device: DeviceData | None
    ) -> ServiceResponse:
        if device is None:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_target")
        return await handler(hass, call, context, device)

    return handle


@dataclass(frozen=True, slots=True)
class WriteTarget:
    """What a set-point action writes: the target's key and the value (None: no limit).

    ``current`` is what the device reports for the target, where known: a value changed
    elsewhere is written again even if it equals the last one sent.
    """

    key: str
    value: Hashable
    current: Hashable = UNKNOWN


class Permission(StrEnum):
    """Who may call an action, as Home Assistant core decides it for its own actions."""

    #: Configuration, access control, data export, resets: administrators only.
    ADMIN = "admin"
    #: Operating the charger: whoever may control the target device's entities.
    CONTROL = "control"


@dataclass(frozen=True, slots=True, kw_only=True)
class VendorService:
    """An action a vendor offers; targets a device or a config entry of that vendor."""

    name: str
    #: Fields besides the target (``device_id`` / ``config_entry_id``, added by services.py).
    fields: Mapping[vol.Marker, Any]
    handler: ServiceHandler
    supports_response: SupportsResponse = SupportsResponse.NONE
    #: Device kinds the action may target; empty means the entry's devices of any kind.
    device_kinds: tuple[str, ...] = ()
    #: Who may call it; administrators only unless the vendor marks it operational.
    permission: Permission = Permission.ADMIN
    #: For an action that writes a set-point (a limit, a reduction): the target and value it
    #: writes, so that the entry's ``WriteCoalescer`` coalesces it with every other write to
    #: that target (a number entity's target is ``f"{device_key}/{description.key}"``).
    #: Such an action returns no response; None from the callable means "not a write".
    write_target: Callable[[ServiceCall, DeviceData | None], WriteTarget | None] | None = None


#: Default mapping of a failed connection test to (form field, error key).
DEFAULT_FORM_ERRORS: Mapping[type[Exception], tuple[str, str]] = {
    EvseAuthenticationError: (CONF_PASSWORD, "invalid_auth"),
    EvseNotSupportedError: (CONF_HOST, "not_supported"),
    EvseResponseError: (CONF_HOST, "unexpected_answer"),
    EvseConnectionError: (CONF_HOST, "cannot_connect"),
}


def host_address(data: Mapping[str, Any]) -> str:
    """Where an entry's (or a form's) data sends the credentials: its host."""
    return str(data.get(CONF_HOST) or "")


@dataclass(frozen=True, slots=True, kw_only=True)
class Vendor:
    """Everything the generic side needs to know about one vendor API.

    Adding a vendor means writing its client in ``api/`` and one of these in
    ``vendors/``; the config flow, coordinator, platforms, services and
    diagnostics read it and never branch on the vendor's name.
    """

    key: str
    #: The API's short name ("EVCE"): device pages show it with the device's kind after
    #: the model (see ``site.device_model_id``), and the actions' pickers filter on that.
    label: str
    #: Who makes the devices ("Schneider"): entry titles name it with ``label``, so
    #: the entry pickers tell the vendors apart.
    maker: str
    #: Form of the vendor's config step, pre-filled with ``defaults``.
    user_schema: Callable[[Mapping[str, Any]], vol.Schema]
    #: Keys of ``user_schema`` that are secrets: asked again by reauth, left out of
    #: reconfigure, never in diagnostics.
    secret_fields: tuple[str, ...]
    #: Test the connection with this data; raises a client error on failure.
    async_probe: Callable[[HomeAssistant, dict[str, Any]], Awaitable[ProbeResult]]
    create_site: Callable[[HomeAssistant, ConfigEntry], Site]
    update_interval: timedelta
    descriptions: tuple[EvseBridgeEntityDescription, ...]
    services: tuple[VendorService, ...] = ()
    #: Per error class, the form field and error key shown when the probe fails.
    form_errors: Mapping[type[Exception], tuple[str, str]] = field(
        default_factory=lambda: DEFAULT_FORM_ERRORS
    )
    #: What diagnostics may show of the entry's data, each device's data and the raw
    #: payloads; every other value is hidden (nothing is shown unless named here).
    diagnostics: DiagnosticsShown = field(default_factory=DiagnosticsShown)
    #: Placeholders of the vendor's form texts (its step and the reconfigure step):
    #: translations carry no URLs (hassfest), so an example address comes from here.
    form_placeholders: Mapping[str, str] = field(default_factory=dict)
    #: For devices with a self-signed certificate: called with the form's data before the
    #: connection test, it returns the SHA-256 fingerprint (hex) of the certificate the
    #: device presents when the user chose to pin it (None otherwise). The config flow shows
    #: it for confirmation and passes it to the probe as ``data["fingerprint"]``.
    async_certificate_fingerprint: (
        Callable[[HomeAssistant, dict[str, Any]], Awaitable[str | None]] | None
    ) = None
    #: A read-only API: nothing is ever written, so no write interval is offered.
    read_only: bool = False
    #: Where the data sends the secrets (a host, a server URL): reconfigure asks for the
    #: secrets again when it changes, so that they never travel to a new address unasked.
    address: Callable[[Mapping[str, Any]], str] = host_address
    #: Brings an entry stored by an earlier version (config entry version 1, minor < the
    #: flow's) to today's data and registry; runs before the entry is set up.
    async_migrate_entry: Callable[[HomeAssistant, ConfigEntry], Awaitable[None]] | None = None
    #: The form field that narrows a cloud account to one location. Left empty, the flow
    #: offers the probe's ``locations`` as a list (all of them the default), then probes
    #: again with the one chosen.
    location_field: str | None = None

    def form_error(self, err: Exception) -> tuple[str, str]:
        """The (field, error key) for a failed probe; ``("base", "unknown")`` if unmapped."""
        if isinstance(err, EvseRedirectError):
            # Every vendor alike: the user typed an address the device sends elsewhere.
            return ("base", "redirected")
        for error_class, target in self.form_errors.items():
            if isinstance(err, error_class):
                return target
        return ("base", "unknown")

    def reauth_schema(self) -> vol.Schema:
        """Only the secret fields of the user form."""
        return vol.Schema(
            {
                marker: validator
                for marker, validator in self.user_schema({}).schema.items()
                if str(marker) in self.secret_fields
            }
        )

    def reconfigure_schema(self, defaults: Mapping[str, Any]) -> vol.Schema:
        """The user form without its secret fields, pre-filled with the entry's data."""
        return vol.Schema(
            {
                marker: validator
                for marker, validator in self.user_schema(defaults).schema.items()
                if str(marker) not in self.secret_fields
            }
        )
