# Home Assistant 2026.10+ runs on probatio and registers it as `voluptuous` at start-up,
# so the newest lane's mypy (MYPYPATH in scripts/test) types `voluptuous` as probatio.
from probatio import *  # noqa: F403
