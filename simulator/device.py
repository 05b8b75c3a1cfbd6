"""What every simulated device offers, and the app that serves one."""

from __future__ import annotations

from abc import ABC, abstractmethod
import json
import ssl
from typing import Any

from aiohttp import web

from .clock import SimClock
from .faults import CONTROL_PREFIX, Faults, RequestStats, fault_middleware, faults_as_dict


class SimDevice(ABC):
    """A simulated controller, hub or cloud account.

    Subclasses add their vendor routes in ``add_routes`` and answer their own
    control actions (``POST /_sim/action/<name>``) in ``control``.
    """

    #: Name used on the command line and in logs.
    kind: str = ""
    #: Serve over HTTPS (with a certificate generated at start).
    tls: bool = False

    def __init__(self, clock: SimClock | None = None) -> None:
        """Share a clock with the other devices, or start one of its own."""
        self.clock = clock or SimClock()
        self.faults = Faults()
        self.stats = RequestStats()

    @classmethod
    def from_options(cls, clock: SimClock, options: dict[str, str]) -> SimDevice:
        """Build the device from ``KEY=VALUE`` command-line options."""
        if options:
            raise ValueError(f"{cls.kind} takes no options, got {sorted(options)}")
        return cls(clock)

    def ssl_context(self) -> ssl.SSLContext:
        """The server-side TLS context of an HTTPS device."""
        raise TypeError(f"{self.kind} is served over plain HTTP")

    @abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Register the vendor API's routes on ``app``."""

    def control(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a vendor-specific control action; unknown actions raise KeyError."""
        raise KeyError(action)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready view of the device's state for ``GET /_sim/state``."""
        return {"kind": self.kind}


def build_app(device: SimDevice) -> web.Application:
    """The aiohttp application of one device, with faults and the control API."""
    app = web.Application(middlewares=[fault_middleware(device.faults, device.stats)])
    device.add_routes(app)

    async def set_faults(request: web.Request) -> web.Response:
        try:
            device.faults.update(await request.json())
        except (ValueError, TypeError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response(faults_as_dict(device.faults))

    async def advance(request: web.Request) -> web.Response:
        seconds = float(request.query.get("seconds", "0"))
        return web.json_response({"now": device.clock.advance(seconds)})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(device.stats.as_dict())

    async def reset_stats(request: web.Request) -> web.Response:
        device.stats.by_path.clear()
        return web.json_response({})

    async def state(request: web.Request) -> web.Response:
        return web.json_response(device.describe())

    async def action(request: web.Request) -> web.Response:
        params: dict[str, Any] = {}
        if request.can_read_body:
            try:
                params = await request.json()
            except json.JSONDecodeError:
                return web.json_response({"error": "body is not JSON"}, status=400)
        try:
            result = device.control(request.match_info["name"], params)
        except KeyError:
            return web.json_response({"error": "unknown action"}, status=404)
        except (ValueError, TypeError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response(result)

    app.router.add_post(f"{CONTROL_PREFIX}/faults", set_faults)
    app.router.add_post(f"{CONTROL_PREFIX}/advance", advance)
    app.router.add_get(f"{CONTROL_PREFIX}/stats", stats)
    app.router.add_post(f"{CONTROL_PREFIX}/stats/reset", reset_stats)
    app.router.add_get(f"{CONTROL_PREFIX}/state", state)
    app.router.add_post(f"{CONTROL_PREFIX}/action/{{name}}", action)
    return app
