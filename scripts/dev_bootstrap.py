"""Prepare the development Home Assistant of ``scripts/develop``.

``devices`` prints the simulator arguments for every simulated controller this
checkout has; ``prepare CONFIG_DIR`` writes the configuration;
``bootstrap [--no-entries]`` onboards the running Home Assistant (once) and
adds a config entry per simulated controller through the config-flow REST API, and a
site power budget over the simulated EVCE zones.

Only the standard library is used, so this runs before anything else is set up.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
import json
from pathlib import Path
import sys
import time
from typing import Any
from urllib import error, parse, request

REPO = Path(__file__).resolve().parent.parent
HA_URL = "http://127.0.0.1:8123"
CLIENT_ID = f"{HA_URL}/"
DEV_USER = "dev"
DEV_PASSWORD = "dev"
DOMAIN = "evse_bridge"


@dataclass(frozen=True)
class SimulatedController:
    """One simulator device and what the config flow is given for it."""

    kind: str
    port: int
    form: dict[str, Any]
    options: dict[str, str] = field(default_factory=dict)
    #: Answers to the flow's later steps, by step ID (the certificate confirmation, the
    #: location list).
    followups: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        """Whether this checkout has the simulator module of this kind."""
        return (REPO / "simulator" / f"{self.kind}.py").is_file()

    @property
    def spec(self) -> str:
        """The ``--device`` argument of ``python -m simulator``."""
        return ",".join(
            [f"{self.kind}:{self.port}", *(f"{k}={v}" for k, v in self.options.items())]
        )


# The one table of simulated controllers: simulator port and options, and the
# config-flow form. Credentials are the simulators' defaults.
CONTROLLERS: tuple[SimulatedController, ...] = (
    SimulatedController(
        kind="bender_legacy",
        port=8081,
        form={"host": "127.0.0.1:8081", "username": "operator"},
    ),
    SimulatedController(
        kind="bender_v1",
        port=8082,
        # offset: a car arrives about 20 s after start, so values move at once.
        options={"offset": "100"},
        form={"host": "127.0.0.1:8082", "username": "operator", "password": "yellow_zone"},
    ),
    SimulatedController(
        kind="schneider_evce",
        port=8443,
        # The hub keeps its self-signed certificate across restarts, like a real one.
        options={"stations": "4", "zones": "2", "pms": "1", "cert_dir": ".dev/evce"},
        form={
            "host": "127.0.0.1:8443",
            "username": "ebms_user",
            "password": "Evce-Passw0rd!",
            "certificate": "pinned",
        },
        followups={"confirm_certificate": {}},
    ),
    SimulatedController(
        kind="kempower_chargeye",
        port=8084,
        # Transactions carry their id token, so the per-card report has something to show.
        options={"tag_reading": "string"},
        form={
            "refresh_token": "chargeye-sim-refresh-token",
            "location_uid": "",
            "advanced": {"server_url": "http://127.0.0.1:8084/api"},
        },
        # The account's stations stand at two locations: add both.
        followups={"location": {"location": "all_locations"}},
    ),
)


CONFIGURATION_YAML = """\
# Written by scripts/develop on every start; edit scripts/dev_bootstrap.py instead.
# No default_config: it loads integrations that reach out to the internet
# (cloud, zeroconf, go2rtc, ...). Home Assistant always adds frontend, person,
# automation, script and the helpers itself.
homeassistant:
  name: EVSE Bridge development
  latitude: 49.7
  longitude: 10.1
  elevation: 250
  unit_system: metric
  currency: EUR
  country: DE
  time_zone: Europe/Berlin
  internal_url: http://127.0.0.1:8123

http:
  server_host: 127.0.0.1
  server_port: 8123

config:
history:
logbook:
energy:
recorder:
  purge_keep_days: 3

logger:
  default: warning
  logs:
    custom_components.evse_bridge: info
    homeassistant.setup: info
    # Missing optional native speedups, irrelevant here.
    aiohttp_fast_zlib: error
    homeassistant.components.camera.img_util: critical
"""


def available_controllers() -> list[SimulatedController]:
    """The controllers whose simulator module exists in this checkout."""
    return [controller for controller in CONTROLLERS if controller.available]


def print_devices() -> int:
    """Print one ``--device SPEC`` pair per line for ``python -m simulator``."""
    for controller in available_controllers():
        print(f"--device\n{controller.spec}")
    return 0


def prepare(config_dir: Path) -> int:
    """Write configuration.yaml, link the integration, and pre-answer onboarding."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "configuration.yaml").write_text(CONFIGURATION_YAML, encoding="utf-8")
    link = config_dir / "custom_components"
    target = REPO / "custom_components"
    if link.is_symlink() and link.resolve() != target:
        link.unlink()
    if not link.exists():
        link.symlink_to(target, target_is_directory=True)
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        # The core_config step would set up met, radio_browser and
        # google_translate, which call out to the internet; location and units
        # come from configuration.yaml instead. Only the user step stays open
        # and is answered by ``bootstrap``.
        onboarding.write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics", "integration"]},
                },
                indent=2,
            ),
            encoding="utf-8",
        )
    return 0


class HomeAssistantApi:
    """A minimal synchronous client of Home Assistant's REST API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.token: str | None = None

    def call(
        self, method: str, path: str, body: Any = None, *, form: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """Send one request; return the status and the decoded JSON (or text)."""
        headers = {}
        data = None
        if form is not None:
            data = parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with request.urlopen(req, timeout=60) as response:
                status, raw = response.status, response.read()
        except error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return status, raw.decode(errors="replace")

    def wait_until_up(self, timeout_s: float) -> None:
        """Wait until onboarding and logging in answer (neither needs a token)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                status, _ = self.call("GET", "/api/onboarding")
                # 200 while onboarding runs. 404 once it is done (the view is gone), but also
                # while Home Assistant starts and has not loaded it yet: then the login views
                # answer 404 too. They answer 200, or 400 before onboarding, once loaded.
                if status == 404:
                    status, _ = self.call("GET", "/auth/providers")
                    status = 200 if status in (200, 400) else status
            except (error.URLError, ConnectionError, TimeoutError):
                status = 0
            if status == 200:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"Home Assistant did not answer on {self.base_url} in time")
            time.sleep(1)

    def exchange_code(self, code: str) -> None:
        """Trade an authorization code for an access token."""
        status, answer = self.call(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
        )
        if status != 200:
            raise SystemExit(f"token exchange failed: {status} {answer}")
        self.token = answer["access_token"]

    def log_in(self) -> None:
        """Create the development user on first start, else log in with it."""
        # Once onboarding is complete, its endpoints are no longer served.
        status, steps = self.call("GET", "/api/onboarding")
        user_step_open = status == 200 and any(
            step["step"] == "user" and not step["done"] for step in steps
        )
        if user_step_open:
            status, answer = self.call(
                "POST",
                "/api/onboarding/users",
                {
                    "name": "Developer",
                    "username": DEV_USER,
                    "password": DEV_PASSWORD,
                    "client_id": CLIENT_ID,
                    "language": "en",
                },
            )
            if status != 200:
                raise SystemExit(f"onboarding failed: {status} {answer}")
            print(f"dev_bootstrap: onboarded, created user {DEV_USER!r}")
            self.exchange_code(answer["auth_code"])
            return
        status, flow = self.call(
            "POST",
            "/auth/login_flow",
            {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
        )
        if status != 200:
            raise SystemExit(f"login flow failed: {status} {flow}")
        status, result = self.call(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": CLIENT_ID, "username": DEV_USER, "password": DEV_PASSWORD},
        )
        if status != 200 or result.get("type") != "create_entry":
            raise SystemExit(
                f"cannot log in as {DEV_USER!r}/{DEV_PASSWORD!r} (was the user changed?): {result}"
            )
        self.exchange_code(result["result"])


def add_entry(api: HomeAssistantApi, controller: SimulatedController) -> bool:
    """Run the config flow for one controller; True when it exists afterwards."""
    status, step = api.call("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    if status != 200:
        print(f"dev_bootstrap: cannot start the {DOMAIN} config flow: {status} {step}")
        return False
    flow_path = f"/api/config/config_entries/flow/{step['flow_id']}"
    if step.get("type") == "menu":
        if controller.kind not in step["menu_options"]:
            print(f"dev_bootstrap: the config flow offers no {controller.kind!r}; skipped")
            api.call("DELETE", flow_path)
            return False
        status, step = api.call("POST", flow_path, {"next_step_id": controller.kind})
    if step.get("type") == "form":
        asked = {item["name"]: item for item in step.get("data_schema", [])}
        form = {key: value for key, value in controller.form.items() if key in asked}
        missing = [
            name for name, item in asked.items() if item.get("required") and name not in form
        ]
        if missing:
            print(
                f"dev_bootstrap: {controller.kind}: the form asks for {missing}, which "
                "CONTROLLERS in scripts/dev_bootstrap.py does not give; skipped"
            )
            api.call("DELETE", flow_path)
            return False
        status, step = api.call("POST", flow_path, form)
    while step.get("type") == "form" and step.get("step_id") in controller.followups:
        status, step = api.call("POST", flow_path, controller.followups[step["step_id"]])
    kind = step.get("type")
    if kind == "create_entry":
        print(f"dev_bootstrap: added {controller.kind} at {controller.spec} as {step['title']!r}")
        return True
    if kind == "abort" and step.get("reason") == "already_configured":
        print(f"dev_bootstrap: {controller.kind} is already configured")
        return True
    print(f"dev_bootstrap: {controller.kind}: config flow ended with {status} {step}")
    if kind == "form":
        api.call("DELETE", flow_path)
    return False


#: The site power budget added over the simulated chargers: the EVCE hub's zones, measured by
#: the hub's power meter (the simulated building's grid meter: a base load and every station).
BUDGET_TITLE = "Site power budget"
BUDGET_MODELS = ("EVCE zone",)
BUDGET_METER_MODEL = "EVCE power meter"
BUDGET_FORM: dict[str, Any] = {
    "limit": 30,
    "limit_unit": "kilowatt",
    "phases": "3",
    "margin": 1,
    "strategy": "equal",
    "stale_after": 120,
    "write_budget": 12,
    "control_period": 15,
}


def budget_targets(api: HomeAssistantApi) -> tuple[list[str], str | None]:
    """The devices the budget manages and the meter's power sensor, once they exist."""
    template = (
        "{% set ns = namespace(devices=[], meter=none) %}"
        "{% for device in integration_entities('" + DOMAIN + "') | map('device_id') | unique %}"
        "{% set model = device_attr(device, 'model_id') %}"
        "{% if model in " + json.dumps(list(BUDGET_MODELS)) + " %}"
        "{% set ns.devices = ns.devices + [device] %}{% endif %}"
        "{% if model == " + json.dumps(BUDGET_METER_MODEL) + " %}"
        "{% for entity in device_entities(device) %}"
        "{% if entity.startswith('sensor.') and is_state_attr(entity, 'device_class', 'power') %}"
        "{% set ns.meter = entity %}{% endif %}{% endfor %}{% endif %}{% endfor %}"
        "{{ {'devices': ns.devices, 'meter': ns.meter} | tojson }}"
    )
    status, rendered = api.call("POST", "/api/template", {"template": template})
    if status != 200:
        return [], None
    found = json.loads(rendered) if isinstance(rendered, str) else rendered
    return list(found["devices"]), found["meter"]


def add_site_budget(api: HomeAssistantApi, timeout_s: float) -> bool:
    """Add the site power budget over the simulated zones (once); True when it exists."""
    status, entries = api.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    if status == 200 and any(item["title"] == BUDGET_TITLE for item in entries):
        print("dev_bootstrap: the site power budget is already configured")
        return True
    deadline = time.monotonic() + timeout_s
    devices, meter = budget_targets(api)
    while (not devices or meter is None) and time.monotonic() < deadline:
        time.sleep(2)
        devices, meter = budget_targets(api)
    if not devices or meter is None:
        print("dev_bootstrap: no simulated zone or power meter for the site power budget")
        return False
    status, step = api.call("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    if status != 200 or "site_budget" not in step.get("menu_options", []):
        print(f"dev_bootstrap: the config flow offers no site power budget: {status} {step}")
        return False
    flow_path = f"/api/config/config_entries/flow/{step['flow_id']}"
    api.call("POST", flow_path, {"next_step_id": "site_budget"})
    status, step = api.call(
        "POST", flow_path, {**BUDGET_FORM, "measurement": meter, "devices": devices}
    )
    if step.get("type") == "create_entry":
        print(f"dev_bootstrap: added {step['title']!r} over {len(devices)} zones, {meter}")
        return True
    print(f"dev_bootstrap: site power budget: config flow ended with {status} {step}")
    if step.get("type") == "form":
        api.call("DELETE", flow_path)
    return False


def report_entities(api: HomeAssistantApi, timeout_s: float) -> None:
    """Print the integration's entities once they have states."""
    template = (
        "{% for e in integration_entities('" + DOMAIN + "') %}"
        "{{ e }}={{ states(e) }} {{ state_attr(e, 'unit_of_measurement') or '' }}\n"
        "{% endfor %}"
    )
    deadline = time.monotonic() + timeout_s
    lines: list[str] = []
    while time.monotonic() < deadline:
        status, text = api.call("POST", "/api/template", {"template": template})
        lines = [line for line in str(text).splitlines() if "=" in line] if status == 200 else []
        if lines and not all("=unknown" in line for line in lines):
            break
        time.sleep(2)
    print(f"dev_bootstrap: {len(lines)} {DOMAIN} entities")
    for line in lines[:12]:
        print(f"  {line.strip()}")
    if len(lines) > 12:
        print(f"  ... and {len(lines) - 12} more")


def connection_sheet() -> str:
    """What to type in each vendor's form to reach the simulator (for --no-entries)."""
    lines = ["What to enter for each simulated controller (Add integration > EVSE Bridge):"]
    for controller in available_controllers():
        lines.append(f"  {controller.kind}:")
        for key, value in controller.form.items():
            if isinstance(value, dict):
                lines.extend(f"    {key} > {inner}: {item}" for inner, item in value.items())
            elif value != "":
                lines.append(f"    {key}: {value}")
    return "\n".join(lines)


def bootstrap(no_entries: bool, timeout_s: float) -> int:
    """Onboard once, then add the simulated controllers (unless told not to)."""
    api = HomeAssistantApi(HA_URL)
    api.wait_until_up(timeout_s)
    api.log_in()
    ok = True
    added = False
    if no_entries:
        print("dev_bootstrap: --no-entries: add controllers by hand under Settings > Devices")
        print(connection_sheet())
    else:
        for controller in available_controllers():
            entry_ok = add_entry(api, controller)
            added = added or entry_ok
            ok = ok and entry_ok
        if added:
            ok = add_site_budget(api, 60) and ok
    if added:
        report_entities(api, 60)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="scripts/dev_bootstrap.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("devices", help="print the simulator --device arguments")
    prepare_parser = commands.add_parser("prepare", help="write the configuration directory")
    prepare_parser.add_argument("config_dir", type=Path)
    bootstrap_parser = commands.add_parser("bootstrap", help="onboard and add config entries")
    bootstrap_parser.add_argument("--no-entries", action="store_true")
    bootstrap_parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    if args.command == "devices":
        return print_devices()
    if args.command == "prepare":
        return prepare(args.config_dir)
    try:
        return bootstrap(args.no_entries, args.timeout)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
