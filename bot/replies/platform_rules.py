"""What sentences say about platforms' own rules, worded by each platform's package (its
``Plugin``) and gathered here from the registry: the core's sentences name no platform."""

from __future__ import annotations

from bot.platforms import PLUGINS


def _rank_order() -> str:
    graded = [f"{p.display_name} {p.rank_order}" for p in PLUGINS if p.rank_order]
    return "the platform's own order" + (f", e.g. {', '.join(graded)}" if graded else "")


def _ib_groups_only_on() -> str:
    names = [p.display_name for p in PLUGINS if p.ib_groups]
    return f"only {' and '.join(names)} {'does' if len(names) == 1 else 'do'}"


RANK_ORDER = _rank_order()
"""How owners are ranked where the platform grades them (``SupportsRank``)."""
LARGE_ROOM_ADVICE = "; ".join(
    p.working_hours_advice for p in PLUGINS if p.working_hours_advice
) or ("changes this size are better made outside them")
"""Why a paced change is held when it would run within working hours."""
IB_GROUPS_ONLY_ON = _ib_groups_only_on()
"""Which platforms have Information Barrier groups."""
