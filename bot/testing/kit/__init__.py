"""What every platform double shares: the loopback server, request recording, knobs, violations.

A double is an :class:`EmulatedServer` (an aiohttp server on 127.0.0.1 that records each request
in ``requests``, wakes waiters through ``changed`` and collects broken rules in ``violations``)
with a :class:`Knobs` of its own: the failures and holds a test plans, matched against the
double's description of a call (a Slack method name, a Chime operation, a Symphony
``(method, path)``...). Every double's ``fail_next`` takes the call first, then what it answers
with, then the same keyword options: ``times``, ``retry_after``, ``after_effect`` (carried out
first, only the answer is lost) and ``reset`` (no answer at all: the connection is reset).
A double whose calls have names (Slack, the AWS doubles, Rocket.Chat) is a :class:`NamedCalls`:
``calls(name, status=)`` and ``wait_for_calls(name, count, timeout, status=)`` alike on each;
Symphony's REST calls are named by method and path pattern instead.
"""

from bot.testing.kit.changes import Changes
from bot.testing.kit.knobs import Knobs, Planned
from bot.testing.kit.records import RecordedRequest
from bot.testing.kit.server import EmulatedServer, NamedCalls
from bot.testing.kit.timed import TimedSession

__all__ = [
    "Changes",
    "EmulatedServer",
    "Knobs",
    "NamedCalls",
    "Planned",
    "RecordedRequest",
    "TimedSession",
]
