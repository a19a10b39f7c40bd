"""Dates and numbers as Indonesians write them, through Babel (CLDR's "id" locale).

One place for the web pages (Jinja filters `long_date` and `number`), the PDF, HTML and XLSX reports,
map legends and the command line, so a figure reads the same on screen and on paper: '1.234',
'6 Desember 2026', '5 Des'. Times of day keep the 24-hour '14:07' of geo.clock, and quarters the
government's 'Triwulan III 2026' (geo.reports.period) where CLDR says 'Kuartal ke-3'.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = Locale.parse("id")


def number(value: int | float) -> str:
    """'1.234', '-1.234.567', '2,5': '.' groups thousands, ',' marks decimals (at most three)."""
    if type(value) is int:  # counts; floats, Decimals and numpy numbers are formatted as they come
        return _integer(value)
    return format_decimal(value, locale=LOCALE)


@lru_cache(maxsize=4096)  # report tables print the same few hundred counts many times
def _integer(value: int) -> str:
    return format_decimal(value, locale=LOCALE)


def long_date(value: date | datetime | str | None, empty: str = "–") -> str:
    """'1 Desember 2026'. A datetime gives its own day (convert it to the province's time first:
    geo.clock), an ISO text its first ten characters; None or '' gives `empty`."""
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return _long_date(value)


@lru_cache(maxsize=4096)  # a report prints the same few hundred days many times
def _long_date(day: date) -> str:
    return format_date(day, "d MMMM y", locale=LOCALE)


def short_date(day: date) -> str:
    """'5 Des': a day on a chart axis."""
    return format_date(day, "d MMM", locale=LOCALE)
