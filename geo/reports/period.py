"""Reporting periods: calendar quarters written like 2026-Q3, and the part of a quarter a report
can cover when the quarter is not over yet ("2026-Q4 s.d. 5 Desember 2026")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from geo.formatting import long_date, short_date

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
# 'Triwulan III 2026' as government reports write it; CLDR's Indonesian quarter is 'Kuartal ke-3'.
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class PeriodError(ValueError):
    """A period that is not a quarter; the message names the parameter and the value."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = _QUARTER.match((text or "").strip().upper())
        if not m or not 2000 <= int(m.group(1)) <= 2100:
            raise PeriodError(f"period: {text!r} is not a quarter (e.g. 2026-Q3)")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def back(self, n: int) -> list[Quarter]:
        """The n quarters ending with this one, oldest first."""
        out = [self]
        while len(out) < n:
            out.append(out[-1].previous())
        return out[::-1]

    def __str__(self) -> str:
        return f"{self.year}-Q{self.q}"

    @property
    def label(self) -> str:
        """As a report title says it: 'Triwulan III 2026'."""
        return f"Triwulan {ROMAN[self.q]} {self.year}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def until(self, day: date) -> Window:
        """The quarter up to `day` (the whole quarter once `day` is past its end)."""
        return Window(self, max(min(day, self.end), self.start - timedelta(days=1)))


@dataclass(frozen=True)
class Window:
    """The days of a quarter a figure covers: all of them, or its first days up to `end` while the
    quarter is running. Counts of a running quarter are compared with the same number of days of
    the previous one (29 inspections in 66 days against 58 in 92 would read as a fall)."""

    quarter: Quarter
    end: date  # the last day counted; the day before the start when the quarter has not begun

    @property
    def start(self) -> date:
        return self.quarter.start

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def partial(self) -> bool:
        return self.end < self.quarter.end

    @property
    def label(self) -> str:
        """'2026-Q3', or '2026-Q4 s.d. 5 Desember 2026' while the quarter is running."""
        if not self.partial:
            return str(self.quarter)
        return f"{self.quarter} s.d. {long_date(self.end)}"

    @property
    def short_label(self) -> str:
        """For chart axes: '2026-Q4' or '2026-Q4 s.d. 5 Des'."""
        if not self.partial:
            return str(self.quarter)
        return f"{self.quarter} s.d. {short_date(self.end)}"

    def previous(self) -> Window:
        """The previous quarter over as many days as this window (its whole length when this one is
        complete, and never beyond its own end)."""
        prev = self.quarter.previous()
        if not self.partial:
            return Window(prev, prev.end)
        return Window(prev, min(prev.start + timedelta(days=self.days - 1), prev.end))
