"""Bender Legacy REST: one read-only controller per entry, polled every 15 s."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import CONF_HOST, CONF_PASSWORD

from ...api import (
    EvseAuthenticationError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from ...api.bender_common import BenderV1ControllerError
from ...contract.vendor import Vendor
from .config import async_probe, user_schema
from .diagnostics import DIAGNOSTICS
from .entities import DESCRIPTIONS
from .site import BenderLegacySite

BENDER_LEGACY = Vendor(
    key="bender_legacy",
    label="Legacy REST",
    maker="Bender",
    user_schema=user_schema,
    secret_fields=(CONF_PASSWORD,),
    async_probe=async_probe,
    create_site=BenderLegacySite,
    update_interval=timedelta(seconds=15),
    descriptions=DESCRIPTIONS,
    form_errors={
        BenderV1ControllerError: (CONF_HOST, "bender_is_v1"),
        EvseAuthenticationError: (CONF_PASSWORD, "invalid_auth"),
        EvseNotSupportedError: (CONF_HOST, "rest_disabled"),
        EvseResponseError: (CONF_HOST, "not_bender_controller"),
        EvseConnectionError: (CONF_HOST, "cannot_connect"),
    },
    diagnostics=DIAGNOSTICS,
    read_only=True,
)
