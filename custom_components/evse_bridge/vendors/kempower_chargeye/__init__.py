"""Kempower ChargEye cloud: one entry per organisation, one device per station and connector.

The whole account is one ``GET /stations`` per poll (every 60 s: the cloud's
rate limits are unpublished). Stations and connectors that appear or vanish
in the account become or stop being devices at the next poll. Connectors are
devices of their own, linked to their station, so that every connector gets
the same set of entities.

Where the account uses Kempower's load balancing, each power group is a device too
(read every few minutes, optional: ``power_groups``).

``config`` holds the form and the connection test, ``site`` the polling and the
commands, ``entities``, ``limits`` and ``power_groups`` the descriptions, ``actions`` the
actions.
"""

from __future__ import annotations

from datetime import timedelta

from ...api import (
    EvseAuthenticationError,
    EvseConnectionError,
    EvseNotSupportedError,
    EvseRateLimitedError,
    EvseResponseError,
)
from ...api.kempower_chargeye import DEFAULT_BASE_URL, ChargEyePermissionError
from ...contract.vendor import Vendor
from .actions import SERVICES
from .config import (
    CONF_LOCATION,
    CONF_REFRESH_TOKEN,
    InsecureServerError,
    NoStationsError,
    async_probe,
    server_address,
    user_schema,
)
from .diagnostics import DIAGNOSTICS
from .entities import DESCRIPTIONS
from .model import KEY
from .site import ChargEyeSite

KEMPOWER_CHARGEYE = Vendor(
    key=KEY,
    label="ChargEye",
    maker="Kempower",
    form_placeholders={"default_server_url": DEFAULT_BASE_URL},
    user_schema=user_schema,
    secret_fields=(CONF_REFRESH_TOKEN,),
    address=server_address,
    location_field=CONF_LOCATION,
    async_probe=async_probe,
    create_site=ChargEyeSite,
    update_interval=timedelta(seconds=60),
    descriptions=DESCRIPTIONS,
    services=SERVICES,
    form_errors={
        NoStationsError: (CONF_LOCATION, "no_stations"),
        InsecureServerError: ("base", "insecure_server_url"),
        EvseAuthenticationError: (CONF_REFRESH_TOKEN, "invalid_refresh_token"),
        ChargEyePermissionError: ("base", "chargeye_no_permission"),
        EvseRateLimitedError: ("base", "rate_limited"),
        EvseNotSupportedError: ("base", "not_chargeye"),
        EvseResponseError: ("base", "not_chargeye"),
        EvseConnectionError: ("base", "cannot_connect_cloud"),
    },
    diagnostics=DIAGNOSTICS,
)
