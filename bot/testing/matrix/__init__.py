"""The Matrix double: a real Synapse homeserver on 127.0.0.1 (for tests and
``kickbot demo --platform matrix``) and what a test needs around it.

``server`` installs and runs Synapse; ``homeserver`` is a client-server API helper for the
people in a test; ``watcher`` follows one account's ``/sync``; ``proxy`` records (and can lose
the answers of) every request kickbot makes.
"""

from bot.testing.matrix.homeserver import Account, Homeserver, MatrixCallError
from bot.testing.matrix.proxy import ProxiedCall, RecordingProxy
from bot.testing.matrix.server import (
    SYNAPSE_REQUIREMENT,
    SYNAPSE_SERIES,
    SynapseServer,
    SynapseUnavailable,
    default_venv,
    ensure_synapse,
)
from bot.testing.matrix.watcher import Seen, Watcher

__all__ = [
    "SYNAPSE_REQUIREMENT",
    "SYNAPSE_SERIES",
    "Account",
    "Homeserver",
    "MatrixCallError",
    "ProxiedCall",
    "RecordingProxy",
    "Seen",
    "SynapseServer",
    "SynapseUnavailable",
    "Watcher",
    "default_venv",
    "ensure_synapse",
]
