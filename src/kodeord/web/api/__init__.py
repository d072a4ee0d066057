"""The HTTP API under /v1, one module per resource, each with its own `router`: thin
handlers that translate HTTP to app/ use case calls (every rule lives in app/ and
domain/). web/app.py mounts them; web/deps.py has what they share."""
