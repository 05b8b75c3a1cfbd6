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


@dataclass
class Faults:
    """What goes wrong with the next answers of a device.

    ``mode`` applies to every request outside the control API until it is
    reset to ``none``; ``latency`` delays every answer by that many seconds.
    """

    mode: str = "none"
    latency: float = 0.0

    def update(self, values: dict[str, Any]) -> None:
        """Set the knobs named in ``values``; unknown names or modes raise ValueError."""
        known = {item.name for item in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fault knobs: {sorted(unknown)}")
        mode = values.get("mode", self.mode)
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}")
        self.mode = mode
        self.latency = float(values.get("latency", self.latency))


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
