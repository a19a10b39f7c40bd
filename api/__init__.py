"""Pantau's HTTP API and web pages (FastAPI)."""
