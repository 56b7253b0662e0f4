"""The Amazon Chime SDK messaging double (``double``), its world (``state``, ``operations``)
and the demo (``demo``)."""
