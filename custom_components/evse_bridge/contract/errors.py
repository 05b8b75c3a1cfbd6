"""The one way a failed command becomes an error the user reads.

Buttons, switches, numbers and every action send commands through
``translate_client_errors``: a client error becomes a translated error that
names the target and the command as the user knows them.

A device that refuses a command (because of its state: no session, already
restarting, a limit out of its range) is a ``ServiceValidationError``: the user
can do something about it, and Home Assistant logs it as one line. A device that
does not answer, or a failure of ours, stays a ``HomeAssistantError``. A vendor
whose refusal can say more than "refused" (which zone, which whitelist change)
raises its own message through ``refusal``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.translation import async_get_translations

from ..api import (
    EvseAuthenticationError,
    EvseBridgeError,
    EvseCommandRejectedError,
    EvseCommandTimeoutError,
    EvseNotSupportedError,
)
from ..const import DOMAIN


def refusal(key: str, **placeholders: str) -> ServiceValidationError:
    """The device's refusal of a command, as the vendor's translated message ``key``."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


async def async_action_name(hass: HomeAssistant, action: str) -> str:
    """An action of this integration as the user picked it: its name in the UI's language."""
    strings = await async_get_translations(hass, hass.config.language, "services", {DOMAIN})
    return strings.get(f"component.{DOMAIN}.services.{action}.name", action)


@contextmanager
def translate_client_errors(
    hass: HomeAssistant, entry: ConfigEntry, target: str, *, command: str
) -> Iterator[None]:
    """Turn a failed command into a translated error that names ``target`` and ``command``.

    ``target`` is the device as the user knows it, or the entry's title; ``command``
    the button, switch, number or action as the user saw it ("Restart"). A refused
    login starts reauthentication, so the user is asked for new credentials once
    instead of every action failing silently.
    """
    names = {"target": target, "command": command}
    try:
        yield
    except EvseCommandRejectedError as err:
        raise refusal("command_rejected", **names, reason=str(err) or "-") from err
    except EvseCommandTimeoutError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_timeout",
            translation_placeholders=names,
        ) from err
    except EvseNotSupportedError as err:
        raise refusal("command_not_supported", **names) from err
    except EvseAuthenticationError as err:
        entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="authentication_failed"
        ) from err
    except EvseBridgeError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={**names, "error": str(err) or type(err).__name__},
        ) from err
