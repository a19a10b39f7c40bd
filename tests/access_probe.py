"""Discovering every operation from the app's OpenAPI document and filling in its path parameters
with values that exist in the seeded database, so the access tests cover routes added later too."""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import re
import zipfile
import zlib
from datetime import date

PUBLIC = {"/api/health", "/api/ready", "/api/auth/token", "/api/", "/api", "/api/conformance",
          "/api/openapi.json", "/api/docs"}
# HTML pages outside the OpenAPI document (include_in_schema=False) that need a login.
HTML_PAGES = ("/maps/province", "/maps/regency/62.02", "/maps/district/62.02.01")


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, ops in spec["paths"].items()
            for method, op in ops.items() if method in ("get", "post", "put", "patch", "delete")]


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def current_quarter() -> str:
    today = date.today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _choices(param: dict) -> list[str]:
    schema = param.get("schema", {})
    options = schema.get("enum") or next((s.get("enum") for s in schema.get("anyOf", []) if s.get("enum")), None)
    if options:
        return [str(o) for o in options]
    match = re.match(r"^\s*([a-z0-9]+(?:\s*\|\s*[a-z0-9]+)+)", param.get("description", ""))
    return [o.strip() for o in match.group(1).split("|")] if match else []


def path_values(name: str, seeded, collections: list[str]) -> list[str]:
    """Candidate values of a path parameter; [] when the test has none (the operation is skipped)."""
    if name == "company_id":
        return [str(i) for i in seeded.company_ids]
    if name == "worker_id":
        return [str(i) for i in seeded.worker_ids]
    if name == "inspection_id":
        return [str(i) for i in seeded.inspection_ids]
    if name in ("collection_id", "collection"):
        return collections
    if name == "feature_id":
        return [str(i) for i in seeded.company_ids + seeded.inspection_ids]
    if name == "level":
        return ["province", "regency", "district"]
    if name == "code":
        return ["62", "62.02", "62.71"]
    return []


def get_requests(spec: dict, seeded, collections: list[str]) -> list[tuple[str, dict]]:
    """(url path, query params) for every GET operation, in every output format it offers."""
    out = []
    for method, path, op in operations(spec):
        if method != "GET" or path in PUBLIC or path == "/api/audit":
            continue
        params = op.get("parameters", [])
        path_params = [p for p in params if p["in"] == "path"]
        names = [p["name"] for p in path_params]
        if "{z}" in path:
            combos = []
            for lon, lat in ((112.95, -2.54), (113.92, -2.21)):
                for z in (0, 6, 10):
                    tz, tx, ty = tile_of(lon, lat, z)
                    for coll in ("companies", "inspections"):
                        combos.append({"collection": coll, "z": str(tz), "x": str(tx), "y": str(ty)})
        else:
            values = [path_values(p["name"], seeded, collections) or _choices(p) for p in path_params]
            if any(not v for v in values):
                continue
            combos = [dict(zip(names, c, strict=True)) for c in itertools.product(*values)]
        formats = [[(p["name"], v) for v in _choices(p)] for p in params
                   if p["in"] == "query" and p["name"] in ("f", "format")]
        extras: dict = {}
        for p in params:
            if p["in"] == "query" and p["name"] == "personal":
                extras["personal"] = "true"
            if p["in"] == "query" and p["name"] == "period":
                extras["period"] = current_quarter()
            if p["in"] == "query" and p.get("required") and p["name"] not in ("period",):
                extras.setdefault(p["name"], {"lon": "113", "lat": "-2", "q": "PT"}.get(p["name"], "1"))
        for combo in combos:
            url = path
            for key, value in combo.items():
                url = url.replace("{" + key + "}", value)
            for fmt in itertools.product(*formats) if formats else [()]:
                out.append((url, {**extras, **dict(fmt)}))
                if "personal" in extras:
                    out.append((url, {**{k: v for k, v in extras.items() if k != "personal"}, **dict(fmt)}))
    return out


def readable(body: bytes) -> str:
    """The body as searchable text: XLSX/zip members unpacked, PDF streams inflated."""
    parts = [body.decode("utf-8", "replace")]
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            parts += [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    if body[:4] == b"%PDF":
        for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
            with contextlib.suppress(zlib.error):
                parts.append(zlib.decompress(match.group(1)).decode("latin-1"))
    return "\n".join(parts)
