"""Keys of a site power budget entry."""

from __future__ import annotations

from typing import Final

#: Entry data key that marks an entry as a site power budget (vendor entries have none).
CONF_KIND: Final = "kind"
KIND_BUDGET: Final = "site_budget"

CONF_MEASUREMENT: Final = "measurement"
#: Instead of the power measurement: a current sensor per phase (A).
CONF_PHASE_CURRENTS: Final = "phase_currents"
CONF_LIMIT: Final = "limit"
CONF_LIMIT_UNIT: Final = "limit_unit"
CONF_PHASES: Final = "phases"
CONF_MARGIN: Final = "margin"
CONF_DEVICES: Final = "devices"
CONF_STRATEGY: Final = "strategy"
CONF_STALE_S: Final = "stale_after"
CONF_FAILSAFE_TOTAL: Final = "failsafe_total"
CONF_WRITE_BUDGET: Final = "write_budget"
CONF_CONTROL_PERIOD: Final = "control_period"
#: Managed chargers in the high and the low priority tier (the others are in between).
CONF_PRIORITY_HIGH: Final = "priority_high"
CONF_PRIORITY_LOW: Final = "priority_low"
#: Tags (card ids, or their pseudonyms as the sessions show them) whose sessions are served
#: in the high and the low priority tier, whatever the charger's tier.
CONF_PRIORITY_TAGS_HIGH: Final = "priority_tags_high"
CONF_PRIORITY_TAGS_LOW: Final = "priority_tags_low"
#: A tag group's bounds: card ids and pseudonyms are far shorter, fleets far smaller.
MAX_TAG_LENGTH: Final = 64
MAX_GROUP_TAGS: Final = 200

DEFAULT_STALE_S: Final = 30
DEFAULT_WRITE_BUDGET: Final = 12
DEFAULT_CONTROL_PERIOD_S: Final = 10
#: At most one control step per this many seconds on measurement changes.
MIN_STEP_INTERVAL_S: Final = 3.0
PHASE_VOLTAGE: Final = 230.0
#: The longest boost an action may ask for, in minutes.
MAX_BOOST_MIN: Final = 720
DEFAULT_BOOST_MIN: Final = 120
