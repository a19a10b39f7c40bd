"""Response bodies: the GeoJSON envelope around PostgreSQL's feature array, CSV and a simple HTML table."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from html import escape

from geo.features.catalog import Collection, Column
from geo.features.sql import Result
from geo.formulas import LINE_END, csv_value


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feature_collection(result: Result, links: list[dict], extra: dict | None = None) -> str:
    """The envelope is a few hundred bytes of Python JSON; the features stay PostgreSQL's text."""
    head = {"type": "FeatureCollection", "timeStamp": timestamp(), "numberReturned": result.returned}
    if result.matched >= 0:
        head["numberMatched"] = result.matched
        head["numberMatchedExact"] = result.exact
    head.update(extra or {})
    head["links"] = links
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ' + result.features + "}"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_csv(result: Result, columns: tuple[Column, ...], extra_names: tuple[str, ...] = ()) -> str:
    """Rows from the WKT variant of the page (id, wkt, properties)."""
    rows = json.loads(result.features)
    names = [c.name for c in columns] + list(extra_names)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=LINE_END)
    writer.writerow(["id", *names, "wkt"])
    for row in rows:
        props = row["properties"]
        # csv_value: a text a spreadsheet would run gets a quote (a number such as -2.54 stays).
        writer.writerow([row["id"], *(csv_value(_cell(props.get(n))) for n in names), row["wkt"]])
    return out.getvalue()


def as_html(collection: Collection, result: Result, columns: tuple[Column, ...], links: list[dict]) -> str:
    rows = json.loads(result.features)
    head = "".join(f"<th>{escape(c.title)}</th>" for c in columns)
    body = "".join(
        "<tr><td>" + escape(str(r["id"])) + "</td>"
        + "".join(f"<td>{escape(_cell(r['properties'].get(c.name)))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    nav = " ".join(
        f'<a href="{escape(link["href"])}">{"Berikutnya" if link["rel"] == "next" else "Sebelumnya"}</a>'
        for link in links if link["rel"] in ("prev", "next")
    )
    matched = f" dari {result.matched}" if result.matched >= 0 else ""
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8"><link rel="icon" href="data:,">'
        f"<title>{escape(collection.title)} — Pantau</title></head><body>"
        f"<h1>{escape(collection.title)}</h1><p>{result.returned} fitur{matched}.</p>"
        f"<table><thead><tr><th>ID</th>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"<p>{nav}</p></body></html>"
    )
