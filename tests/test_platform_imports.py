"""Home Assistant never imports a platform of this integration inside the event loop."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

from custom_components.evse_bridge import PLATFORM_OF

REPO = Path(__file__).parents[1]


def test_every_platform_is_imported_with_the_integration() -> None:
    """Importing the integration (done in the import executor) imports all its platforms.

    Home Assistant imports a platform in the event loop once the module is already loaded
    (cheap) or when another entry's import of it is still running: with only some platforms
    loaded, two entries forwarding their setups at once imported the others in the loop.
    A fresh interpreter shows what the integration's own import loads.
    """
    script = (
        "import json, sys\n"
        "import custom_components.evse_bridge\n"
        "print(json.dumps(sorted(m for m in sys.modules"
        " if m.startswith('custom_components.evse_bridge.'))))\n"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout
    )
    wanted = {f"custom_components.evse_bridge.{platform}" for platform in PLATFORM_OF.values()}
    assert wanted <= set(loaded), sorted(wanted - set(loaded))
