"""Streaming the audit chain to where compliance reads it (``audit_sinks:``).

``settings`` (the config section, pydantic only) is all the core imports from here. ``kickbot
run`` starts a ``streamer.Streamer`` when sinks are configured: per sink it reads the records
after the sink's acknowledged position from the store, sends them in order, and stores the new
position (``bot.store.audit_sinks``). The senders: ``hec`` (Splunk's HTTP Event Collector,
httpx: the ``stream`` extra) and ``syslog`` (RFC 5424 with a CEF message, ``rfc5424`` and
``cef``); ``status`` is what ``kickbot audit stream --status`` and the metrics show."""
