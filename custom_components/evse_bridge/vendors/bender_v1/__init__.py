"""Bender / ebee Charge Controller REST API v1: one controller per entry.

``site`` polls it, ``entities`` describe it; the actions read a tag in pairing
mode (``pairing``), edit the local whitelist (``whitelist``) and read and write
the settings (``settings``).
"""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PASSWORD

from ...api import (
    EvseAuthenticationError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from ...api.bender_common import BenderLegacyControllerError
from ...contract.vendor import Vendor
from .config import async_probe, user_schema
from .diagnostics import DIAGNOSTICS
from .entities import DESCRIPTIONS
from .pairing import PAIRING_SERVICE
from .settings import SETTINGS_SERVICES
from .site import STATE_INTERVAL, BenderV1Site
from .whitelist import WHITELIST_SERVICES

BENDER_V1 = Vendor(
    key="bender_v1",
    label="REST API v1",
    maker="Bender",
    user_schema=user_schema,
    secret_fields=(CONF_PASSWORD,),
    async_probe=async_probe,
    create_site=BenderV1Site,
    update_interval=STATE_INTERVAL,
    descriptions=DESCRIPTIONS,
    services=(PAIRING_SERVICE, *WHITELIST_SERVICES, *SETTINGS_SERVICES),
    form_errors={
        BenderLegacyControllerError: (CONF_HOST, "bender_is_legacy"),
        EvseAuthenticationError: (CONF_PASSWORD, "invalid_auth"),
        EvseNotSupportedError: (CONF_HOST, "rest_disabled"),
        EvseResponseError: (CONF_HOST, "not_bender_controller"),
        EvseConnectionError: (CONF_HOST, "cannot_connect"),
    },
    diagnostics=DIAGNOSTICS,
)
