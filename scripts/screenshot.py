"""Screenshot the simulated controller's device page of a running ``scripts/develop``.

``python scripts/screenshot.py docs/screenshot.png`` (needs ``chromium``).
Logs in as the development user and drives headless Chromium over its
DevTools protocol.
"""

import asyncio
import base64
import json
import subprocess
import sys
import time
from typing import Any

import aiohttp

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from dev_bootstrap import CLIENT_ID, HA_URL, HomeAssistantApi

DEBUG_PORT = 9223


async def capture(api: HomeAssistantApi, refresh_token: str) -> bytes:
    """Open the device page with the tokens in local storage; return a PNG."""
    _, device_id = api.call(
        "POST",
        "/api/template",
        {"template": "{{ (integration_entities('evse_bridge') | map('device_id') | list)[0] }}"},
    )
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
            await send("Page.navigate", url=f"{HA_URL}/config/devices/device/{device_id}")
            await asyncio.sleep(12)
            shot = await send("Page.captureScreenshot", format="png")
    return base64.b64decode(shot["data"])


def main(out: str) -> None:
    """Log in, start Chromium, capture, stop Chromium."""
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
            "--window-size=1400,1000",
            f"--remote-debugging-port={DEBUG_PORT}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)
        png = asyncio.run(capture(api, answer["refresh_token"]))
    finally:
        browser.terminate()
        browser.wait()
    with open(out, "wb") as file:
        file.write(png)


if __name__ == "__main__":
    main(sys.argv[1])
