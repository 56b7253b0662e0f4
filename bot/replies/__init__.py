"""Every sentence kickbot says in a room, by what says it.

User-typed text and display names go in as ``Untrusted``/``Mention`` segments so that each
platform's renderer escapes them; nothing here builds markup.

A command's own sentences are in the module named after it (``kick``, ``undo``, ``case``…);
the rest are shared: ``wording`` (names, durations, counts, times), ``failures`` (a platform's
error), ``refusals`` (a whole command refused), ``untouched`` (a target left alone),
``render`` (an outcome as the caller's reply: header, lines, plans, progress), ``notices``
(the removed people's direct message), ``ib_groups`` (IB group changes, said by more than one
command) and ``platform_rules`` (the few words about one platform's own rules).
"""
