"""Warnings for inspection rows whose notes or follow-up, and activity rows whose targets, findings
or follow-up, seem to hold personal data.

The row is imported as written (the writer may see personal data); the warning tells them that the
text names a worker (or, for activities, a foreign national) or holds a passport/ITAS-shaped number
and is masked for roles without personal access (geo.redaction). Warnings never quote the text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import activity_text, redaction
from geo.db import Connection
from geo.imports.report import RowWarning

COLUMNS = {"notes": "keterangan", "follow_up": "tindak_lanjut"}  # validated field → template column
ACTIVITY_COLUMNS = {"targets": "sasaran", "findings": "temuan", "follow_up": "tindak_lanjut"}


def free_text_warnings(conn: Connection, kind: str, frame: pd.DataFrame, lines: np.ndarray) -> list[RowWarning]:
    """`frame` is the validated frame (company_id, notes, follow_up), `lines` its file lines."""
    if kind == "activities" and not frame.empty:
        return _activity_warnings(conn, frame, lines)
    if kind != "inspections" or frame.empty:
        return []
    company = [None if pd.isna(c) else int(c) for c in frame["company_id"]]
    texts = {field: [t if isinstance(t, str) and t else None for t in frame[field]] for field in COLUMNS}
    workers = redaction.load(conn, {c for field in COLUMNS for c, t in zip(company, texts[field], strict=True) if t})
    anonymous: dict[str, list[str]] = {}  # findings of a text that quotes none of the workers
    out = []
    for i, line in enumerate(lines):
        for field, column in COLUMNS.items():
            if not (text := texts[field][i]):
                continue
            known = workers.for_text(company[i], text)
            if known is not redaction.NOBODY:
                kinds = redaction.findings(text, known)
            elif (kinds := anonymous.get(text)) is None:
                kinds = anonymous[text] = redaction.findings(text)
            if kinds:
                out.append(RowWarning(int(line), column, redaction.caution(kinds)))
    return out


def _activity_warnings(conn: Connection, frame: pd.DataFrame, lines: np.ndarray) -> list[RowWarning]:
    """The persons an activity's text may name are any foreign national's or worker's
    (geo.activity_text.named, read on the import's own transaction)."""
    texts = {field: [t if isinstance(t, str) and t else None for t in frame[field]] for field in ACTIVITY_COLUMNS}
    known = activity_text.named(conn, [t for column in texts.values() for t in column])
    if known is redaction.NOBODY:
        return []
    out = []
    for i, line in enumerate(lines):
        for field, column in ACTIVITY_COLUMNS.items():
            if (text := texts[field][i]) and (kinds := redaction.findings(text, known)):
                out.append(RowWarning(int(line), column, _caution(kinds)))
    return out


_KINDS_ID = {"name": "nama orang asing", "number": "nomor berbentuk paspor/izin"}
_KINDS_EN = {"name": "a foreign national's name", "number": "a passport/permit-shaped number"}


def _caution(kinds: list[str]) -> str:
    return (f"teks memuat {' dan '.join(_KINDS_ID[k] for k in kinds)}; tetap disimpan, tetapi disamarkan bagi "
            f"peran tanpa akses data pribadi (text holds {' and '.join(_KINDS_EN[k] for k in kinds)}; saved, "
            f"but masked for roles without personal access)")
