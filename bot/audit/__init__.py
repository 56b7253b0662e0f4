"""The tamper-evident audit trail: an append-only log whose records are hash-chained.

Each record carries the hash of the previous record, and its own hash covers its sequence
number, time, kind, case and payload. Editing, deleting or reordering a record breaks the chain
at that record, which ``verify`` names.

A link is one of two kinds, marked in each record (``link``):

- ``sha256``: a plain SHA-256 of the record. Anyone can recompute it, so someone who can write
  the store can edit a record and recompute every later hash.
- ``hmac-sha256``: an HMAC-SHA256 under the audit key (``audit_key`` / ``KICKBOT_AUDIT_KEY``).
  Without the key nobody can rebuild the chain. Records made before the key was set stay plain;
  a writer with the key appends a keyed ``audit-key`` record first, so the chain of a store
  opened with the key always ends in a keyed link. A plain link after a keyed one, or a chain
  that ends plain while the verifier holds the key, is a downgrade: ``verify`` names it, and the
  bot refuses to start without the key on a store whose links are keyed.

The chain's head (sequence number and hash) also leaves the store after each append, through the
chain's sinks: a log line (``audit appended``) and, when configured, a head file. ``verify``
given a head finds a tail cut off (records deleted from the end, or all of them).

Pruning old records leaves a checkpoint (the last pruned sequence number and hash, signed with
HMAC-SHA256) so the remaining chain still verifies; checkpoints count the records each one
covers, so a deleted checkpoint is noticed.

The package's modules: ``links`` (hashing a record, ``Head``, ``Record``), ``chain`` (writing:
``Chain``, the key check, the chain's end), ``sinks`` (the log line, the head file),
``checkpoints`` (signing), ``verify`` with ``tables`` and ``findings`` (checking), ``prune`` and
``export``. What other modules use is imported here.
"""

from bot.audit.chain import Chain, append, chain_end, check_key, configured_chain, head_problem
from bot.audit.export import EXPORT_FIELDS, export_rows, neutralised, to_csv
from bot.audit.findings import Broken, Verification
from bot.audit.links import (
    GENESIS,
    KEY_ENV,
    KEYED,
    PLAIN,
    AuditError,
    Head,
    Record,
    keyed_hash,
    record_hash,
)
from bot.audit.prune import prune
from bot.audit.sinks import HeadFile, LogSink, Sink
from bot.audit.verify import examine, verify

__all__ = [
    "EXPORT_FIELDS",
    "GENESIS",
    "KEYED",
    "KEY_ENV",
    "PLAIN",
    "AuditError",
    "Broken",
    "Chain",
    "Head",
    "HeadFile",
    "LogSink",
    "Record",
    "Sink",
    "Verification",
    "append",
    "chain_end",
    "check_key",
    "configured_chain",
    "examine",
    "export_rows",
    "head_problem",
    "keyed_hash",
    "neutralised",
    "prune",
    "record_hash",
    "to_csv",
    "verify",
]
