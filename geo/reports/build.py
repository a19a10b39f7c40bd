"""One entry point for the CLI and the API: options in, file bytes out."""

from __future__ import annotations

from dataclasses import dataclass

from geo.db import Connection
from geo.reports import content as content_mod
from geo.reports import geometry
from geo.settings import home_province

FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "html": ("text/html; charset=utf-8", "html"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


class ReportError(ValueError):
    """Bad report options; the message names the parameter and the value."""


@dataclass(frozen=True)
class Report:
    body: bytes
    media_type: str
    filename: str
    hash: str


def build_report(conn: Connection, opts: content_mod.Options, fmt: str) -> Report:
    if fmt not in FORMATS:
        raise ReportError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    c = content_mod.assemble(conn, opts)
    if c["meta"]["agency_name"] is None:
        raise ReportError(f"agency: unknown agency {opts.agency!r}")
    if fmt == "pdf":
        from geo.reports import pdf

        body = pdf.render(c, geometry.load(conn, home_province()))
    elif fmt == "html":
        from geo.reports import html

        body = html.render(c, conn)
    else:
        from geo.reports import xlsx

        body = xlsx.render(c)
    media, ext = FORMATS[fmt]
    region = (opts.flt.regency_code or home_province()).replace(".", "")
    return Report(body, media, f"laporan-tka-{region}-{opts.period}-{c['meta']['hash']}.{ext}", c["meta"]["hash"])
