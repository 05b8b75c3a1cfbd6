"""Config flow: pick the vendor, test the connection, create one entry per device.

Each vendor gets a step named after its key, built from its ``Vendor``
description; reauthentication asks for the vendor's secrets again and
reconfiguration for everything else, both checked to reach the same device.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from .const import CONF_VENDOR, DOMAIN, LOGGER
from .vendors import VENDORS
from .vendors.base import ProbeResult, Vendor


class EvseBridgeConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a charging controller, hub or cloud account."""

    VERSION = 1
    MINOR_VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick the vendor API."""
        return self.async_show_menu(step_id="user", menu_options=list(VENDORS))

    async def _async_step_vendor(
        self, vendor: Vendor, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Ask for the vendor's connection data, test it, create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            result = await self._async_probe(vendor, user_input, errors)
            if result is not None:
                await self.async_set_unique_id(result.unique_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=result.title, data={CONF_VENDOR: vendor.key, **result.data}
                )
        return self.async_show_form(
            step_id=vendor.key,
            data_schema=self.add_suggested_values_to_schema(
                vendor.user_schema({}), user_input or {}
            ),
            errors=errors,
        )

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
                return self.async_update_reload_and_abort(
                    entry, data={CONF_VENDOR: vendor.key, **result.data}
                )
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
            data = {**entry.data, **user_input}
            result = await self._async_probe(vendor, data, errors)
            if result is not None:
                await self.async_set_unique_id(result.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self.async_update_reload_and_abort(
                    entry, data={CONF_VENDOR: vendor.key, **result.data}
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=vendor.reconfigure_schema({**entry.data, **(user_input or {})}),
            errors=errors,
        )

    async def _async_probe(
        self, vendor: Vendor, data: dict[str, Any], errors: dict[str, str]
    ) -> ProbeResult | None:
        """Test the connection; on failure fill ``errors`` and return None."""
        connection = {key: value for key, value in data.items() if key != CONF_VENDOR}
        try:
            return await vendor.async_probe(self.hass, connection)
        except Exception as err:
            field, key = vendor.form_error(err)
            if key == "unknown":
                LOGGER.exception("Unexpected error while testing the connection")
            errors[field] = key
            return None


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
