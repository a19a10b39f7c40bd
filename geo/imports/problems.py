"""Collects rejections for many rows at once (a mask per reason), then lists them by line."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.imports.report import Rejection
from geo.imports.templates import PERSONAL


class Problems:
    def __init__(self, lines: np.ndarray, column_order: tuple[str, ...]) -> None:
        self.lines = lines
        self.order = {c: i for i, c in enumerate(column_order)}
        self._parts: list[pd.DataFrame] = []

    def add(self, mask, column: str, values: pd.Series | None, reason) -> None:
        """Reject the rows where `mask` is true. `reason` is one text or one per row (a Series)."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        if idx.size == 0:
            return
        if values is None or column in PERSONAL:
            shown = [None] * idx.size  # personal data is never quoted back
        else:
            shown = values.to_numpy()[idx]
        reasons = reason.to_numpy()[idx] if isinstance(reason, pd.Series) else [reason] * idx.size
        self._parts.append(pd.DataFrame({"row": idx, "column": column, "value": shown, "reason": reasons}))

    def add_lines(self, lines, column: str, values, reasons) -> None:
        """Rejections found later by the database, given by file line."""
        position = {int(line): i for i, line in enumerate(self.lines)}
        rows = [position[int(line)] for line in lines]
        if rows:
            self._parts.append(pd.DataFrame({"row": rows, "column": column, "value": list(values), "reason": list(reasons)}))

    def rows(self) -> np.ndarray:
        """Row indexes with at least one problem."""
        if not self._parts:
            return np.array([], dtype=np.int64)
        return np.unique(np.concatenate([p["row"].to_numpy() for p in self._parts]))

    def rejected_mask(self, n: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        mask[self.rows()] = True
        return mask

    def rejections(self) -> list[Rejection]:
        if not self._parts:
            return []
        frame = pd.concat(self._parts, ignore_index=True)
        frame["line"] = self.lines[frame["row"].to_numpy()]
        frame["rank"] = frame["column"].map(lambda c: self.order.get(c.split(",")[0], len(self.order)))
        frame = frame.sort_values(["line", "rank"], kind="stable")
        return [
            Rejection(int(line), column, None if value is None or pd.isna(value) else str(value), reason)
            for line, column, value, reason in frame[["line", "column", "value", "reason"]].itertuples(index=False)
        ]
