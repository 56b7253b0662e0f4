"""What sentences say about one platform's own rules, in one place until each platform's package
words its own (a capability's wording): the core's other sentences name no platform."""

from __future__ import annotations

RANK_ORDER = "the platform's own order, e.g. Matrix power levels"
"""How owners are ranked where the platform grades them (``SupportsRank``)."""
LARGE_ROOM_ADVICE = "Symphony advises changing rooms this size outside them"
"""Why a paced change is held when it would run within working hours."""
IB_GROUPS_ONLY_ON = "only Symphony does"
"""Which platform has Information Barrier groups."""
