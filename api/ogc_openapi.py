"""The OpenAPI document as OGC API clients read it: rooted at the landing page (/api), with one
items path per collection that declares the collection's filterable properties.

FastAPI's document (/api/openapi.json, used by Swagger UI) names paths from the host root
(/api/collections/{collection_id}/items). An OGC API – Features client looks the items operation up
relative to the landing page, under /collections/<id>/items or /collections/{collectionId}/items
(GDAL's OAPIF driver, all versions to 3.12 at least): only the query parameters it finds there that
name a property are sent to the server as `name=value`; any other attribute filter is evaluated on
the client after downloading every feature. Newer GDAL (3.8+) also reads the page size limits there.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from geo.features.catalog import Collection, Column
from geo.features.params import filter_properties

API_ROOT = "/api"
GENERIC_ITEMS = "/collections/{collection_id}/items"


def property_parameter(column: Column) -> dict:
    schema: dict = {"type": column.type}
    if column.format:
        schema["format"] = column.format
    if column.enum:
        schema["enum"] = list(column.enum)
    return {"name": column.name, "in": "query", "required": False, "style": "form", "explode": False,
            "description": f"only features whose {column.name} equals this value ({column.title})",
            "schema": schema}


def rooted_openapi(doc: dict, collections: Iterable[Collection], monitoring_only: Iterable[str]) -> dict:
    """`doc` with its server at /api and paths relative to it, plus /collections/<id>/items per
    collection: the generic operation's query parameters that apply to it (the monitoring filters
    only to monitoring collections) and one equality parameter per filterable property."""
    monitoring_only = set(monitoring_only)
    out = copy.deepcopy(doc)
    out["servers"] = [{"url": API_ROOT, "description": "OGC API – Features landing page"}]
    out["paths"] = {path.removeprefix(API_ROOT) or "/": ops for path, ops in out["paths"].items()
                    if path == API_ROOT or path.startswith(API_ROOT + "/")}
    generic = out["paths"][GENERIC_ITEMS]["get"]
    for coll in collections:
        operation = copy.deepcopy(generic)
        operation["operationId"] = f"{generic.get('operationId', 'items')}_{coll.id}"
        operation["summary"] = f"{coll.title} ({coll.id}): features"
        params = [p for p in operation.get("parameters", []) if p.get("in") == "query"
                  and (coll.monitoring or p["name"] not in monitoring_only or p["name"] in coll.accepts)]
        declared = {p["name"] for p in params}
        params += [property_parameter(col) for col in filter_properties(coll) if col.name not in declared]
        operation["parameters"] = params
        out["paths"][f"/collections/{coll.id}/items"] = {"get": operation}
    return out
