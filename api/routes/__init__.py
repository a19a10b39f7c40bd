"""API resources, one module per resource, each exposing `router`; mounted under /api in the order
of api/main.py's routing table."""
