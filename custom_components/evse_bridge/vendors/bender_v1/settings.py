"""Bender v1 settings: the ``get_settings`` / ``set_settings`` actions and the current limit.

A change that needs a restart opens a repair issue (see ``controls.V1Controls``).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.number import NumberDeviceClass, NumberMode
from homeassistant.const import UnitOfElectricCurrent
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from ...api.bender_v1 import SettingParameter
from ...api.errors import secrets_scrubbed
from ...api.parsing import to_float
from ...contract.descriptions import EvseBridgeNumberEntityDescription
from ...contract.fields import finite_number
from ...contract.limits import LimitControl, LimitUnit
from ...contract.site import DeviceData
from ...contract.vendor import EntryContext, VendorService
from .refusals import controller_name, refused
from .site import BenderV1Data, BenderV1Site, v1_site

ATTR_PARAMS = "params"
#: The site power budget pauses a session below 6 A (IEC 61851) rather than throttle it.
MINIMUM_CHARGING_A = 6.0
#: The controller keeps its settings in flash: the budget raises the limit at most this
#: often per hour (a decrease to stay under the building's limit is always written).
LIMIT_WRITES_PER_HOUR = 4
ATTR_SETTINGS = "settings"
#: Bounds from the document's key-value store (the settings' own are not given): at most
#: 1000 pairs, keys of 256 characters, values of 1000.
SETTINGS_MAX = 1000
NAME_MAX = 256
VALUE_MAX = 1000
_PARAMETER_NAME = vol.All(
    cv.string,
    vol.Length(min=1, max=NAME_MAX),
    vol.Match(r"^[A-Za-z0-9_.:-]+$", msg="not a parameter name"),
)
_NUMBER = finite_number(-1e15, 1e15)


def _parameter_response(parameter: SettingParameter) -> dict[str, Any]:
    return {"value": parameter.value, "meta": dict(parameter.meta)}


async def _async_get_settings(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    """Parameter names -> values with their meta (the meta from the full answer)."""
    client = v1_site(context).client
    wanted: list[str] = list(dict.fromkeys(call.data.get(ATTR_PARAMS, [])))
    found = await client.settings(wanted)
    if wanted and any(not parameter.meta for parameter in found.values()):
        # A named query answers values only; the meta comes with the full answer.
        everything = await client.settings()
        found = {
            key: SettingParameter(
                key=key,
                value=parameter.value,
                meta=everything[key].meta if key in everything else parameter.meta,
            )
            for key, parameter in found.items()
        }
    return {
        ATTR_SETTINGS: {key: _parameter_response(parameter) for key, parameter in found.items()},
        "missing": [key for key in wanted if key not in found],
    }


async def _async_set_settings(
    hass: HomeAssistant,
    call: ServiceCall,
    context: EntryContext,
    device: DeviceData | None,
) -> ServiceResponse:
    values: dict[str, Any] = dict(call.data[ATTR_SETTINGS])
    name = controller_name(context, device)
    # A controller may echo a value (a backend password, a URL) in its cause: as with
    # a command's id tags, no value of the call reaches the error the user reads.
    echoable = [value for value in values.values() if isinstance(value, str)]
    with refused("settings_rejected", name), secrets_scrubbed(*echoable):
        return await v1_site(context).controls.async_set(name, values)


def _setting_value(value: Any) -> Any:
    """A scalar: a text of at most 1000 characters, a finite number or a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        _NUMBER(value)
        return value
    if isinstance(value, str):
        if len(value) > VALUE_MAX:
            raise vol.Invalid(f"a value is longer than {VALUE_MAX} characters")
        return value
    raise vol.Invalid("a value must be a text, a number or a boolean")


def _settings_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise vol.Invalid("expected parameter names with their new values")
    if len(value) > SETTINGS_MAX:
        raise vol.Invalid(f"more than {SETTINGS_MAX} parameters")
    return {_PARAMETER_NAME(key): _setting_value(item) for key, item in value.items()}


def _parameter_names(value: Any) -> list[str]:
    names = cv.ensure_list(value)
    if len(names) > SETTINGS_MAX:
        raise vol.Invalid(f"more than {SETTINGS_MAX} parameters")
    return [_PARAMETER_NAME(name) for name in names]


SETTINGS_SERVICES: tuple[VendorService, ...] = (
    VendorService(
        name="get_settings",
        fields={vol.Optional(ATTR_PARAMS): _parameter_names},
        handler=_async_get_settings,
        supports_response=SupportsResponse.ONLY,
    ),
    VendorService(
        name="set_settings",
        fields={vol.Required(ATTR_SETTINGS): _settings_object},
        handler=_async_set_settings,
        supports_response=SupportsResponse.OPTIONAL,
    ),
)


def _limit(data: BenderV1Data) -> SettingParameter:
    """The current limit parameter: its number exists only where the settings meta has one."""
    assert data.current_limit is not None
    return data.current_limit


async def _set_current_limit(site: BenderV1Site, device: DeviceData, value: float) -> None:
    limit = _limit(device.data)
    # The meta's type is a number type; an integer type gets an integer.
    kind = str(limit.meta.get("type", "")).lower()
    number: float | int = round(value) if kind.startswith(("int", "uint")) else value
    name = device.identity.name or limit.key
    with refused("settings_rejected", name):
        await site.controls.async_set(name, {limit.key: number})


def _integer(limit: SettingParameter) -> bool:
    return str(limit.meta.get("type", "")).lower().startswith(("int", "uint"))


def _power_w(data: BenderV1Data) -> float | None:
    transaction = data.state.transaction
    return None if transaction is None else transaction.power_w


#: The current limit, as the site power budget writes it: within the meta's range.
CURRENT_LIMIT = LimitControl[BenderV1Data](
    unit_fn=lambda _: LimitUnit.AMPERE,
    minimum_fn=lambda data: max(MINIMUM_CHARGING_A, _limit(data).minimum or 0.0),
    maximum_fn=lambda data: _limit(data).maximum or 80.0,
    power_fn=_power_w,
    pausable_fn=lambda data: not _limit(data).minimum,
    step_fn=lambda data: 1.0 if _integer(_limit(data)) else 0.1,
    writes_per_hour=LIMIT_WRITES_PER_HOUR,
)


def current_limit_number(
    kind: str,
) -> EvseBridgeNumberEntityDescription[BenderV1Data, BenderV1Site]:
    """The charging current limit: only where the settings meta identifies it."""
    return EvseBridgeNumberEntityDescription[BenderV1Data, BenderV1Site](
        key="charging_current_limit",
        translation_key="charging_current_limit",
        device_kind=kind,
        mode=NumberMode.BOX,
        native_step=1,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        device_class=NumberDeviceClass.CURRENT,
        exists_fn=lambda data: data.current_limit is not None,
        value_fn=lambda data: None if data.current_limit is None else to_float(_limit(data).value),
        set_fn=_set_current_limit,
        min_fn=lambda data: _limit(data).minimum or 0.0,
        max_fn=lambda data: _limit(data).maximum or 80.0,
        limit_control=CURRENT_LIMIT,
    )
