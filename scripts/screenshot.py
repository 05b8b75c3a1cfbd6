"""Screenshot the device pages of a running ``scripts/develop``: one per vendor and kind.

``python scripts/screenshot.py docs/screenshots`` (needs ``chromium``) writes
``<vendor>.<kind>.png`` for the first device of each kind in ``PAGES`` (devices are told
apart by their model ID, which the integration sets to "<API label> <kind>"), and
``site_budget.site.png`` for the Site device of the site power budget. Logs in as
the development user and drives headless Chromium over its DevTools protocol.
"""

import asyncio
import base64
import json
from pathlib import Path
import subprocess
import sys
import time
from typing import Any

import aiohttp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from dev_bootstrap import CLIENT_ID, HA_URL, HomeAssistantApi

DEBUG_PORT = 9223

#: The device pages shown: file name (``<vendor>.<kind>``) -> model ID (``site.device_model_id``).
PAGES = {
    "bender_legacy.controller": "Legacy REST controller",
    "bender_v1.controller": "REST API v1 controller",
    "schneider_evce.hub": "EVCE hub",
    "schneider_evce.station": "EVCE station",
    "schneider_evce.connector": "EVCE connector",
    "schneider_evce.zone": "EVCE zone",
    "schneider_evce.power_meter": "EVCE power meter",
    "kempower_chargeye.account": "ChargEye account",
    "kempower_chargeye.station": "ChargEye station",
    "kempower_chargeye.connector": "ChargEye connector",
}
#: The Site device of a site power budget has no model: it is found by its name.
SITE_PAGE = "site_budget.site"
SITE_NAME = "Site"


def device_pages(api: HomeAssistantApi) -> dict[str, str]:
    """The first device of each kind in ``PAGES``: file name -> device ID."""
    template = (
        "[{% for device in integration_entities('evse_bridge') | map('device_id') | unique %}"
        "[{{ device | tojson }}, {{ device_attr(device, 'model_id') | tojson }},"
        " {{ device_attr(device, 'name') | tojson }}]"
        "{% if not loop.last %},{% endif %}{% endfor %}]"
    )
    _, rendered = api.call("POST", "/api/template", {"template": template})
    found: dict[str, str] = {}
    pages: dict[str, str] = {}
    for device_id, model, name in json.loads(rendered) if isinstance(rendered, str) else rendered:
        found.setdefault(model, device_id)
        if model is None and name == SITE_NAME:
            pages.setdefault(SITE_PAGE, device_id)
    return {name: found[model] for name, model in PAGES.items() if model in found} | pages


async def capture(api: HomeAssistantApi, refresh_token: str, out: Path) -> list[Path]:
    """Open each device page with the tokens in local storage; write one PNG per page."""
    tokens = {
        "access_token": api.token,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": 1800,
        "expires": int(time.time() * 1000) + 1_800_000,
        "hassUrl": HA_URL,
        "clientId": CLIENT_ID,
    }
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{DEBUG_PORT}/json") as response:
            targets = await response.json()
        page = next(t for t in targets if t["type"] == "page")
        async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            counter = 0

            async def send(method: str, **params: Any) -> dict[str, Any]:
                nonlocal counter
                counter += 1
                await ws.send_json({"id": counter, "method": method, "params": params})
                while True:
                    message = json.loads((await ws.receive()).data)
                    if message.get("id") == counter:
                        return dict(message.get("result", {}))

            await send("Page.navigate", url=f"{HA_URL}/auth/providers")
            await asyncio.sleep(2)
            await send(
                "Runtime.evaluate",
                expression=f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))})",
            )
            written = []
            for name, device_id in device_pages(api).items():
                await send("Page.navigate", url=f"{HA_URL}/config/devices/device/{device_id}")
                await asyncio.sleep(12)
                shot = await send("Page.captureScreenshot", format="png")
                path = out / f"{name}.png"
                path.write_bytes(base64.b64decode(shot["data"]))
                written.append(path)
    return written


def main(out: str) -> None:
    """Log in, start Chromium, capture every page, stop Chromium."""
    api = HomeAssistantApi(HA_URL)
    _, flow = api.call(
        "POST",
        "/auth/login_flow",
        {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
    )
    _, result = api.call(
        "POST",
        f"/auth/login_flow/{flow['flow_id']}",
        {"client_id": CLIENT_ID, "username": "dev", "password": "dev"},
    )
    _, answer = api.call(
        "POST",
        "/auth/token",
        form={"grant_type": "authorization_code", "code": result["result"], "client_id": CLIENT_ID},
    )
    api.token = answer["access_token"]
    browser = subprocess.Popen(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1400,1600",
            f"--remote-debugging-port={DEBUG_PORT}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        time.sleep(3)
        written = asyncio.run(capture(api, answer["refresh_token"], directory))
    finally:
        browser.terminate()
        browser.wait()
    for path in written:
        print(f"screenshot: {path}")


if __name__ == "__main__":
    main(sys.argv[1])
