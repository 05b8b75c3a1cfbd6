"""The ``boost`` action: one managed charger gets up to its maximum for a while.

Operational (as the vendors' start and stop actions): whoever may control the target
device's entities may boost it. The budget still keeps the building under its limit: a
boosted charger comes first, the others share what is left (each keeps its minimum while
it fits).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from ..const import DOMAIN
from ..contract.fields import translated_field_errors
from ..targets import ATTR_DEVICE_ID, async_check_control, resolve_target
from .const import DEFAULT_BOOST_MIN, MAX_BOOST_MIN
from .controller import BudgetController
from .entities import is_budget_entry

SERVICE_BOOST: Final = "boost"
ATTR_DURATION: Final = "duration"

BOOST_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): vol.All(cv.string, vol.Length(min=1, max=64)),
        # Minutes; 0 ends a boost.
        vol.Optional(ATTR_DURATION, default=DEFAULT_BOOST_MIN): vol.All(
            vol.Coerce(int), vol.Range(min=0, max=MAX_BOOST_MIN)
        ),
    }
)


@callback
def async_setup_boost(hass: HomeAssistant) -> None:
    """Register ``boost`` once, for every budget entry."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_BOOST,
        _async_boost,
        schema=translated_field_errors(hass, SERVICE_BOOST, BOOST_SCHEMA),
    )


def _controllers(hass: HomeAssistant, device_id: str) -> list[BudgetController]:
    """The loaded budgets that manage ``device_id``."""
    return [
        entry.runtime_data
        for entry in hass.config_entries.async_entries(DOMAIN)
        if is_budget_entry(entry)
        and entry.state is ConfigEntryState.LOADED
        and device_id in entry.runtime_data.device_ids
    ]


async def _async_boost(call: ServiceCall) -> None:
    entry, _, target = resolve_target(call)
    # Only registry look-ups so far: a refused call changes nothing.
    await async_check_control(call, entry)
    device_id: str = call.data[ATTR_DEVICE_ID]
    controllers = _controllers(call.hass, device_id)
    if not controllers:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="budget_not_managed",
            translation_placeholders={"target": target},
        )
    duration = timedelta(minutes=call.data[ATTR_DURATION])
    for controller in controllers:
        await controller.async_boost(device_id, duration)
