"""``normalize playground``: a local page to write a schema against a sample, with live results.

``workbench`` runs a schema text on a sample text (lint findings, events, rejects, ``explain``),
``complete`` proposes what may be typed at a place in the YAML from the published JSON Schema,
``app`` serves both and the page (``static/``) over ASGI, and ``command`` starts uvicorn on it.
"""
