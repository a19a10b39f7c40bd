"""API resources, one module per resource, each exposing `router` (mounted under /api)."""
