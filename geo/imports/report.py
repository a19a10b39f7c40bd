"""The import report: counts, every rejected row (line, column, value, reason) and warnings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Rejection:
    line: int  # file line (CSV) or sheet row (XLSX); the header is line 1
    column: str
    value: str | None  # None for personal fields, which are never quoted
    reason: str  # Indonesian, with the English in parentheses


@dataclass(frozen=True)
class RowWarning:
    """Something a writer should know about a row that was not rejected (never quotes the value)."""

    line: int
    column: str
    reason: str  # Indonesian, with the English in parentheses


@dataclass
class ImportReport:
    kind: str
    file: str
    sha256: str
    mode: str
    source: str
    rows_total: int = 0
    valid: int = 0  # rows that passed every check (what --check would import or update)
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)  # e.g. personal data in free text
    committed: bool = False
    batch_id: int | None = None

    @property
    def rejected_lines(self) -> list[int]:
        return sorted({r.line for r in self.rejected})

    def as_dict(self) -> dict:
        out = asdict(self)
        out["rejected_rows"] = len(self.rejected_lines)
        return out
