"""EVSE Bridge against core ``rest`` + templates for the same Legacy data, in real processes.

Run with ``scripts/benchmark --versus-rest [--controllers K] [--polls N]`` (or
``python -m benchmarks.versus_rest``). Four Home Assistant processes run at the same
time, each with its own configuration: an idle one (no integration configured, the
baseline), one with an EVSE Bridge entry per controller, and two with core ``rest:``
reading ``/rest/full_state`` of each controller, one with templates that split the
text and one with regular-expression templates. Each rest variant exposes the 25
values that EVSE Bridge enables by default for a controller (21 sensors, 4 binary
sensors; EVSE Bridge adds its session event entity and Energy today).

This process serves K simulated Legacy controllers per side on 127.0.0.1 (the
project's simulator). Every controller is mid-session: each request it answers is
15 s later in its own simulated time, and its power and temperature differ from the
last answer, so every poll changes the meter, the session energy and duration, the
power and the temperature (5 of the 25 values); the others stay as they were, as on
a real controller. Both sides poll every 15 s (EVSE Bridge's Legacy interval, the
rest resources' ``scan_interval``). After every controller has answered each side
a few times, the CPU seconds of each ``hass`` process (``/proc/<pid>/stat``, user +
system) are read at the start and end of one window of N polls, the same window
for all four. The report: CPU above the idle process per entity per poll, the ratio
of EVSE Bridge to each rest variant, and new TCP connections per request (counted
where the simulated controllers accept them). No recorder runs in any of them.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Any
import uuid

from aiohttp import web, web_protocol
from homeassistant import components

from simulator.bender_legacy import LegacyDevice
from simulator.charging import ChargingCycle, CycleTimes
from simulator.clock import SimClock
from simulator.device import build_app

REPO = Path(__file__).resolve().parent.parent
INTERVAL_S = 15
#: What core ``rest`` and the frontend (which Home Assistant always sets up) require and
#: the test environment lacks, installed apart so that environment stays as it is; on
#: the path of every process alike.
DEPS_DIR = REPO / ".dev" / "bench-deps"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Value:
    """One of the values both sides expose: a rest sensor's key, kind and unit."""

    key: str
    platform: str = "sensor"
    device_class: str | None = None
    unit: str | None = None
    state_class: str | None = None
    #: For a binary sensor: the expression of the text value ``v`` that is on.
    is_on: str | None = None
    #: For a sensor: the expression of ``v`` that is its state, where not ``v`` itself.
    expression: str | None = None


def _current(key: str) -> Value:
    return Value(key, device_class="current", unit="A", state_class="measurement")


def _text(key: str) -> Value:
    return Value(key)


#: What EVSE Bridge enables by default for a Legacy controller, as rest sensors.
VALUES: tuple[Value, ...] = (
    Value("meter_wh", device_class="energy", unit="Wh", state_class="total_increasing"),
    Value("transaction_wh", device_class="energy", unit="Wh", state_class="total_increasing"),
    Value("power_w", device_class="power", unit="W", state_class="measurement"),
    Value("time_since_charging_start", device_class="duration", unit="s"),
    Value("ambient_temp", device_class="temperature", unit="°C", state_class="measurement"),
    _current("max_current"),
    _current("sig_current"),
    _current("energy_man_current"),
    *(
        _text(key)
        for key in (
            "conn_state",
            "auth_state",
            "ocpp_state",
            "type2_state",
            "type2_proximity",
            "backend_conn_state",
            "rcmb_state",
            "rcd_state",
            "mcb_type2_state",
            "cp_id",
            "ocpp_meter_cfg",
        )
    ),
    Value(
        "errors",
        state_class="measurement",
        expression="0 if v in ('no_errors', 'keine_fehler') else v.split(';;') | length",
    ),
    Value("con_cycles_type2", state_class="total_increasing"),
    Value("errors", platform="binary_sensor", is_on="v not in ('no_errors', 'keine_fehler')"),
    Value("cable_attached", platform="binary_sensor", is_on="v == 'on'"),
    Value("free_charging", platform="binary_sensor", is_on="v == 'on'"),
    Value("wlan_state", platform="binary_sensor", is_on="v == 'wlan_connected'"),
)


def split_template(key: str) -> str:
    """The text value of ``key`` by splitting the answer, as forum recipes do."""
    return f"(('\\n' ~ value).split('\\n{key}:')[1].split('\\n')[0])"


def regex_template(key: str) -> str:
    """The text value of ``key`` by a regular expression over the answer."""
    return f"(value | regex_findall_index('(?m)^{key}:(.*)$'))"


def rest_entities(value: Value, extract: Callable[[str], str], index: int) -> dict[str, Any]:
    """The rest sensor (or binary sensor) of ``value`` for controller ``index``."""
    text = extract(value.key)
    if value.platform == "binary_sensor":
        template = f"{{% set v = {text} %}}{{{{ {value.is_on} }}}}"
    else:
        template = f"{{% set v = {text} %}}{{{{ {value.expression or 'v'} }}}}"
    config: dict[str, Any] = {
        "name": f"Controller {index} {value.key}",
        "unique_id": f"controller_{index}_{value.platform}_{value.key}",
        "value_template": template,
    }
    if value.device_class:
        config["device_class"] = value.device_class
    if value.unit:
        config["unit_of_measurement"] = value.unit
    if value.state_class:
        config["state_class"] = value.state_class
    return config


def rest_configuration(ports: Sequence[int], extract: Callable[[str], str]) -> dict[str, Any]:
    """``rest:`` with one resource per controller and its 25 values."""
    resources = []
    for index, port in enumerate(ports):
        resource: dict[str, Any] = {
            "resource": f"http://127.0.0.1:{port}/rest/full_state",
            "scan_interval": INTERVAL_S,
            "timeout": 10,
        }
        for value in VALUES:
            resource.setdefault(value.platform, []).append(rest_entities(value, extract, index))
        resources.append(resource)
    return {"rest": resources}


def bridge_entries(ports: Sequence[int], serials: Sequence[str]) -> dict[str, Any]:
    """The ``core.config_entries`` store: one EVSE Bridge Legacy entry per controller."""
    now = datetime.now(UTC).isoformat()
    entries = [
        {
            "created_at": now,
            "data": {"vendor": "bender_legacy", "host": f"127.0.0.1:{port}"},
            "disabled_by": None,
            "discovery_keys": {},
            "domain": "evse_bridge",
            "entry_id": uuid.uuid4().hex,
            "minor_version": 2,
            "modified_at": now,
            "options": {},
            "pref_disable_new_entities": False,
            "pref_disable_polling": False,
            "source": "user",
            "subentries": [],
            "title": f"Controller {index}",
            "unique_id": serial,
            "version": 1,
        }
        for index, (port, serial) in enumerate(zip(ports, serials, strict=True))
    ]
    return {
        "version": 1,
        "minor_version": 5,
        "key": "core.config_entries",
        "data": {"entries": entries},
    }


class ChargingController(LegacyDevice):
    """A Legacy controller mid-session whose every answer is one poll later."""

    def __init__(self, serial: str) -> None:
        """Start charging (a session far longer than the run) on a clock of its own."""
        clock = SimClock(scale=0, start=200)
        super().__init__(clock, serial=serial, charge_point_id=f"+49839{serial[-8:]}")
        self.cycle = ChargingCycle(times=CycleTimes(charging=10**7))
        self.answers = 0

    def full_state(self) -> dict[str, str]:
        """The next poll's values: 15 s on, power and temperature moved."""
        self.answers += 1
        self.clock.advance(INTERVAL_S)
        state = super().full_state()
        swing = self.answers % 40
        state["power_w"] = str(10400 + 15 * swing)
        state["ambient_temp"] = f"{25.0 + swing / 20:+.2f}"
        return state


@dataclass
class Side:
    """One Home Assistant process and the controllers it polls."""

    name: str
    config_dir: Path
    controllers: list[ChargingController] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    process: asyncio.subprocess.Process | None = None

    def requests(self) -> int:
        """Requests the side's controllers answered so far."""
        return sum(sum(device.stats.by_path.values()) for device in self.controllers)

    def cpu_s(self) -> float:
        """User + system CPU seconds of the process so far."""
        assert self.process is not None
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_config(side: Side, configuration: dict[str, Any] | None = None) -> None:
    """The process's ``configuration.yaml`` (JSON is YAML) and, for a bridge, its entries."""
    side.config_dir.mkdir(parents=True)
    base: dict[str, Any] = {
        "homeassistant": {
            "name": side.name,
            "latitude": 52.5,
            "longitude": 13.4,
            "elevation": 0,
            "unit_system": "metric",
            "time_zone": "UTC",
        },
        "logger": {"default": "warning"},
        # Home Assistant always serves its frontend: each on a port of its own.
        "http": {"server_host": "127.0.0.1", "server_port": free_port()},
    }
    base |= configuration or {}
    (side.config_dir / "configuration.yaml").write_text(json.dumps(base, indent=1))


def prepare_bridge(side: Side) -> None:
    """Link this checkout's integration and store one entry per controller."""
    write_config(side)
    custom = side.config_dir / "custom_components"
    custom.mkdir()
    (custom / "evse_bridge").symlink_to(REPO / "custom_components" / "evse_bridge")
    storage = side.config_dir / ".storage"
    storage.mkdir()
    serials = [device.serial for device in side.controllers]
    (storage / "core.config_entries").write_text(json.dumps(bridge_entries(side.ports, serials)))


async def serve(side: Side, count: int, first_serial: int) -> list[web.AppRunner]:
    """Start ``count`` controllers for ``side`` on free ports."""
    runners = []
    for number in range(first_serial, first_serial + count):
        device = ChargingController(f"1703512493/b{number:08d}")
        runner = web.AppRunner(build_app(device), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        side.controllers.append(device)
        side.ports.append(runner.addresses[0][1])
        runners.append(runner)
    return runners


def count_connections(sides: Sequence[Side]) -> Counter[str]:
    """New TCP connections accepted, per side, from now on."""
    owner = {port: side.name for side in sides for port in side.ports}
    accepted: Counter[str] = Counter()
    made = web_protocol.RequestHandler.connection_made

    def counting(handler: web_protocol.RequestHandler, transport: Any) -> None:
        name = owner.get(transport.get_extra_info("sockname")[1])
        if name is not None:
            accepted[name] += 1
        made(handler, transport)

    web_protocol.RequestHandler.connection_made = counting  # type: ignore[method-assign]
    return accepted


def ensure_requirements() -> None:
    """Install core ``rest``'s and the frontend's requirements into ``DEPS_DIR`` once."""
    requirements = [
        requirement
        for domain in ("rest", "frontend")
        for requirement in json.loads(
            (Path(components.__file__).parent / domain / "manifest.json").read_text()
        )["requirements"]
    ]
    marker = DEPS_DIR / "requirements.txt"
    if marker.is_file() and marker.read_text().split() == requirements:
        return
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    command = [uv, "pip", "install", "--quiet", "--python", sys.executable]
    if os.spawnv(os.P_WAIT, uv, [*command, "--target", str(DEPS_DIR), *requirements]):
        raise SystemExit(f"could not install {' '.join(requirements)} into {DEPS_DIR}")
    marker.write_text("\n".join(requirements))


async def start(side: Side, profile: Path | None = None) -> None:
    """Start the side's Home Assistant (its own configuration, no package installs).

    With ``profile``, its event loop is profiled in the measured window (see
    ``benchmarks/profiled_hass.py``) and the statistics are written there.
    """
    env = dict(os.environ, PYTHONPATH=str(DEPS_DIR))
    module = "homeassistant"
    if profile is not None:
        env |= {"PYTHONPATH": f"{DEPS_DIR}:{REPO}", "EVSE_BRIDGE_PROFILE": str(profile)}
        module = "benchmarks.profiled_hass"
    log = (side.config_dir / "stdout.log").open("wb")
    side.process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "-c",
        str(side.config_dir),
        "--skip-pip",
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        # Not this checkout: its custom_components would be found by every process.
        cwd=side.config_dir,
    )


async def wait_polling(sides: Sequence[Side], polls: int, timeout_s: float) -> None:
    """Until every controller has answered ``polls`` requests of its side."""
    deadline = time.monotonic() + timeout_s
    while any(device.answers < polls for side in sides for device in side.controllers):
        if time.monotonic() > deadline:
            late = [
                side.name
                for side in sides
                if any(device.answers < polls for device in side.controllers)
            ]
            raise SystemExit(f"not polling after {timeout_s:.0f} s: {', '.join(late)}")
        for side in sides:
            if side.process is not None and side.process.returncode is not None:
                raise SystemExit(f"{side.name} exited; see {side.config_dir}/stdout.log")
        await asyncio.sleep(1)


def entity_counts(side: Side) -> tuple[int, int]:
    """Entities of the side's registry: enabled, all."""
    registry = side.config_dir / ".storage" / "core.entity_registry"
    if not registry.is_file():
        return 0, 0
    entities = json.loads(registry.read_text())["data"]["entities"]
    return sum(1 for entity in entities if entity["disabled_by"] is None), len(entities)


async def stop(sides: Sequence[Side]) -> None:
    """Stop every process (as Ctrl-C would) and wait for it."""
    for side in sides:
        if side.process is not None and side.process.returncode is None:
            side.process.terminate()
    for side in sides:
        if side.process is not None:
            try:
                await asyncio.wait_for(side.process.wait(), 60)
            except TimeoutError:
                side.process.kill()
                await side.process.wait()


async def run(controllers: int, polls: int, keep: bool, profile: Path | None = None) -> None:
    """Set up the four processes, measure one window, report."""
    ensure_requirements()
    root = Path(tempfile.mkdtemp(prefix="evse-bridge-versus-rest-"))
    idle = Side("idle", root / "idle")
    bridge = Side("EVSE Bridge", root / "evse_bridge")
    split = Side("rest, split templates", root / "rest_split")
    regex = Side("rest, regex templates", root / "rest_regex")
    polled = (bridge, split, regex)
    runners = []
    for number, side in enumerate(polled):
        runners += await serve(side, controllers, number * 1000)
    write_config(idle)
    prepare_bridge(bridge)
    write_config(split, rest_configuration(split.ports, split_template))
    write_config(regex, rest_configuration(regex.ports, regex_template))
    accepted = count_connections(polled)
    sides = (idle, *polled)
    print(f"{controllers} controllers per side, polls every {INTERVAL_S} s; configs in {root}")
    try:
        for side in sides:
            await start(side, profile if side is bridge else None)
        # Set-up reads each controller once or twice; from the third poll on it is steady.
        await wait_polling(polled, 3, timeout_s=600)
        load_before = os.getloadavg()
        start_cpu = {side.name: side.cpu_s() for side in sides}
        start_requests = {side.name: side.requests() for side in polled}
        start_connections = dict(accepted)
        started = time.monotonic()
        if profile is not None:
            assert bridge.process is not None
            bridge.process.send_signal(signal.SIGUSR1)
        await asyncio.sleep(polls * INTERVAL_S)
        elapsed = time.monotonic() - started
        if profile is not None:
            assert bridge.process is not None
            bridge.process.send_signal(signal.SIGUSR2)
        cpu = {side.name: side.cpu_s() - start_cpu[side.name] for side in sides}
        requests = {side.name: side.requests() - start_requests[side.name] for side in polled}
        connections = {
            side.name: accepted[side.name] - start_connections.get(side.name, 0) for side in polled
        }
        load_after = os.getloadavg()
    finally:
        await stop(sides)
        for runner in runners:
            await runner.cleanup()
    enabled, registered = entity_counts(bridge)
    report(
        controllers,
        elapsed,
        cpu,
        requests,
        connections,
        (load_before, load_after),
        (enabled, registered),
    )
    if not keep:
        shutil.rmtree(root, ignore_errors=True)


def report(
    controllers: int,
    elapsed: float,
    cpu: dict[str, float],
    requests: dict[str, int],
    connections: dict[str, int],
    load: tuple[tuple[float, ...], tuple[float, ...]],
    bridge_entities: tuple[int, int],
) -> None:
    """Print the window's figures as a Markdown table."""
    idle = cpu["idle"]
    per_entity = {}
    print(
        f"\nWindow: {elapsed:.0f} s; idle Home Assistant used {idle:.2f} CPU s; load average "
        f"{load[0][0]:.2f} before, {load[1][0]:.2f} after ({os.cpu_count()} CPUs). EVSE Bridge "
        f"registered {bridge_entities[1]} entities, {bridge_entities[0]} enabled "
        f"({bridge_entities[0] / controllers:.0f} per controller: the {len(VALUES)} values, "
        f"the session event and Energy today); rest: {len(VALUES)} per controller.\n"
    )
    print(
        "| side | CPU s | above idle | requests | polls per controller | ms CPU per entity "
        "per poll | new connections per request |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, used in cpu.items():
        if name == "idle":
            continue
        above = used - idle
        polls = requests[name] / controllers
        per_entity[name] = above * 1000 / (requests[name] * len(VALUES))
        print(
            f"| {name} | {used:.2f} | {above:.2f} | {requests[name]} | {polls:.1f} "
            f"| {per_entity[name]:.4f} | {connections[name]}/{requests[name]} |"
        )
    bridge = per_entity["EVSE Bridge"]
    for name, value in per_entity.items():
        if name != "EVSE Bridge":
            print(f"\nEVSE Bridge / {name}: {bridge / value:.2f}x")


def main(argv: list[str] | None = None) -> None:
    """Command line: ``--controllers K --polls N [--keep]``."""
    parser = argparse.ArgumentParser(prog="scripts/benchmark --versus-rest", description=__doc__)
    parser.add_argument("--controllers", type=int, default=10, help="per side (default 10)")
    parser.add_argument("--polls", type=int, default=8, help="measured window (default 8)")
    parser.add_argument("--keep", action="store_true", help="keep the configurations and logs")
    parser.add_argument(
        "--profile",
        type=Path,
        help="write a cProfile of EVSE Bridge's event loop in the window here (inflates its CPU)",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.controllers, args.polls, args.keep, args.profile))


if __name__ == "__main__":
    main()
