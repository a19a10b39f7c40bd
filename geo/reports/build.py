"""One entry point for the CLI and the API: options in, file bytes out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from geo import clock
from geo.db import Connection
from geo.reports import content as content_mod
from geo.reports import geometry

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


# (percent, step) as a background job shows them; what a user reads, in Indonesian.
Progress = Callable[[int, str], None]
STEP_DATA = "membaca data (reading the data)"
STEP_RENDER = {"pdf": "menggambar peta dan tabel PDF (drawing the PDF maps and tables)",
               "html": "menyusun peta HTML (building the HTML maps)",
               "xlsx": "menyusun lembar XLSX (building the XLSX sheets)"}


def build_report(conn: Connection, opts: content_mod.Options, fmt: str, progress: Progress | None = None) -> Report:
    if fmt not in FORMATS:
        raise ReportError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    step = progress or (lambda _pct, _text: None)
    step(5, STEP_DATA)
    c = content_mod.assemble(conn, opts)
    if c["meta"]["agency_name"] is None:
        raise ReportError(f"agency: unknown agency {opts.agency!r}")
    step(30, STEP_RENDER[fmt])
    if fmt == "pdf":
        from geo.reports import pdf

        # Most of a PDF's time is its atlas maps: the bar moves with each (35-85), then the pages are laid out.
        def atlas(done: int, total: int) -> None:
            step(35 + 50 * done // max(total, 1), "menyusun halaman PDF (laying out the pages)" if done == total
                 else f"menggambar peta atlas {done} dari {total} (drawing atlas maps)")

        body = pdf.render(c, geometry.load(conn, clock.province()), progress=atlas if progress else None)
    elif fmt == "html":
        from geo.reports import html

        body = html.render(c, conn)
    else:
        from geo.reports import xlsx

        body = xlsx.render(c)
    step(95, "menyimpan berkas (storing the file)")
    media, ext = FORMATS[fmt]
    region = (opts.flt.regency_code or clock.province()).replace(".", "")
    return Report(body, media, f"laporan-tka-{region}-{opts.period}-{c['meta']['hash']}.{ext}", c["meta"]["hash"])
