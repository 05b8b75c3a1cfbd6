"""Fault injection shared by every simulated device."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from aiohttp import web

CONTROL_PREFIX = "/_sim"

FAULT_MODES = ("none", "http_500", "http_401", "garbage", "truncated", "drop")
#: What one path may do instead of answering (``Faults.paths``): an error status, an
#: answer that never comes (the client times out) or a connection reset.
PATH_FAULT_MODES = ("http_404", "http_405", "http_500", "http_503", "timeout", "drop")


@dataclass
class Faults:
    """What goes wrong with the next answers of a device.

    ``mode`` applies to every request outside the control API until it is
    reset to ``none``; ``latency`` delays every answer by that many seconds;
    ``paths`` maps a request path (as the device serves it) to one of
    ``PATH_FAULT_MODES`` for that path alone, the others answering normally.
    """

    mode: str = "none"
    latency: float = 0.0
    paths: dict[str, str] = field(default_factory=dict)

    def update(self, values: dict[str, Any]) -> None:
        """Set the knobs named in ``values``; unknown names or modes raise ValueError."""
        known = {item.name for item in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fault knobs: {sorted(unknown)}")
        mode = values.get("mode", self.mode)
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}")
        paths = dict(values.get("paths", self.paths))
        if bad := sorted(mode for mode in paths.values() if mode not in PATH_FAULT_MODES):
            raise ValueError(f"unknown path fault modes {bad}")
        self.mode = mode
        self.latency = float(values.get("latency", self.latency))
        self.paths = paths


@dataclass
class RequestStats:
    """How often each path was requested, for tests and the benchmark."""

    by_path: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return {"total": sum(self.by_path.values()), "by_path": dict(self.by_path)}


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def fault_middleware(faults: Faults, stats: RequestStats) -> Any:
    """Build the middleware that counts requests and applies ``faults``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        stats.by_path[f"{request.method} {request.path}"] += 1
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if (path_mode := faults.paths.get(request.path)) is not None:
            return await _path_fault(request, path_mode)
        mode = faults.mode
        if mode == "http_500":
            return web.Response(status=500, text="internal error")
        if mode == "http_401":
            return web.Response(status=401, text="unauthorized")
        if mode == "garbage":
            return web.Response(
                body=b"\x00\xff<html>garbage}{", content_type="application/octet-stream"
            )
        if mode == "drop":
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError
        response = await handler(request)
        if mode == "truncated" and isinstance(response, web.Response) and response.body:
            return await _truncated(request, response)
        return response

    return middleware


#: How long a path in ``timeout`` mode keeps the client waiting: longer than any client waits.
PATH_TIMEOUT_S = 3600.0


async def _path_fault(request: web.Request, mode: str) -> web.StreamResponse:
    """Answer one path as ``mode`` says, whatever the handler would have answered."""
    if mode == "timeout":
        await asyncio.sleep(PATH_TIMEOUT_S)
    if mode in ("timeout", "drop"):
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
    status = int(mode.removeprefix("http_"))
    return web.json_response({"message": f"simulated HTTP {status}"}, status=status)


async def _truncated(request: web.Request, response: web.Response) -> web.StreamResponse:
    """Announce the full length, send half the body, then drop the connection."""
    body = bytes(response.body)  # type: ignore[arg-type]
    truncated = web.StreamResponse(status=response.status)
    truncated.content_type = response.content_type
    truncated.content_length = len(body)
    await truncated.prepare(request)
    await truncated.write(body[: max(1, len(body) // 2)])
    if request.transport is not None:
        request.transport.abort()
    return truncated


def faults_as_dict(faults: Faults) -> dict[str, Any]:
    """JSON-ready copy of the knobs."""
    return asdict(faults)
