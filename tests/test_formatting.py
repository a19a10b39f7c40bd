"""Dates and numbers go through Babel (geo.formatting), never hand-written month names or Python's
English thousands separator patched with replace(",", "."): unit tests of the helpers, and a scan of
the code people read the output of (geo/, api/, static/js) that fails if the hand-made kind comes back."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import get_month_names

from geo import clock, formatting
from geo.maps.classify import Bin
from geo.reports.period import Quarter
from geo.reports.suppress import show

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (7, "7"), (999, "999"), (1000, "1.000"), (1234, "1.234"), (11766, "11.766"),
    (1234567, "1.234.567"), (-1234, "-1.234"), (2.5, "2,5"), (1234.5, "1.234,5"), (2000.0, "2.000"),
])
def test_number_indonesian_grouping_and_decimal_comma(value, text):
    assert formatting.number(value) == text


def test_every_month_name_from_cldr():
    wide = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
            "November", "Desember"]
    assert [formatting.long_date(date(2026, m, 6)) for m in range(1, 13)] == [f"6 {n} 2026" for n in wide]
    assert [formatting.short_date(date(2026, m, 5)) for m in range(1, 13)] == [
        "5 Jan", "5 Feb", "5 Mar", "5 Apr", "5 Mei", "5 Jun", "5 Jul", "5 Agu", "5 Sep", "5 Okt", "5 Nov", "5 Des"]


def test_long_date_inputs():
    assert formatting.long_date(date(2026, 12, 1)) == "1 Desember 2026"
    assert formatting.long_date(datetime(2026, 8, 17, 23, 59)) == "17 Agustus 2026"
    assert formatting.long_date("2026-02-28T10:00:00+07:00") == "28 Februari 2026"
    assert formatting.long_date(None) == "–" and formatting.long_date("", "…") == "…"


def test_the_texts_people_read_keep_their_form():
    """Outputs built on the helpers read as before Babel did the formatting."""
    moment = datetime(2026, 12, 6, 14, 7, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert clock.stamp(moment) == "6 Desember 2026 14:07 WIB"
    window = Quarter.parse("2026-Q4").until(date(2026, 12, 6))
    assert window.label == "2026-Q4 s.d. 6 Desember 2026" and window.short_label == "2026-Q4 s.d. 6 Des"
    assert Quarter.parse("2026-Q3").label == "Triwulan III 2026"  # the government's word, not CLDR's 'Kuartal ke-3'
    assert Bin(1041, 1753, "#f03b20", 1).label == "1.041–1.753" and Bin(0, 0, "#e4e4e4", 1).label == "0"
    assert show(11766) == "11.766" and show("<3") == "<3" and show(None) == "" and show(True) == "ya"


# --- the hand-made kind must not come back -----------------------------------------------------
def _sources() -> list[Path]:
    files = [*ROOT.glob("geo/**/*.py"), *ROOT.glob("api/**/*.py"), *ROOT.glob("api/templates/*.html"),
             *(p for p in ROOT.glob("static/js/*.js"))]
    return sorted(p for p in files if "vendor" not in p.parts)


_MONTHS = sorted({n for width in ("wide", "abbreviated") for n in get_month_names(width, locale="id").values()}
                 | {n for width in ("wide", "abbreviated") for n in get_month_names(width, locale="en").values()}
                 | {"Agt", "Ags", "Nop", "Pebruari", "Nopember"})  # older Indonesian spellings
_ANY_MONTH = "|".join(map(re.escape, _MONTHS))
_WIDE_ID = "|".join(get_month_names("wide", locale="id").values())
_RULES = (
    # Python's ',' grouping is English whatever the locale; patched to '.' it still breaks on decimals.
    ("thousands separator by format spec", re.compile(r"\{[^{}]*:,[^{}]*\}|\"\{:,|'\{:,|format\([^)]*['\"],['\"]\)")),
    ('replace(",", ".") on formatted text', re.compile(r"""\.replace\(\s*(['"]),\1\s*,\s*(['"])\.\2\s*\)""")),
    ("hand-made digit grouping", re.compile(r"\(\\d\{3\}\)\+")),
    ("English month name by strftime (%B/%b)", re.compile(r"%-?[bB]\b")),
    ("month name written out as a string", re.compile(rf"""(['"])(?:{_ANY_MONTH})\1""")),
)
# Reading numbers, not writing them: an Indonesian Excel stores a NIB as '6,20200000000001E+12', and a
# sortable table reads its '1.234,5' cells back.
_ALLOWED = {("geo/imports/parsing.py", 'replace(",", ".") on formatted text'),
            ("static/js/sortable.js", 'replace(",", ".") on formatted text')}


def _violations(files: list[Path], root: Path) -> list[str]:
    found = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        for name, pattern in _RULES:
            if (rel, name) in _ALLOWED:
                continue
            for m in pattern.finditer(text):
                found.append(f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: {name}: {m.group(0)!r}")
        if path.suffix in (".html", ".js"):  # page text: a month name written out at all
            for m in re.finditer(rf"\b(?:{_WIDE_ID})\b", text):
                found.append(f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: month name in page text: {m.group(0)!r}")
    return found


def test_no_hand_made_dates_or_numbers_in_the_code():
    files = _sources()
    assert len(files) > 50  # the scan reads the tree it means to
    assert _violations(files, ROOT) == []


@pytest.mark.parametrize("line", [
    'label = f"{n:,} titik".replace(",", ".")',
    "label = f'{n:,}'",
    '{{ "{:,}".format(summary.companies) }}',
    'text = "{:,}".format(n)',
    'MONTHS = ("Januari", "Februari", "Maret")',
    "MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'Mei']",
    'day.strftime("%d %B %Y")',
    'n.toString().replace(/\\B(?=(\\d{3})+(?!\\d))/g, ".")',
    "value.replace(',', '.')",
])
def test_the_scan_catches_each_kind(tmp_path, line):
    bad = tmp_path / "geo" / "bad.py"
    bad.parent.mkdir()
    bad.write_text(line + "\n")
    assert _violations([bad], tmp_path), line


def test_the_scan_leaves_plain_code_alone(tmp_path):
    ok = tmp_path / "geo" / "ok.py"
    ok.parent.mkdir()
    ok.write_text('"""\'5 Desember 2026 14:07 WIB\'"""\nx = f"{a:>5} {b:.5f} {c:08x}"\nparts = s.split(",")\n'
                  'names = ", ".join(xs)\n')
    assert _violations([ok], tmp_path) == []
