"""Bender v1: what the site keeps of the controller's settings between polls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.helpers import issue_registry as ir

from ...api import EvseNotSupportedError
from ...api.bender_v1 import BenderV1Client, SettingParameter, find_current_limit
from ...const import DOMAIN

#: How often the current limit's value is read again (one small request): it changes rarely,
#: and a write through Home Assistant reads it back at the next poll.
CURRENT_LIMIT_INTERVAL = timedelta(minutes=5)
REBOOT_ISSUE = "reboot_required"


class V1Controls:
    """What the site keeps for the settings: the current-limit parameter and the restart issue.

    The current limit is found once in the full settings (with meta); afterwards only
    its value is read, every ``CURRENT_LIMIT_INTERVAL`` or after a write.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, client: BenderV1Client):
        """Keep what the poll and the repair issue need; an entry set up anew has no issue."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._searched = False
        self._current_limit: SettingParameter | None = None
        self._due: datetime | None = None
        #: Logins the client had made when a change needing a restart was written.
        self._reboot_logins: int | None = None
        ir.async_delete_issue(hass, DOMAIN, self.reboot_issue_id)

    @property
    def reboot_issue_id(self) -> str:
        """The repair issue of this entry's pending restart."""
        return f"{REBOOT_ISSUE}_{self._entry.entry_id}"

    async def async_current_limit(self, now: datetime) -> SettingParameter | None:
        """The charging current limit parameter, if the controller's meta identifies one."""
        self._check_rebooted()
        if not self._searched:
            self._searched = True
            try:
                self._current_limit = find_current_limit(await self._client.settings())
            except EvseNotSupportedError:
                return None
            self._due = now + CURRENT_LIMIT_INTERVAL
            return self._current_limit
        limit = self._current_limit
        if limit is None or (self._due is not None and now < self._due):
            return limit
        fresh = (await self._client.settings([limit.key])).get(limit.key)
        if fresh is not None:
            # A values-only answer keeps the meta found at first.
            self._current_limit = SettingParameter(
                key=limit.key, value=fresh.value, meta={**limit.meta, **fresh.meta}
            )
        self._due = now + CURRENT_LIMIT_INTERVAL
        return self._current_limit

    async def async_set(self, device_name: str, values: Mapping[str, Any]) -> ServiceResponse:
        """Validated write; a change that needs a restart opens the repair issue."""
        result = await self._client.set_settings(values)
        if self._current_limit is not None and self._current_limit.key in values:
            # Read the written value back at the next poll.
            self._due = None
        if result.reboot_required:
            self._reboot_logins = self._client.login_count
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self.reboot_issue_id,
                is_fixable=False,
                is_persistent=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=REBOOT_ISSUE,
                translation_placeholders={"controller": device_name},
            )
        return {"params": list(result.params), "reboot_required": result.reboot_required}

    def _check_rebooted(self) -> None:
        """A restart ends the API session: a new login since the write means it happened."""
        if self._reboot_logins is not None and self._client.login_count > self._reboot_logins:
            self._reboot_logins = None
            ir.async_delete_issue(self._hass, DOMAIN, self.reboot_issue_id)
