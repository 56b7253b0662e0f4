"""Operating kickbot: its HTTP endpoint for probes and metrics (``http:`` in the config).

``settings`` (the ``http:`` section) is all the core imports from here; ``server`` (aiohttp),
``readiness`` and ``metrics`` (prometheus-client) are loaded only when ``http:`` is configured,
and need the ``ops`` extra (docs/operations.md)."""
