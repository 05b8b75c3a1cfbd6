"""Constants of the EVSE Bridge integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "evse_bridge"
LOGGER = logging.getLogger(__package__)

CONF_VENDOR: Final = "vendor"
#: SHA-256 fingerprint (lowercase hex) of a device certificate the user chose to trust.
CONF_FINGERPRINT: Final = "fingerprint"
#: Option: events and session history carry the tag id itself instead of a pseudonym.
CONF_INCLUDE_TAG_IDS: Final = "include_tag_ids"

#: Version of the stored config entries; vendors migrate older minor versions.
CONFIG_VERSION: Final = 1
CONFIG_MINOR_VERSION: Final = 2
#: The title the integration gave the entry (from what the device says about itself): a
#: reconfigure or reauthentication updates the title only while it is still this one.
CONF_AUTOMATIC_TITLE: Final = "automatic_title"
