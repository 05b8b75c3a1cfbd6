"""Run simulated devices: ``python -m simulator --device bender_legacy:8081``.

A device spec is ``KIND[:PORT][,OPTION=VALUE...]``, for example
``bender_legacy:8081,firmware=old,lang=de``. Each device listens on 127.0.0.1 (or
``--host``) on its own port and has the control API under ``/_sim``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aiohttp import web

from .clock import SimClock
from .device import build_app
from .registry import DEVICE_TYPES, create_device

_LOGGER = logging.getLogger("simulator")


def parse_spec(spec: str) -> tuple[str, int, dict[str, str]]:
    """Split ``KIND[:PORT][,K=V...]`` into its parts."""
    head, *option_parts = spec.split(",")
    kind, _, port_text = head.partition(":")
    if kind not in DEVICE_TYPES:
        raise argparse.ArgumentTypeError(
            f"unknown device kind {kind!r}; choose from {', '.join(DEVICE_TYPES)}"
        )
    options: dict[str, str] = {}
    for part in option_parts:
        key, sep, value = part.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"option {part!r} is not KEY=VALUE")
        options[key.strip()] = value.strip()
    return kind, int(port_text or 0), options


async def serve(args: argparse.Namespace) -> None:
    """Start every device and run until interrupted."""
    clock = SimClock(scale=args.scale)
    runners: list[web.AppRunner] = []
    for spec in args.device:
        kind, port, options = parse_spec(spec)
        device = create_device(kind, clock, options)
        if args.fault:
            device.faults.update({"mode": args.fault})
        if args.latency:
            device.faults.update({"latency": args.latency})
        runner = web.AppRunner(build_app(device), access_log=None)
        await runner.setup()
        ssl_context = device.ssl_context() if device.tls else None
        site = web.TCPSite(runner, args.host, port, ssl_context=ssl_context)
        await site.start()
        runners.append(runner)
        scheme = "https" if device.tls else "http"
        print(f"{kind} listening on {scheme}://{args.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if sys.platform != "win32":  # the Windows event loop has no signal handlers
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for runner in runners:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--device",
        action="append",
        default=[],
        metavar="SPEC",
        help="a device to run (repeatable); default: bender_legacy:8081",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="simulated seconds per real second (0 freezes time)",
    )
    parser.add_argument(
        "--fault",
        choices=("none", "http_500", "http_401", "garbage", "truncated", "drop"),
        help="start every device with this fault",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    args = parser.parse_args(argv)
    if not args.device:
        args.device = ["bender_legacy:8081"]
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
