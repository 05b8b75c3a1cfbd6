"""Run simulated devices: ``python -m simulator --device bender_legacy:8081``.

A device spec is ``KIND[:PORT][,OPTION=VALUE...]``, for example
``bender_legacy:8081,firmware=old,lang=de``. Each device listens on 127.0.0.1 (or
``--host``) on its own port and has the control API under ``/_sim``.

Every value a device reports (meters, session and transaction counts) follows from
simulated time. With ``--state FILE`` that time resumes where the previous run stopped,
so a lifetime meter never goes backwards across restarts, as a real one never does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from pathlib import Path
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


#: Seconds between two saves of the simulated time (and one more at exit).
SAVE_INTERVAL_S = 10.0


def load_clock(state: Path | None, scale: float) -> SimClock:
    """The simulated clock, resumed at the time a previous run saved in ``state``."""
    start = 0.0
    if state is not None and state.is_file():
        try:
            start = float(json.loads(state.read_text("utf-8"))["now"])
        except (ValueError, KeyError, TypeError):
            _LOGGER.warning("%s is not a simulator state; starting at 0 s", state)
    return SimClock(scale=scale, start=start)


def save_clock(state: Path, clock: SimClock) -> None:
    """Write the simulated time to ``state`` (whole or not at all)."""
    state.parent.mkdir(parents=True, exist_ok=True)
    partial = state.with_suffix(state.suffix + ".tmp")
    partial.write_text(json.dumps({"now": clock.now()}), "utf-8")
    partial.replace(state)


async def _save_periodically(state: Path, clock: SimClock) -> None:
    while True:
        await asyncio.sleep(SAVE_INTERVAL_S)
        save_clock(state, clock)


async def serve(args: argparse.Namespace) -> None:
    """Start every device and run until interrupted."""
    # Handlers first: a stop asked for while devices start still saves the state.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    if sys.platform != "win32":  # the Windows event loop has no signal handlers
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    clock = load_clock(args.state, args.scale)
    if clock.now():
        print(f"resuming at {clock.now():.0f} simulated seconds from {args.state}", flush=True)
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
    saver = None
    if args.state is not None:
        saver = asyncio.create_task(_save_periodically(args.state, clock))
    await stop.wait()
    if saver is not None:
        saver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await saver
        save_clock(args.state, clock)
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
    parser.add_argument(
        "--state",
        type=Path,
        help="file keeping the simulated time across restarts (meters never go backwards)",
    )
    args = parser.parse_args(argv)
    if not args.device:
        args.device = ["bender_legacy:8081"]
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
