"""Free text (inspection notes and follow-up) for roles without personal access.

A note can name a worker and quote their passport or ITAS number, so free text is personal data
(UU 27/2022) unless the audience may see personal data. For everyone else `mask_rows` replaces, in
the rows as they are read:

- passport- and ITAS-shaped numbers: a run of 5 or more letters/digits with at least one digit
  (imports accept passports of 5-20 letters/digits; ITAS numbers have the same shape);
- the passport and ITAS numbers of the company's workers, also when written with spaces or hyphens;
- the full names of the company's workers, and each part of a name of 4 or more letters,

with MASK, case-insensitively and only as whole words, so ordinary words and short numbers
(dates, years, counts) stay as they are. `findings` tells writers what a text contains, for the
warnings at import and edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from geo.db import Connection, single_read

MASK = "[disamarkan]"
FREE_TEXT = ("notes", "follow_up")

_NUMBER = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z]*[0-9])[A-Za-z0-9]{5,}(?![A-Za-z0-9])")
_WORD = re.compile(r"\w+")
_SEPARATOR = r"[\s./-]?"  # how a number may be broken up in a note: "EZ 9911 001", "EZ-991-1001"
_RUNS = re.compile(re.escape(MASK) + r"(?:\s+" + re.escape(MASK) + r")+")
MIN_NAME_PART = 4  # shorter parts ("LI", "NA", "BIN") are masked only within the full name


@dataclass(frozen=True)
class Known:
    """The personal values of one company's workers that a note may quote."""

    names: tuple[tuple[str, ...], ...] = ()  # each name as its words, lower case
    numbers: tuple[str, ...] = ()  # passport and ITAS numbers, letters and digits only, lower case
    words: frozenset[str] = field(default=frozenset())  # every name word: a cheap first test

    @classmethod
    def of(cls, workers: Iterable[tuple[str | None, str | None, str | None]]) -> Known:
        """From (full_name, passport_number, itas_number) rows."""
        names, numbers = set(), set()
        for full_name, *ids in workers:
            words = tuple(_WORD.findall((full_name or "").lower()))
            if words:
                names.add(words)
            for value in ids:
                compact = re.sub(r"[^a-z0-9]", "", (value or "").lower())
                if len(compact) >= 3:
                    numbers.add(compact)
        return cls(tuple(sorted(names)), tuple(sorted(numbers)), frozenset(w for n in names for w in n))

    @cached_property
    def names_pattern(self) -> re.Pattern | None:
        """Full names (any separators between the words), then name parts of 4+ letters."""
        parts = {r"\W+".join(map(re.escape, name)) for name in self.names}
        parts |= {re.escape(w) for w in self.words if sum(ch.isalpha() for ch in w) >= MIN_NAME_PART}
        return _whole_words(parts)

    @cached_property
    def numbers_pattern(self) -> re.Pattern | None:
        return _whole_words({_SEPARATOR.join(map(re.escape, number)) for number in self.numbers})

    def may_occur_in(self, text: str) -> bool:
        """False when no name word and no number of these workers can be in `text` (most notes)."""
        low = text.lower()
        if self.words and not self.words.isdisjoint(_WORD.findall(low)):
            return True
        compact = re.sub(r"[^a-z0-9]", "", low)
        return any(number in compact for number in self.numbers)


def _whole_words(parts: set[str]) -> re.Pattern | None:
    if not parts:
        return None
    alternation = "|".join(sorted(parts, key=lambda p: (-len(p), p)))  # longest first
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


NOBODY = Known()


def _known_patterns(text: str, known: Known) -> list[tuple[str, re.Pattern]]:
    if not known.may_occur_in(text):
        return []
    return [(kind, p) for kind, p in (("name", known.names_pattern), ("number", known.numbers_pattern)) if p]


def mask(text: str | None, known: Known = NOBODY) -> str | None:
    """`text` with the workers' names and numbers and every passport/ITAS-shaped number masked."""
    if not text:
        return text
    out = text
    for _, pattern in _known_patterns(out, known):
        out = pattern.sub(MASK, out)
    out = _NUMBER.sub(MASK, out)
    return _RUNS.sub(MASK, out) if out != text else text


def findings(text: str | None, known: Known = NOBODY) -> list[str]:
    """What personal data `text` seems to hold: 'name' and/or 'number' (never the values)."""
    if not text:
        return []
    found = {kind for kind, pattern in _known_patterns(text, known) if pattern.search(text)}
    if _NUMBER.search(text):
        found.add("number")
    return sorted(found)


def load(conn: Connection, company_ids: Iterable[int]) -> dict[int, Known]:
    """Known values per company (all its workers, former ones too: a note may name them)."""
    ids = sorted({int(i) for i in company_ids if i is not None})
    if not ids:
        return {}
    with single_read(conn) as cur:  # inside the caller's transaction, if any (an import's)
        cur.execute("SELECT company_id, full_name, passport_number, itas_number FROM foreign_workers "
                    "WHERE company_id = ANY(%s)", (ids,))
        rows = cur.fetchall()
    by_company: dict[int, list[tuple]] = {}
    for company_id, *values in rows:
        by_company.setdefault(company_id, []).append(tuple(values))
    return {cid: Known.of(values) for cid, values in by_company.items()}


def mask_rows(conn: Connection, rows: list[dict], *, company_key: str = "company_id",
              fields: tuple[str, ...] = FREE_TEXT) -> list[dict]:
    """Mask the free-text `fields` of `rows` (in place) for an audience without personal access."""
    with_text = [r for r in rows if any(r.get(f) for f in fields)]
    known = load(conn, (r[company_key] for r in with_text))
    for row in with_text:
        company = known.get(row[company_key], NOBODY)
        for f in fields:
            row[f] = mask(row.get(f), company)
    return rows


_KINDS_ID = {"name": "nama TKA", "number": "nomor berbentuk paspor/ITAS"}
_KINDS_EN = {"name": "a worker's name", "number": "a passport/ITAS-shaped number"}


def caution(kinds: list[str]) -> str:
    """The warning a writer gets for a text holding `kinds` (see `findings`); never the values."""
    return (f"teks memuat {' dan '.join(_KINDS_ID[k] for k in kinds)}; tetap disimpan, tetapi disamarkan bagi "
            f"peran tanpa akses data pribadi (text holds {' and '.join(_KINDS_EN[k] for k in kinds)}; saved, "
            f"but masked for roles without personal access)")


def record_warnings(conn: Connection, company_id: int, record: dict, fields: tuple[str, ...] = FREE_TEXT) -> list[dict]:
    """Warnings for an edited record's free text: [{"field", "reason"}]."""
    if not any(record.get(f) for f in fields):
        return []
    known = load(conn, [company_id]).get(company_id, NOBODY)
    return [{"field": f, "reason": caution(kinds)} for f in fields if (kinds := findings(record.get(f), known))]
