"""The routing table (api/main.py) lists every router, in matching order, the routes a map calls on
every pan first. That order is only safe while no router's route matches a path that a later router
serves, which this checks for every route."""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute

import api.routes
import api.web
from api.main import API_ROUTERS, PAGE_ROUTERS, PLAIN_API_ROUTES, create_app
from geo.settings import Settings


def _example(path: str) -> str:
    """A concrete request path for a route template: each {param} → a plausible value."""
    return re.sub(r"\{[^}]+\}", "123", path)


def _methods(route) -> set[str]:
    return getattr(route, "methods", None) or {"GET"}  # a mount (static files) answers GET


def shadowed(first: list, later: list) -> list[tuple[str, str]]:
    """(earlier path, later path) pairs where an earlier route would answer the later route's requests."""
    found = []
    for route in later:
        sample = _example(route.path)
        for early in first:
            if _methods(early) & _methods(route) and early.path_regex.match(sample):
                found.append((early.path, route.path))
    return found


def _routes(module: ModuleType) -> list:
    return [r for r in module.router.routes if hasattr(r, "path_regex")]


@pytest.mark.parametrize(("package", "table"), [(api.routes, API_ROUTERS), (api.web, PAGE_ROUTERS)])
def test_every_router_is_in_the_table_once(package, table):
    modules = {f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)}
    with_router = {name for name in modules if isinstance(getattr(importlib.import_module(name), "router", None), APIRouter)}
    assert sorted(m.__name__ for m in table) == sorted(with_router)


def test_the_routes_a_map_calls_on_every_pan_come_first():
    assert API_ROUTERS[:3] == (api.routes.features, api.routes.tiles, api.routes.stats)


@pytest.mark.parametrize("table", [API_ROUTERS, PAGE_ROUTERS])
def test_no_route_shadows_a_later_router(table):
    earlier: list = []
    for module in table:
        routes = _routes(module)
        assert shadowed(earlier, routes) == [], module.__name__
        earlier += routes
    assert len(earlier) > 10


def test_the_check_sees_a_shadowed_route():
    hot, other = APIRouter(prefix="/stats"), APIRouter(prefix="/stats")
    hot.get("/{level}")(lambda level: level)
    other.get("/summary")(lambda: None)
    assert shadowed(hot.routes, other.routes) == [("/stats/{level}", "/stats/summary")]


def test_plain_routes_come_before_the_routers_and_shadow_only_their_documented_route():
    routes = create_app(Settings()).router.routes
    first_router = next(i for i, r in enumerate(routes) if not hasattr(r, "path_regex"))
    plain = [r for r in routes[:first_router] if getattr(r, "endpoint", None) in {e for _, e in PLAIN_API_ROUTES}]
    assert [r.endpoint for r in plain] == [endpoint for _, endpoint in PLAIN_API_ROUTES]
    every_api_route = [r for module in API_ROUTERS for r in _routes(module)]
    for route in plain:
        assert not isinstance(route, APIRoute) and not route.include_in_schema
        answered = [r for r in every_api_route
                    if _methods(route) & _methods(r) and route.path_regex.match("/api" + _example(r.path))]
        assert [r.endpoint for r in answered] == [route.endpoint], route.path
        assert {"GET"} <= route.methods and set(answered[0].methods) <= route.methods
        # A plain route solves nothing: an endpoint with dependencies (its own or its router's) would
        # run without them.
        assert answered[0].dependant.dependencies == [] and answered[0].dependencies == []
