"""The one way a failed command becomes an error the user reads.

Buttons, switches, numbers and every action send commands through
``translate_client_errors``: a client error becomes a translated
``HomeAssistantError`` that names the target as the user knows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from ..api import (
    EvseAuthenticationError,
    EvseBridgeError,
    EvseCommandRejectedError,
    EvseCommandTimeoutError,
    EvseNotSupportedError,
)
from ..const import DOMAIN


@contextmanager
def translate_client_errors(hass: HomeAssistant, entry: ConfigEntry, target: str) -> Iterator[None]:
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
        entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="authentication_failed"
        ) from err
    except EvseBridgeError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders={"target": target, "error": str(err) or type(err).__name__},
        ) from err
