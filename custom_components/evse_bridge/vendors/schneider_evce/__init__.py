"""Schneider EcoStruxure EV Charging Expert: a hub with stations, zones and power meters.

The package splits by role: ``model`` (device kinds, their data, the key book),
``site`` (polling the hub into devices), ``config`` (form, certificate, connection
test), ``entities``, ``sessions``, ``actions``, ``errors`` and ``migrations``.
"""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME

from ...api import (
    EvseAuthenticationError,
    EvseCertificateError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseResponseError,
)
from ...api.schneider_evce import EvcePermissionError
from ...contract.vendor import Vendor
from .actions import SERVICES
from .config import async_certificate_fingerprint, async_probe, user_schema
from .diagnostics import DIAGNOSTICS
from .entities import DESCRIPTIONS
from .migrations import async_migrate
from .model import CONF_CERTIFICATE
from .site import EvceSite

SCHNEIDER_EVCE = Vendor(
    key="schneider_evce",
    label="EVCE",
    maker="Schneider",
    user_schema=user_schema,
    secret_fields=(CONF_PASSWORD,),
    async_probe=async_probe,
    create_site=EvceSite,
    update_interval=timedelta(seconds=30),
    descriptions=DESCRIPTIONS,
    services=SERVICES,
    form_errors={
        EvcePermissionError: (CONF_USERNAME, "evce_no_permission"),
        EvseAuthenticationError: (CONF_PASSWORD, "invalid_auth"),
        EvseCertificateError: (CONF_CERTIFICATE, "evce_certificate_untrusted"),
        EvseNotSupportedError: (CONF_HOST, "not_supported"),
        EvseResponseError: (CONF_HOST, "unexpected_answer"),
        EvseConnectionError: (CONF_HOST, "cannot_connect"),
    },
    diagnostics=DIAGNOSTICS,
    async_certificate_fingerprint=async_certificate_fingerprint,
    async_migrate_entry=async_migrate,
)
