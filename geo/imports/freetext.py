"""Warnings for inspection rows whose notes or follow-up seem to hold personal data.

The row is imported as written (the writer may see personal data); the warning tells them that the
text names a worker or holds a passport/ITAS-shaped number and is masked for roles without personal
access (geo.redaction). Warnings never quote the text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import redaction
from geo.db import Connection
from geo.imports.report import RowWarning

COLUMNS = {"notes": "keterangan", "follow_up": "tindak_lanjut"}  # validated field → template column


def free_text_warnings(conn: Connection, kind: str, frame: pd.DataFrame, lines: np.ndarray) -> list[RowWarning]:
    """`frame` is the validated frame (company_id, notes, follow_up), `lines` its file lines."""
    if kind != "inspections" or frame.empty:
        return []
    texts = frame[list(COLUMNS)].astype(object).where(frame[list(COLUMNS)].notna(), None)
    company = frame["company_id"].astype(object).where(frame["company_id"].notna(), None)
    with_text = texts.notna().any(axis=1).to_numpy()
    workers = redaction.load(conn, company[with_text])
    out = []
    for i in np.flatnonzero(with_text):
        for field, column in COLUMNS.items():
            text = texts[field].iloc[i]
            kinds = redaction.findings(text, workers.for_text(company.iloc[i], text))
            if kinds:
                out.append(RowWarning(int(lines[i]), column, redaction.caution(kinds)))
    return out
