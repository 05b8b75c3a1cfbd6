"""``scripts/develop --check``: a non-interactive smoke check on a real Home Assistant.

Starts the simulator and Home Assistant (the Python running this script, from its venv)
on free ports with a fresh configuration under ``.dev/``, adds every simulated controller
and the site power budget through the config-flow API exactly as ``scripts/develop`` does,
and then asserts:

- every entry of the integration is loaded;
- every entry has entities with values (not only unknown or unavailable);
- Home Assistant's log has no ERROR line and no report against this integration
  ("Detected that custom integration 'evse_bridge' ...", a deprecated API in use).

Exits 0 when all hold, 1 otherwise; stops everything it started. Free ports and its own
configuration directory let it run while ``scripts/develop`` runs. Standard library only.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dev_bootstrap  # the sibling script, found through sys.path above

REPO = dev_bootstrap.REPO
DOMAIN = dev_bootstrap.DOMAIN
REPORT = f"Detected that custom integration '{DOMAIN}'"
NO_VALUE = {"unknown", "unavailable", "None", ""}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _moved(value: Any, old: int, new: int) -> Any:
    """``value`` with every ``127.0.0.1:old`` in its strings pointing at ``new``."""
    if isinstance(value, str):
        return value.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}")
    if isinstance(value, dict):
        return {key: _moved(item, old, new) for key, item in value.items()}
    return value


def controllers_on_free_ports(work: Path) -> list[dev_bootstrap.SimulatedController]:
    """The simulated controllers of scripts/develop, moved to free ports."""
    moved = []
    for controller in dev_bootstrap.available_controllers():
        port = free_port()
        options = dict(controller.options)
        if "cert_dir" in options:
            options["cert_dir"] = str(work / "certs")
        moved.append(
            dataclasses.replace(
                controller,
                port=port,
                options=options,
                form=_moved(controller.form, controller.port, port),
            )
        )
    return moved


def stop(process: subprocess.Popen[bytes], name: str) -> None:
    """Stop ``process`` (SIGTERM, then SIGKILL after 60 s)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        print(f"dev_check: {name} did not stop in 60 s; killing it")
        process.kill()
        process.wait()


def entry_states(api: dev_bootstrap.HomeAssistantApi) -> dict[str, tuple[str, str]]:
    """Entry ID -> (title, state) of this integration's config entries."""
    status, entries = api.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    if status != 200:
        raise SystemExit(f"dev_check: cannot list the config entries: {status} {entries}")
    return {item["entry_id"]: (item["title"], item["state"]) for item in entries}


def entity_values(api: dev_bootstrap.HomeAssistantApi) -> dict[str, list[tuple[str, str]]]:
    """Entry ID -> [(entity ID, state)] of this integration's entities."""
    template = (
        "{% for e in integration_entities('" + DOMAIN + "') %}"
        "{{ config_entry_id(e) }} {{ e }} {{ states(e) }}\n"
        "{% endfor %}"
    )
    status, text = api.call("POST", "/api/template", {"template": template})
    if status != 200:
        raise SystemExit(f"dev_check: cannot render the entity template: {status} {text}")
    found: dict[str, list[tuple[str, str]]] = {}
    for line in str(text).splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3:
            found.setdefault(parts[0], []).append((parts[1], parts[2].strip()))
    return found


def check_entities(api: dev_bootstrap.HomeAssistantApi, timeout_s: float) -> list[str]:
    """Wait until every entry is loaded and has entities with values; the problems left."""
    deadline = time.monotonic() + timeout_s
    while True:
        problems = []
        entries = entry_states(api)
        values = entity_values(api)
        if not entries:
            problems.append("no config entry of the integration")
        for entry_id, (title, state) in entries.items():
            if state != "loaded":
                problems.append(f"entry {title!r} is {state}")
                continue
            entities = values.get(entry_id, [])
            with_value = [item for item in entities if item[1] not in NO_VALUE]
            if not with_value:
                problems.append(f"entry {title!r}: none of {len(entities)} entities has a value")
        if not problems or time.monotonic() > deadline:
            for entry_id, (title, state) in entries.items():
                entities = values.get(entry_id, [])
                with_value = sum(1 for item in entities if item[1] not in NO_VALUE)
                print(f"dev_check: {title!r} {state}: {with_value}/{len(entities)} with values")
            return problems
        time.sleep(2)


def check_log(log: Path) -> list[str]:
    """ERROR lines and reports against this integration in Home Assistant's log.

    Home Assistant also sets up integrations of its own whose packages ``--skip-pip``
    leaves out (tts, camera, conversation, ...); their set-up errors are not this
    integration's and are only counted.
    """
    if not log.is_file():
        return [f"no log at {log}"]
    problems = []
    others = 0
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if REPORT in line:
            problems.append(f"log: {line.strip()}")
        elif " ERROR " in line:
            if "[homeassistant.setup]" in line and DOMAIN not in line:
                others += 1
            else:
                problems.append(f"log: {line.strip()}")
    if others:
        print(f"dev_check: ignored {others} set-up errors of other integrations (no packages)")
    return problems


def run(settle_s: float, timeout_s: float) -> int:
    """The whole check; 0 when everything holds."""
    (REPO / ".dev").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="check-", dir=REPO / ".dev"))
    config_dir = work / "config"
    ha_port = free_port()
    url = f"http://127.0.0.1:{ha_port}"
    dev_bootstrap.prepare(config_dir)
    configuration = config_dir / "configuration.yaml"
    configuration.write_text(
        configuration.read_text(encoding="utf-8").replace("8123", str(ha_port)), encoding="utf-8"
    )
    controllers = controllers_on_free_ports(work)
    # The login client ID names the instance's own URL.
    dev_bootstrap.CLIENT_ID = f"{url}/"
    devices = [arg for item in controllers for arg in ("--device", item.spec)]
    python = sys.executable
    ha_version = subprocess.run(
        [python, "-c", "from homeassistant.const import __version__; print(__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"dev_check: Home Assistant {ha_version} on {url}, configuration in {config_dir}")
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    problems: list[str] = []
    try:
        with (work / "simulator.log").open("wb") as sim_log:
            processes.append(
                (
                    "simulator",
                    subprocess.Popen(
                        [python, "-m", "simulator", *devices],
                        cwd=REPO,
                        stdout=sim_log,
                        stderr=subprocess.STDOUT,
                    ),
                )
            )
        hass_bin = Path(python).parent / "hass"
        with (work / "hass.out").open("wb") as hass_out:
            processes.append(
                (
                    "Home Assistant",
                    subprocess.Popen(
                        [str(hass_bin), "-c", str(config_dir), "--skip-pip"],
                        cwd=REPO,
                        stdout=hass_out,
                        stderr=subprocess.STDOUT,
                    ),
                )
            )
        api = dev_bootstrap.HomeAssistantApi(url)
        api.wait_until_up(timeout_s)
        api.log_in()
        for controller in controllers:
            if not dev_bootstrap.add_entry(api, controller):
                problems.append(f"{controller.kind}: the config flow did not create an entry")
        if not dev_bootstrap.add_site_budget(api, 60):
            problems.append("the site power budget's config flow did not create an entry")
        problems += check_entities(api, timeout_s=120)
        # Let a few polls run, so errors of later polls show in the log too.
        time.sleep(settle_s)
        problems += check_entities(api, timeout_s=0)
    finally:
        for name, process in reversed(processes):
            stop(process, name)
    problems += check_log(config_dir / "home-assistant.log")
    if problems:
        print(f"dev_check: FAILED on Home Assistant {ha_version} (files kept in {work}):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"dev_check: passed on Home Assistant {ha_version}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="scripts/develop --check", description=__doc__)
    parser.add_argument("--settle", type=float, default=45.0, help="seconds of polls to watch")
    parser.add_argument("--timeout", type=float, default=300.0, help="start-up timeout")
    args = parser.parse_args(argv)
    return run(args.settle, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
