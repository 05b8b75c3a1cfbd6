"""Config flow: pick the vendor, test the connection, create one entry per device.

Each vendor gets a step named after its key, built from its ``Vendor``
description; reauthentication asks for the vendor's secrets again and
reconfiguration for everything else, both checked to reach the same device.

A vendor whose devices use self-signed certificates may ask for a certificate to
be pinned: the flow then shows the certificate's fingerprint in a second form
(``confirm_certificate``) before any credential is sent, and the connection test
runs pinned to what the user confirmed.

A cloud account whose stations stand at several locations is offered them as a
list once its credentials are checked (``location``): all of them by default,
or one, for which the connection test runs again. Where the stations name no
location, the vendor's form field (a location id typed in) stays the way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
import contextlib
from dataclasses import dataclass
import ipaddress
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_NAME
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import voluptuous as vol
from yarl import URL

from .alerts import CONF_ALERT_DELAY, DEFAULT_ALERT_DELAY_MIN, MAX_ALERT_DELAY_MIN
from .budget.const import CONF_KIND, KIND_BUDGET
from .budget.entities import is_budget_entry
from .budget.flow import BudgetOptionsFlow, budget_errors, budget_schema
from .const import (
    CONF_AUTOMATIC_TITLE,
    CONF_FINGERPRINT,
    CONF_INCLUDE_TAG_IDS,
    CONF_VENDOR,
    CONFIG_MINOR_VERSION,
    CONFIG_VERSION,
    DOMAIN,
    LOGGER,
)
from .contract.vendor import (
    ProbeResult,
    Vendor,
)
from .coordinator import display_fingerprint
from .vendors import VENDORS
from .writes import (
    CONF_WRITE_INTERVAL,
    DEFAULT_WRITE_INTERVAL_S,
    MAX_WRITE_INTERVAL_S,
)

#: An entry name the user may give in the form instead of the automatic title.
_NAME_FIELD = vol.All(TextSelector(), vol.Length(max=100))
#: The location step's field and its choice of the whole account.
CONF_LOCATION = "location"
_ALL_LOCATIONS = "all_locations"


@dataclass(slots=True)
class _CertificateToConfirm:
    """Form data waiting for the user to trust the certificate the device presented."""

    vendor: Vendor
    data: dict[str, Any]
    fingerprint: str
    #: The form to return to when the connection test then fails.
    reconfigure: bool


class EvseBridgeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a charging controller, hub or cloud account."""

    VERSION = CONFIG_VERSION
    MINOR_VERSION = CONFIG_MINOR_VERSION
    _certificate: _CertificateToConfirm | None = None
    #: (host, fingerprint) the user confirmed in this flow: not asked again after a
    #: failed connection test (a wrong password) as long as the device presents it.
    _trusted: tuple[str, str] | None = None
    #: The name the user gave the entry in the form, if any.
    _name: str | None = None
    #: Reconfigure's data for a new address, without the secret asked for it next.
    _moved: dict[str, Any] | None = None
    #: A probed account whose locations are offered: its vendor, form data and result.
    _locating: tuple[Vendor, dict[str, Any], ProbeResult] | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """How sessions show RFID tags; a site power budget: its whole configuration."""
        if is_budget_entry(config_entry):
            return BudgetOptionsFlow()
        return EvseBridgeOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick the vendor API."""
        return self.async_show_menu(step_id="user", menu_options=[*VENDORS, KIND_BUDGET])

    async def async_step_site_budget(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A site power budget: the measurement, the limit, the chargers it manages."""
        errors = {} if user_input is None else budget_errors(user_input)
        if user_input is not None and not errors:
            return self.async_create_entry(
                title="Site power budget", data={CONF_KIND: KIND_BUDGET, **user_input}
            )
        return self.async_show_form(
            step_id=KIND_BUDGET, data_schema=budget_schema(user_input or {}), errors=errors
        )

    async def _async_step_vendor(
        self, vendor: Vendor, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the vendor's connection data, test it, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = dict(user_input)
            self._name = str(user_input.pop(CONF_NAME, "")).strip() or None
            user_input = _checked_host(user_input, errors)
        if user_input is not None and not errors:
            trusted = None
            if self._trusted is not None and self._trusted[0] == user_input.get(CONF_HOST):
                trusted = self._trusted[1]
            fingerprint = await self._async_fingerprint(vendor, user_input, errors, known=trusted)
            if fingerprint is not None:
                return self._async_show_certificate(
                    _CertificateToConfirm(vendor, user_input, fingerprint, reconfigure=False)
                )
            if not errors:
                data = dict(user_input)
                if trusted is not None:
                    data[CONF_FINGERPRINT] = trusted
                result = await self._async_probe(vendor, data, errors)
                if result is not None and len(result.locations) > 1:
                    # An account added already is refused before its locations are offered.
                    await self.async_set_unique_id(result.unique_id)
                    self._abort_if_unique_id_configured()
                    self._locating = (vendor, data, result)
                    return self._async_show_locations({})
                if result is not None:
                    return await self._async_create(vendor, result)
        return self._async_show_vendor_form(vendor, user_input, errors)

    def _async_show_locations(self, errors: dict[str, str]) -> ConfigFlowResult:
        assert self._locating is not None
        locations = self._locating[2].locations
        options = [SelectOptionDict(value=_ALL_LOCATIONS, label=_ALL_LOCATIONS)]
        options += [
            SelectOptionDict(value=uid, label=name)
            for uid, name in sorted(locations.items(), key=lambda item: item[1].casefold())
        ]
        return self.async_show_form(
            step_id="location",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_LOCATION, default=_ALL_LOCATIONS): SelectSelector(
                        SelectSelectorConfig(
                            options=options,
                            mode=SelectSelectorMode.DROPDOWN,
                            translation_key="account_location",
                        )
                    )
                }
            ),
            errors=errors,
        )

    async def async_step_location(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The account has several locations: all of them, or the one chosen."""
        assert self._locating is not None
        assert user_input is not None
        vendor, data, result = self._locating
        chosen = user_input[CONF_LOCATION]
        if chosen == _ALL_LOCATIONS:
            return await self._async_create(vendor, result)
        assert vendor.location_field is not None
        errors: dict[str, str] = {}
        narrowed = await self._async_probe(vendor, {**data, vendor.location_field: chosen}, errors)
        if narrowed is None:
            return self._async_show_locations({"base": next(iter(errors.values()))})
        return await self._async_create(vendor, narrowed)

    def _async_show_vendor_form(
        self, vendor: Vendor, user_input: dict[str, Any] | None, errors: dict[str, str]
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id=vendor.key,
            data_schema=self.add_suggested_values_to_schema(
                vendor.user_schema(user_input or {}).extend({vol.Optional(CONF_NAME): _NAME_FIELD}),
                {CONF_NAME: self._name or ""} | (user_input or {}),
            ),
            description_placeholders=dict(vendor.form_placeholders),
            errors=errors,
        )

    async def _async_create(self, vendor: Vendor, result: ProbeResult) -> ConfigFlowResult:
        await self.async_set_unique_id(result.unique_id)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=self._name or _automatic_title(vendor, result),
            data=_entry_data(vendor, result),
        )

    def _async_update_and_reload(
        self, entry: ConfigEntry, vendor: Vendor, result: ProbeResult
    ) -> ConfigFlowResult:
        """Store what the probe found; a title the user gave stays, an automatic one follows."""
        # Entries made before the automatic title was stored: take their title as automatic.
        automatic = entry.data.get(CONF_AUTOMATIC_TITLE, entry.title)
        return self.async_update_reload_and_abort(
            entry,
            title=_automatic_title(vendor, result) if entry.title == automatic else entry.title,
            data=_entry_data(vendor, result),
        )

    async def _async_fingerprint(
        self,
        vendor: Vendor,
        data: dict[str, Any],
        errors: dict[str, str],
        *,
        known: str | None,
    ) -> str | None:
        """The certificate fingerprint the user must confirm, if any (None if ``known``)."""
        if vendor.async_certificate_fingerprint is None:
            return None
        try:
            fingerprint = await vendor.async_certificate_fingerprint(self.hass, data)
        except Exception as err:  # mapped like a failed connection test
            _fill_form_error(vendor, err, errors)
            return None
        if fingerprint is None or fingerprint == known:
            return None
        return fingerprint

    def _async_show_certificate(self, pending: _CertificateToConfirm) -> ConfigFlowResult:
        self._certificate = pending
        return self.async_show_form(
            step_id="confirm_certificate",
            data_schema=vol.Schema({}),
            description_placeholders={
                "host": str(pending.data.get(CONF_HOST, "")),
                "fingerprint": display_fingerprint(pending.fingerprint),
            },
        )

    async def async_step_confirm_certificate(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The user trusts the certificate shown: test the connection pinned to it."""
        pending = self._certificate
        assert pending is not None
        self._certificate = None
        self._trusted = (str(pending.data.get(CONF_HOST, "")), pending.fingerprint)
        data = {**pending.data, CONF_FINGERPRINT: pending.fingerprint}
        errors: dict[str, str] = {}
        result = await self._async_probe(pending.vendor, data, errors)
        if pending.reconfigure:
            if result is not None:
                return await self._async_finish_reconfigure(pending.vendor, result)
            return self._async_show_reconfigure_form(pending.vendor, pending.data, errors)
        if result is not None:
            return await self._async_create(pending.vendor, result)
        return self._async_show_vendor_form(pending.vendor, pending.data, errors)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The device refused the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials and check they reach the same device."""
        entry = self._get_reauth_entry()
        vendor = VENDORS[entry.data[CONF_VENDOR]]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            result = await self._async_probe(vendor, data, errors)
            if result is not None:
                await self.async_set_unique_id(result.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self._async_update_and_reload(entry, vendor, result)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vendor.reauth_schema(),
            description_placeholders={"name": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address (or other settings) of the same device."""
        entry = self._get_reconfigure_entry()
        vendor = VENDORS[entry.data[CONF_VENDOR]]
        errors: dict[str, str] = {}
        if user_input is not None:
            user_input = _checked_host(user_input, errors)
        if user_input is not None and not errors:
            data = {**entry.data, **user_input}
            if vendor.address(data) != vendor.address(entry.data):
                # The stored secret is for the old address: the user gives it for the new one.
                self._moved = {
                    key: value for key, value in data.items() if key not in vendor.secret_fields
                }
                return await self.async_step_reconfigure_secret()
            if (result := await self._async_reconfigure_to(vendor, data, errors)) is not None:
                return result
        return self._async_show_reconfigure_form(vendor, user_input or {}, errors)

    async def async_step_reconfigure_secret(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new address: ask for the secret again instead of sending the stored one there."""
        entry = self._get_reconfigure_entry()
        vendor = VENDORS[entry.data[CONF_VENDOR]]
        moved = self._moved
        assert moved is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            result = await self._async_reconfigure_to(vendor, {**moved, **user_input}, errors)
            if result is not None:
                return result
            # The address may be what failed: back to it (the secret is asked again after).
            return self._async_show_reconfigure_form(vendor, moved, errors)
        return self.async_show_form(
            step_id="reconfigure_secret",
            data_schema=vendor.reauth_schema(),
            description_placeholders={"name": entry.title},
        )

    async def _async_reconfigure_to(
        self, vendor: Vendor, data: dict[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult | None:
        """Confirm a new certificate or test the connection with ``data``; None: see errors."""
        entry = self._get_reconfigure_entry()
        fingerprint = await self._async_fingerprint(
            vendor, data, errors, known=entry.data.get(CONF_FINGERPRINT)
        )
        if fingerprint is not None:
            return self._async_show_certificate(
                _CertificateToConfirm(vendor, data, fingerprint, reconfigure=True)
            )
        if errors:
            return None
        result = await self._async_probe(vendor, data, errors)
        if result is None:
            return None
        return await self._async_finish_reconfigure(vendor, result)

    def _async_show_reconfigure_form(
        self, vendor: Vendor, user_input: Mapping[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=vendor.reconfigure_schema({**entry.data, **user_input}),
            description_placeholders=dict(vendor.form_placeholders),
            errors=errors,
        )

    async def _async_finish_reconfigure(
        self, vendor: Vendor, result: ProbeResult
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        await self.async_set_unique_id(result.unique_id)
        self._abort_if_unique_id_mismatch(reason="wrong_device")
        return self._async_update_and_reload(entry, vendor, result)

    async def _async_probe(
        self, vendor: Vendor, data: dict[str, Any], errors: dict[str, str]
    ) -> ProbeResult | None:
        """Test the connection; on failure fill ``errors`` and return None."""
        connection = {key: value for key, value in data.items() if key != CONF_VENDOR}
        try:
            return await vendor.async_probe(self.hass, connection)
        except Exception as err:
            _fill_form_error(vendor, err, errors)
            return None


def normalize_host(text: str) -> str | None:
    """The host the user typed as the clients take it, None if it is no host.

    ``host``, ``host:port`` and an IPv6 address (bracketed, with a port, or bare: then
    bracketed) are hosts. A scheme, path, query, fragment or user-info is refused: the
    clients choose the scheme and path themselves, credentials have their own fields.
    """
    host = text.strip()
    with contextlib.suppress(ValueError):
        host = f"[{ipaddress.IPv6Address(host)}]"
    if not host or any(char in host for char in "/?#@\\ \t"):
        return None
    try:
        # Parses host and port, and refuses an empty host or a port out of range.
        URL(f"http://{host}").port  # noqa: B018
    except (ValueError, IndexError):  # yarl raises IndexError for empty brackets ("[]")
        return None
    return host


def _checked_host(user_input: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The form's data with its host (where it has one) normalised, else ``invalid_host``."""
    if CONF_HOST not in user_input:
        return user_input
    host = normalize_host(str(user_input[CONF_HOST]))
    if host is None:
        errors[CONF_HOST] = "invalid_host"
        return user_input
    return {**user_input, CONF_HOST: host}


def _automatic_title(vendor: Vendor, result: ProbeResult) -> str:
    """What the device says about itself, and the API: entry pickers show the vendor."""
    api = f"{vendor.maker} {vendor.label}"
    if vendor.label.casefold() in result.title.casefold():
        return result.title
    return f"{result.title} ({api})"


def _entry_data(vendor: Vendor, result: ProbeResult) -> dict[str, Any]:
    """The entry's data: the vendor, what the probe found, and the title it suggested."""
    return {
        CONF_VENDOR: vendor.key,
        **result.data,
        CONF_AUTOMATIC_TITLE: _automatic_title(vendor, result),
    }


class EvseBridgeOptionsFlow(OptionsFlow):
    """Session events' tag ids (personal data) or pseudonyms; the safe-write interval; alerts."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A switch, off by default, and the write interval."""
        if user_input is not None:
            entry = self.config_entry
            if entry.state is ConfigEntryState.LOADED and not user_input[CONF_INCLUDE_TAG_IDS]:
                # Tag ids off: the ids the history kept meanwhile become pseudonyms now,
                # on disk too (an update listener would make reconfigure's reload a misuse).
                self.hass.config_entries.async_update_entry(entry, options=user_input)
                await entry.runtime_data.sessions.async_pseudonymise_tags()
            return self.async_create_entry(data=user_input)
        options = self.config_entry.options
        fields: dict[vol.Marker, Any] = {
            vol.Required(
                CONF_INCLUDE_TAG_IDS, default=options.get(CONF_INCLUDE_TAG_IDS, False)
            ): BooleanSelector(),
        }
        if not VENDORS[self.config_entry.data[CONF_VENDOR]].read_only:
            fields[
                vol.Required(
                    CONF_WRITE_INTERVAL,
                    default=options.get(CONF_WRITE_INTERVAL, DEFAULT_WRITE_INTERVAL_S),
                )
            ] = _whole_number_box(0, MAX_WRITE_INTERVAL_S, "s")
        fields[
            vol.Required(
                CONF_ALERT_DELAY,
                default=options.get(CONF_ALERT_DELAY, DEFAULT_ALERT_DELAY_MIN),
            )
        ] = _whole_number_box(1, MAX_ALERT_DELAY_MIN, "min")
        return self.async_show_form(step_id="init", data_schema=vol.Schema(fields))


def _fill_form_error(vendor: Vendor, err: Exception, errors: dict[str, str]) -> None:
    """Show a failed connection test on the form field the vendor maps it to."""
    field, key = vendor.form_error(err)
    if key == "unknown":
        LOGGER.exception("Unexpected error while testing the connection")
    errors[field] = key


def _vendor_step(
    vendor_key: str,
) -> Callable[[EvseBridgeConfigFlow, dict[str, Any] | None], Awaitable[ConfigFlowResult]]:
    async def step(
        flow: EvseBridgeConfigFlow, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        return await flow._async_step_vendor(VENDORS[vendor_key], user_input)

    step.__doc__ = f"Config step of the {vendor_key} vendor."
    return step


# The menu's choices are step IDs; Home Assistant calls ``async_step_<id>``.
for _vendor_key in VENDORS:
    setattr(EvseBridgeConfigFlow, f"async_step_{_vendor_key}", _vendor_step(_vendor_key))


def _whole_number_box(minimum: float, maximum: float, unit: str) -> NumberSelector:
    """A field for a whole number of ``unit`` between ``minimum`` and ``maximum``."""
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement=unit
        )
    )
