"""Vectorised value parsers: a column of strings → parsed values plus masks of what was wrong.

Each parser returns the parsed Series (missing where bad or empty) and boolean masks, so
validation can name the exact reason for each row without a Python loop per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

_ISO_DATE = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]00:00(?::00)?)?$"
_DMY_DATE = r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})$"
_SCIENTIFIC = r"^\d+(?:[.,]\d+)?(?:[eE][+]?\d+)?$"


@dataclass
class Parsed:
    values: pd.Series
    empty: np.ndarray  # nothing given
    invalid: np.ndarray  # given but unreadable
    impossible: np.ndarray | None = None  # dates: the right shape, not on the calendar


def on_distinct(parser):
    """Run a parser once per distinct value: dates, NIBs and codes repeat a lot in a file."""

    def run(s: pd.Series, *args) -> Parsed:
        codes, uniques = pd.factorize(s, sort=False)
        if len(uniques) > 0.7 * len(s):
            return parser(s, *args)
        parsed = parser(pd.Series(uniques, dtype=object), *args)
        values = pd.Series(parsed.values.to_numpy()[codes], index=s.index, dtype=parsed.values.dtype)
        impossible = None if parsed.impossible is None else parsed.impossible[codes]
        return Parsed(values, parsed.empty[codes], parsed.invalid[codes], impossible)

    run.__doc__ = parser.__doc__
    return run


def map_distinct(s: pd.Series, fn) -> pd.Series:
    """fn(value) once per distinct value, mapped back onto the column."""
    codes, uniques = pd.factorize(s, sort=False)
    mapped = np.array([fn(v) for v in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=s.index, dtype=object)


def empty_mask(s: pd.Series) -> np.ndarray:
    return (s == "").to_numpy()


@on_distinct
def parse_number(s: pd.Series) -> Parsed:
    """'-1.822396', '-1,822396' (decimal comma) → float."""
    empty = empty_mask(s)
    text = s.str.replace(" ", "", regex=False)
    comma_only = text.str.contains(",", regex=False) & ~text.str.contains(".", regex=False)
    text = text.where(~comma_only, text.str.replace(",", ".", regex=False))
    values = pd.to_numeric(text.where(~empty, None), errors="coerce")
    invalid = (~empty) & values.isna().to_numpy()
    return Parsed(values.astype(float), empty, invalid)


@on_distinct
def parse_date(s: pd.Series) -> Parsed:
    """YYYY-MM-DD, DD/MM/YYYY (also DD-MM-YYYY, DD.MM.YYYY); XLSX date cells arrive as ISO text.
    Values are normalised ISO dates ('2027-05-31')."""
    empty = empty_mask(s)
    parts = s.str.extract(_ISO_DATE)
    dmy = s.str.extract(_DMY_DATE)
    parts = parts.fillna(dmy)
    shaped = parts["y"].notna().to_numpy()
    nums = parts.apply(pd.to_numeric, errors="coerce")
    stamps = pd.to_datetime(
        pd.DataFrame({"year": nums["y"], "month": nums["m"], "day": nums["d"]}), errors="coerce"
    )
    ok = stamps.notna().to_numpy()
    values = pd.Series([None] * len(s), dtype=object)
    values[ok] = stamps[ok].dt.strftime("%Y-%m-%d")  # ISO text: what COPY reads, sorted like dates
    return Parsed(values, empty, (~empty) & ~shaped, shaped & ~ok)


@on_distinct
def parse_nib(s: pd.Series) -> Parsed:
    """13 digits. Excel turns the NIB into a number: '2090697104809.0' or '2.09069710480e12'."""
    text = s.str.replace(r"[\s.\-]", "", regex=True).where(~s.str.contains(r"[eE,]|\.\d*$", regex=True), s)
    numeric = text.str.match(_SCIENTIFIC) & text.str.contains(r"[eE.,]", regex=True)
    restored = text.copy()
    restored[numeric] = [_restore_integer(v) for v in text[numeric]]
    # Excel drops a leading zero when it stores the NIB as a number.
    twelve = numeric & restored.str.fullmatch(r"\d{12}")
    restored[twelve] = restored[twelve].str.zfill(13)
    empty = empty_mask(s)
    valid = restored.str.fullmatch(r"\d{13}").to_numpy()
    return Parsed(restored.where(valid, None), empty, (~empty) & ~valid)


def _restore_integer(text: str) -> str:
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return text
    return str(int(number)) if number == number.to_integral_value() else text


@on_distinct
def digits_code(s: pd.Series, width: int) -> Parsed:
    """Codes of `width` digits whose leading zeros Excel drops (KBLI '02420' → 2420)."""
    empty = empty_mask(s)
    text = s.str.replace(r"\.0$", "", regex=True)
    short = text.str.fullmatch(rf"\d{{1,{width}}}")
    text = text.where(~short, text.str.zfill(width))
    valid = text.str.fullmatch(rf"\d{{{width}}}").to_numpy()
    return Parsed(text.where(valid, None), empty, (~empty) & ~valid)
