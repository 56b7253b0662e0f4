"""The durable store: commands (jobs), per-target results, and the audit trail they form.

``Store.open("sqlite:///kickbot.db")`` (embedded, one host) or
``Store.open("postgresql://user@host/db")`` (several instances); see ``bot.store.store``.
"""

from bot.store.jobs import LANES
from bot.store.journal import CommandJournal
from bot.store.records import AuditQuery, AuditRow, Job, OpenJob, PendingConfirmation
from bot.store.store import Store

__all__ = [
    "LANES",
    "AuditQuery",
    "AuditRow",
    "CommandJournal",
    "Job",
    "OpenJob",
    "PendingConfirmation",
    "Store",
]
