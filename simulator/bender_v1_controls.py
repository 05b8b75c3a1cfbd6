"""The Bender v1 controller's local whitelist and settings, for every plausible reading.

The document gives the whitelist's operations and bodies, not their paths or
methods. The default reading: ``GET /whitelist?type=local`` lists, ``POST
/whitelist`` adds, edits and clears, ``DELETE /whitelist?type=local&ids=...``
deletes. Variants (``variant=`` of the device):

- ``whitelist_put``: add, edit and clear only by ``PUT`` (``POST`` answers 405);
- ``whitelist_delete_body``: deletions only in the (deprecated) body form; the
  query alone is answered with the document's sample ``missing parameter 'tags'``.

Settings (``GET /settings``, the plain ``POST /settings`` and the validating write):

- default: every parameter in ``result`` as ``{"value": ..., <meta>}`` on a full fetch,
  the validating write at ``POST /settings/validate``, a failed validation answered 200
  with ``success: false`` and a ``cause`` on the parameters concerned;
- ``settings_flat``: bare values in ``result``, the meta in ``groups``;
- ``settings_put``: the validating write is ``PUT /settings`` (no ``/settings/validate``);
- ``settings_refused_whole``: a failed validation answers 400 ``{"success": false, "cause"}``;
- ``no_current_limit``: no writable current-limit parameter.

A ``params`` query returns bare values in every variant ("each specified settings
parameter and its value").

Refusals are the document's ``{"success": false, "cause": ...}`` answers, and,
like a real controller's, their causes quote the tag concerned (in lower case:
ids are compared without regard to case, as hex UIDs are).
"""

from __future__ import annotations

from collections.abc import Callable
import json
from typing import Any
import uuid

from aiohttp import web

WHITELIST_PUT = "whitelist_put"
WHITELIST_DELETE_BODY = "whitelist_delete_body"
SETTINGS_FLAT = "settings_flat"
SETTINGS_PUT = "settings_put"
SETTINGS_REFUSED_WHOLE = "settings_refused_whole"
NO_CURRENT_LIMIT = "no_current_limit"
VARIANTS = frozenset(
    {
        WHITELIST_PUT,
        WHITELIST_DELETE_BODY,
        SETTINGS_FLAT,
        SETTINGS_PUT,
        SETTINGS_REFUSED_WHOLE,
        NO_CURRENT_LIMIT,
    }
)
CURRENT_LIMIT_KEY = "OperatorCurrentLimit_lm"

TAG_TYPES = frozenset({"RFID", "EVCCID", "NFC"})
PRIORITIES = frozenset({"NORMAL", "HIGH"})
#: Entries the simulated controller holds at most.
WHITELIST_CAPACITY = 100

type Refusal = Callable[[web.Request], web.Response | None]


class Rejected(Exception):
    """A request the controller answers with ``success: false`` and this cause."""


def _answer(success: bool, cause: str | None = None) -> web.Response:
    if success:
        return web.json_response({"success": True})
    return web.json_response({"success": False, "cause": cause})


def _check_type(value: Any) -> None:
    if value is None:
        raise Rejected("missing parameter 'type'")
    if value != "local":
        raise Rejected("only the 'local' whitelist is supported")


def _valid_entry(item: Any) -> dict[str, Any]:
    """The stored form of one ``WhitelistEntry``; rejected like the controller would."""
    if not isinstance(item, dict):
        raise Rejected("invalid whitelist entry")
    tag_id = item.get("id")
    if not isinstance(tag_id, str) or not tag_id:
        raise Rejected("missing parameter 'id'")
    entry: dict[str, Any] = {"id": tag_id}
    if "tagType" in item:
        if item["tagType"] not in TAG_TYPES:
            raise Rejected(f"invalid tagType '{item['tagType']}' of tag '{tag_id}'")
        entry["tagType"] = item["tagType"]
    if "priority" in item:
        if item["priority"] not in PRIORITIES:
            raise Rejected(f"invalid priority '{item['priority']}' of tag '{tag_id}'")
        entry["priority"] = item["priority"]
    if "number" in item:
        if not isinstance(item["number"], int) or isinstance(item["number"], bool):
            raise Rejected(f"invalid number of tag '{tag_id}'")
        entry["number"] = item["number"]
    if "name" in item:
        if not isinstance(item["name"], str):
            raise Rejected(f"invalid name of tag '{tag_id}'")
        entry["name"] = item["name"]
    if "userid" in item:
        try:
            uuid.UUID(str(item["userid"]))
        except ValueError:
            raise Rejected(f"invalid userid of tag '{tag_id}'") from None
        entry["userid"] = str(item["userid"])
    return entry


async def _json_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    try:
        return await request.json()
    except json.JSONDecodeError:
        raise Rejected("invalid JSON") from None


class V1Whitelist:
    """The local whitelist and its routes, behind the controller's session check."""

    def __init__(self, refusal: Refusal, variant: str) -> None:
        """Answer through ``refusal`` (404/401) first; play the reading ``variant``."""
        self._refusal = refusal
        self.variant = variant
        #: Entries by tag id, in the order they were added.
        self.entries: dict[str, dict[str, Any]] = {}
        #: Write requests that changed the whitelist (measurements).
        self.writes = 0

    def add_routes(self, app: web.Application, prefix: str) -> None:
        """``/whitelist`` with the methods of this variant; other methods answer 405."""
        path = f"{prefix}/whitelist"
        app.router.add_get(path, self._list)
        app.router.add_route("POST", path, self._write)
        app.router.add_route("PUT", path, self._write)
        app.router.add_route("DELETE", path, self._delete)

    def key_of(self, tag_id: str) -> str | None:
        """The stored id matching ``tag_id`` regardless of case, or None."""
        wanted = tag_id.lower()
        return next((key for key in self.entries if key.lower() == wanted), None)

    def seed(self, entries: list[dict[str, Any]]) -> None:
        """Replace the whitelist (control action ``whitelist``)."""
        try:
            self.entries = {entry["id"]: entry for entry in map(_valid_entry, entries)}
        except Rejected as err:
            raise ValueError(str(err)) from None

    async def _list(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        try:
            _check_type(request.query.get("type"))
        except Rejected as err:
            return _answer(False, str(err))
        return web.json_response({"success": True, "tags": list(self.entries.values())})

    async def _write(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        wanted = "PUT" if self.variant == WHITELIST_PUT else "POST"
        if request.method != wanted:
            return web.Response(status=405, text="Method Not Allowed")
        try:
            self._apply(await _json_body(request))
        except Rejected as err:
            return _answer(False, str(err))
        self.writes += 1
        return _answer(True)

    def _apply(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise Rejected("missing request body")
        _check_type(body.get("type"))
        command = body.get("command")
        if command == "clear":
            self.entries.clear()
            return
        if command not in ("add", "edit"):
            raise Rejected("missing parameter 'command'" if command is None else "invalid command")
        tags = body.get("tags")
        if not isinstance(tags, list) or not tags:
            raise Rejected("missing parameter 'tags'")
        entries = [_valid_entry(item) for item in tags]
        if command == "add":
            for entry in entries:
                if self.key_of(entry["id"]) is not None:
                    raise Rejected(f"tag '{entry['id'].lower()}' already exists")
            if len(self.entries) + len(entries) > WHITELIST_CAPACITY:
                raise Rejected("whitelist is full")
            self.entries.update({entry["id"]: entry for entry in entries})
            return
        keys = []
        for entry in entries:
            if (key := self.key_of(entry["id"])) is None:
                raise Rejected(f"tag '{entry['id'].lower()}' not found")
            keys.append(key)
        for key, entry in zip(keys, entries, strict=True):
            self.entries[key].update({**entry, "id": key})

    async def _delete(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        try:
            keys = []
            for tag_id in await self._ids_to_delete(request):
                if (key := self.key_of(tag_id)) is None:
                    raise Rejected(f"tag '{tag_id.lower()}' not found")
                keys.append(key)
        except Rejected as err:
            return _answer(False, str(err))
        for key in dict.fromkeys(keys):
            del self.entries[key]
        self.writes += 1
        return _answer(True)

    async def _ids_to_delete(self, request: web.Request) -> list[str]:
        body = await _json_body(request)
        if isinstance(body, dict):
            _check_type(body.get("type"))
            if body.get("command") != "delete":
                raise Rejected("invalid command")
            tags = body.get("tags")
            if not isinstance(tags, list) or not tags:
                raise Rejected("missing parameter 'tags'")
            return [str(item.get("id")) for item in tags if isinstance(item, dict)]
        if self.variant == WHITELIST_DELETE_BODY:
            raise Rejected("missing parameter 'tags'")
        if "type" in request.query:
            _check_type(request.query["type"])
        ids = [tag_id for tag_id in request.query.get("ids", "").split(",") if tag_id]
        if not ids:
            raise Rejected("missing parameter 'ids'")
        return ids

    def describe(self) -> dict[str, Any]:
        """How many entries (never their ids) and writes."""
        return {"whitelist_entries": len(self.entries), "whitelist_writes": self.writes}


def _parameters(serial: str, with_current_limit: bool) -> dict[str, dict[str, Any]]:
    """The controller's parameters: value and meta (``reboot``: a change needs a restart)."""
    parameters: dict[str, dict[str, Any]] = {
        "HardwareCurrentLimit_hw": {
            "value": 32,
            "type": "int",
            "rw": "r",
            "unit": "A",
            "short": "Maximum current of the hardware",
            "default": 32,
        },
        "Enabled_wlan": {
            "value": "off",
            "type": "enum",
            "rw": "rw",
            "options": ["on", "off"],
            "short": "WLAN enabled",
            "default": "off",
            "reboot": True,
        },
        "WebUIStyle_web": {
            "value": "bender",
            "type": "string",
            "rw": "rw",
            "short": "Web UI style",
        },
        "OcppServerUrl_ocpp": {
            "value": "wss://backend.example/ocpp",
            "type": "string",
            "rw": "rw",
            "short": "OCPP backend URL",
            "reboot": True,
        },
        "OcppServerPassword_ocpp": {
            "value": "backend-secret",
            "type": "password",
            "rw": "rw",
            "short": "OCPP backend password",
        },
        "SerialNumber_hw": {"value": serial, "type": "string", "rw": "r", "short": "Serial number"},
    }
    if with_current_limit:
        parameters[CURRENT_LIMIT_KEY] = {
            "value": 32,
            "type": "int",
            "rw": "rw",
            "unit": "A",
            "min": 6,
            "max": 32,
            "short": "Operator current limit",
            "long": "Maximum charging current the operator allows",
            "default": 32,
        }
    return parameters


def _validation_error(parameter: dict[str, Any] | None, value: Any) -> str | None:
    """The controller's documented validation steps for one key (after the format check)."""
    if parameter is None:
        return "parameter key not found"
    if "w" not in parameter["rw"]:
        return "not allowed to change this parameter"
    kind = parameter["type"]
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return "value type is not int"
        if not parameter.get("min", value) <= value <= parameter.get("max", value):
            return "value out of range"
    elif kind == "enum":
        if value not in parameter["options"]:
            return "value is not one of the options"
    elif not isinstance(value, str):
        return "value type is not string"
    return None


class V1Settings:
    """The settings parameters and their writes, behind the controller's session check."""

    def __init__(self, refusal: Refusal, variant: str, serial: str) -> None:
        """Answer through ``refusal`` (404/401) first; play the reading ``variant``."""
        self._refusal = refusal
        self.variant = variant
        self.parameters = _parameters(serial, variant != NO_CURRENT_LIMIT)
        #: Validated writes that changed parameters (measurements).
        self.writes = 0
        #: Keys written since the last (simulated) restart whose change needs a restart.
        self.reboot_pending: set[str] = set()
        #: Told of every parameter a write changed (key, new value).
        self.on_change: Callable[[str, Any], None] | None = None

    def add_routes(self, app: web.Application, prefix: str) -> None:
        """The plain and the validating write of this variant (``GET`` is the device's)."""
        app.router.add_post(f"{prefix}/settings", self._plain_write)
        if self.variant == SETTINGS_PUT:
            app.router.add_put(f"{prefix}/settings", self._validated_write)
        else:
            app.router.add_post(f"{prefix}/settings/validate", self._validated_write)

    def value(self, key: str) -> Any:
        """A parameter's current value."""
        return self.parameters[key]["value"]

    def result(self, wanted: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """``result`` and ``groups`` of ``GET /settings`` (only ``wanted`` keys if any)."""
        if wanted:
            return {
                key: item["value"] for key, item in self.parameters.items() if key in wanted
            }, []
        meta = {
            key: {name: value for name, value in item.items() if name not in ("value", "reboot")}
            for key, item in self.parameters.items()
        }
        if self.variant == SETTINGS_FLAT:
            group = {
                "name": "All parameters",
                "params": [{"key": key, **item} for key, item in meta.items()],
            }
            return {key: item["value"] for key, item in self.parameters.items()}, [group]
        result = {
            key: {"value": self.parameters[key]["value"], **item} for key, item in meta.items()
        }
        return result, [{"name": "All parameters", "keys": list(result)}]

    async def _plain_write(self, request: web.Request) -> web.Response:
        """The documented write without validation: known keys are written as given."""
        if (refusal := self._refusal(request)) is not None:
            return refusal
        try:
            items = self._items(await _json_body(request))
        except Rejected as err:
            return _answer(False, str(err))
        return self._apply(items)

    async def _validated_write(self, request: web.Request) -> web.Response:
        if (refusal := self._refusal(request)) is not None:
            return refusal
        try:
            items = self._items(await _json_body(request))
        except Rejected as err:
            return _answer(False, str(err))
        errors = {
            key: error
            for key, value in items
            if (error := _validation_error(self.parameters.get(key), value)) is not None
        }
        if not errors:
            return self._apply(items)
        if self.variant == SETTINGS_REFUSED_WHOLE:
            first = next(iter(errors))
            return web.json_response(
                {"success": False, "cause": f"validation failed for '{first}': {errors[first]}"},
                status=400,
            )
        return web.json_response(
            {
                "params": [
                    {"key": key, "value": value, "success": False, "cause": errors[key]}
                    if key in errors
                    else {"key": key, "value": value, "success": True}
                    for key, value in items
                ],
                "reboot_required": False,
            }
        )

    @staticmethod
    def _items(body: Any) -> list[tuple[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("params"), list):
            raise Rejected("missing parameter 'params'")
        items = []
        for item in body["params"]:
            if not isinstance(item, dict) or "key" not in item or "value" not in item:
                raise Rejected('invalid format: expected {"key": ..., "value": ...}')
            items.append((str(item["key"]), item["value"]))
        return items

    def _apply(self, items: list[tuple[str, Any]]) -> web.Response:
        reboot = False
        for key, value in items:
            if (parameter := self.parameters.get(key)) is None:
                continue
            if parameter["value"] != value:
                parameter["value"] = value
                if parameter.get("reboot"):
                    self.reboot_pending.add(key)
                    reboot = True
                if self.on_change is not None:
                    self.on_change(key, value)
        self.writes += 1
        return web.json_response(
            {
                "params": [{"key": key, "value": value, "success": True} for key, value in items],
                "reboot_required": reboot,
            }
        )

    def describe(self) -> dict[str, Any]:
        """Writes and pending restarts (never values: they may be secrets)."""
        return {"settings_writes": self.writes, "reboot_pending": sorted(self.reboot_pending)}
