"""Test doubles shipped with kickbot: used by the tests and by ``kickbot demo``.

One package per platform (``bot.testing.symphony``, ``.slack``, ``.rocketchat``, ``.chime``,
``.matrix``), each built on what all share: ``kit`` (the loopback server, request recording,
knobs, violations), ``spec_check`` and ``console`` (the demo console's loop).
"""

from bot.testing.spec_check import SpecViolation

__all__ = ["SpecViolation"]
