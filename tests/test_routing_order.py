"""The hot route modules are matched first (api/main.py HOT_MODULES): that is only safe while none of
their routes matches a path that another module serves, which this checks for every route."""

from __future__ import annotations

import importlib
import pkgutil
import re

from fastapi import APIRouter

import api.routes
from api.main import HOT_MODULES


def _routes_by_module() -> dict[str, list]:
    out = {}
    for info in pkgutil.iter_modules(api.routes.__path__):
        router = getattr(importlib.import_module(f"api.routes.{info.name}"), "router", None)
        if router is not None:
            out[info.name] = [r for r in router.routes if hasattr(r, "path_regex")]
    return out


def _example(path: str) -> str:
    """A concrete request path for a route template: each {param} → a plausible value."""
    return re.sub(r"\{[^}]+\}", "123", path)


def shadowed(hot: list, others: list) -> list[tuple[str, str]]:
    """(hot path, other path) pairs where the hot route would answer the other route's requests."""
    found = []
    for route in others:
        sample = _example(route.path)
        for hot_route in hot:
            if (hot_route.methods or set()) & (route.methods or set()) and hot_route.path_regex.match(sample):
                found.append((hot_route.path, route.path))
    return found


def test_hot_routes_shadow_no_other_route():
    modules = _routes_by_module()
    assert set(HOT_MODULES) <= set(modules)
    hot = [r for name in HOT_MODULES for r in modules[name]]
    others = [r for name, routes in modules.items() if name not in HOT_MODULES for r in routes]
    assert len(hot) > 5 and len(others) > 10
    assert shadowed(hot, others) == []


def test_the_check_sees_a_shadowed_route():
    hot, other = APIRouter(prefix="/stats"), APIRouter(prefix="/stats")
    hot.get("/{level}")(lambda level: level)
    other.get("/summary")(lambda: None)
    assert shadowed(hot.routes, other.routes) == [("/stats/{level}", "/stats/summary")]
