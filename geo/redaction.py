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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

from geo.db import Connection, single_read

MASK = "[disamarkan]"
FREE_TEXT = ("notes", "follow_up")

_NUMBER = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z]*[0-9])[A-Za-z0-9]{5,}(?![A-Za-z0-9])")
_DIGIT = re.compile(r"[0-9]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_WORD = re.compile(r"\w+")
_BREAKS = " \t\n./-"  # one of these may break up a number in a note: "EZ 9911 001", "EZ-991-1001"
_RUNS = re.compile(re.escape(MASK) + r"(?:\s+" + re.escape(MASK) + r")+")
MEMO_TEXTS = 20_000  # distinct texts remembered per read
FEW_NUMBERS = 64  # up to this many known numbers, each is looked for in a text directly
MIN_NAME_PART = 4  # shorter parts ("LI", "NA", "BIN") are masked only within the full name


def is_part(word: str) -> bool:
    """Whether a word of a name is masked on its own, wherever it stands (lower case)."""
    return len(word) >= MIN_NAME_PART and word.isalpha()


@dataclass(frozen=True)
class Known:
    """The personal values of one company's workers that a note may quote."""

    name_lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)  # first word → word counts of the names
    full_names: frozenset[tuple[str, ...]] = frozenset()  # each name's words
    parts: frozenset[str] = frozenset()  # name words of 4+ letters, masked on their own
    numbers: tuple[str, ...] = ()  # passport and ITAS numbers, letters and digits only, lower case
    cues: frozenset[str] = frozenset()  # a word of every name: no cue in a text, no name in it

    @classmethod
    def of(cls, workers: Iterable[tuple[str | None, str | None, str | None]], parts: Iterable[str] = ()) -> Known:
        """From (full_name, passport_number, itas_number) rows. Numbers are kept as lower-case
        letters and digits, 3 or more with at least one digit (without, they are words). `parts`:
        more words masked on their own (lower case, is_part), of names not among the rows."""
        names, numbers = set(), set()
        for full_name, *ids in workers:
            if full_name and (words := tuple(_WORD.findall(full_name.lower()))):
                names.add(words)
            numbers |= {n for v in ids if len(n := _NOT_ALNUM.sub("", (v or "").lower())) >= 3 and _DIGIT.search(n)}
        by_first: dict[str, set[int]] = {}
        for name in names:
            by_first.setdefault(name[0], set()).add(len(name))
        parts = {w for n in names for w in n if is_part(w)} | set(parts)
        return cls({k: tuple(sorted(v)) for k, v in by_first.items()}, frozenset(names), frozenset(parts),
                   tuple(sorted(numbers)), frozenset(parts | {max(n, key=len) for n in names}))

    def spans(self, text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Where the workers' names and numbers are in `text`: (name spans, number spans). Set
        lookups of the text's words and pieces rule most notes out before any name is matched, in
        time that does not grow with how many persons are known (a province's, for a report)."""
        low = text.lower()
        names = []
        # Every name has a word among the cues, so a text without one holds no name.
        if self.cues and not self.cues.isdisjoint(m.group().lower() for m in _WORD.finditer(text)):
            names = self._name_spans(text)
        numbers = []
        if self.numbers and _DIGIT.search(low) and self._numbers_in(_NOT_ALNUM.sub("", low)):
            numbers = self._number_spans(text)
        return names, numbers

    @cached_property
    def _number_set(self) -> frozenset[str]:
        return frozenset(self.numbers)

    @cached_property
    def _number_lengths(self) -> tuple[int, ...]:
        return tuple(sorted({len(n) for n in self.numbers}))

    def _numbers_in(self, compact: str) -> list[str]:
        """The known numbers `compact` holds: with many known, by looking its pieces of their lengths up."""
        if len(self.numbers) <= FEW_NUMBERS:
            return [n for n in self.numbers if n in compact]
        pieces = {compact[i:i + k] for k in self._number_lengths for i in range(len(compact) - k + 1)}
        return sorted(pieces & self._number_set)

    def _name_spans(self, text: str) -> list[tuple[int, int]]:
        words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]
        out = []
        for i, (start, end, word) in enumerate(words):
            if word in self.parts:
                out.append((start, end))
            # The text's words from here, as long as each name that starts with this word: looked up,
            # so a first word that thousands of names share costs no more than a rare one.
            for length in self.name_lengths.get(word, ()):
                if i + length <= len(words) and tuple(w[2] for w in words[i:i + length]) in self.full_names:
                    out.append((start, words[i + length - 1][1]))
        return out

    def _number_spans(self, text: str) -> list[tuple[int, int]]:
        at = [i for i, ch in enumerate(text) if ch.isascii() and ch.isalnum()]
        compact = "".join(text[i] for i in at).lower()
        out = []
        for number in self._numbers_in(compact):
            pos = compact.find(number)
            while pos >= 0:
                idx = at[pos:pos + len(number)]
                if all(b == a + 1 or (b == a + 2 and text[a + 1] in _BREAKS) for a, b in pairwise(idx)):
                    out.append((idx[0], idx[-1] + 1))
                pos = compact.find(number, pos + 1)
        return out


NOBODY = Known()


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:  # overlaps the span before: extend it
            if end > last:
                last = end
            continue
        out += [text[last:start], MASK]
        last = end
    return "".join(out) + text[last:]


def mask(text: str | None, known: Known = NOBODY) -> str | None:
    """`text` with the workers' names and numbers and every passport/ITAS-shaped number masked."""
    if not text:
        return text
    names, numbers = known.spans(text)
    if not (names or numbers):
        return _mask_shapes(text)
    return _RUNS.sub(MASK, _NUMBER.sub(MASK, _replace(text, names + numbers)))


def _mask_shapes(text: str) -> str:
    if not _DIGIT.search(text):  # every masked number shape holds a digit
        return text
    out = _NUMBER.sub(MASK, text)
    return _RUNS.sub(MASK, out) if out != text else text


def findings(text: str | None, known: Known = NOBODY) -> list[str]:
    """What personal data `text` seems to hold: 'name' and/or 'number' (never the values)."""
    if not text:
        return []
    names, numbers = known.spans(text)
    return (["name"] if names else []) + (["number"] if numbers or _NUMBER.search(text) else [])


class Workers:
    """The workers of many companies, for masking their texts. Most notes quote nobody: one set of
    every name word, and the company's numbers for a text with a digit, rule them out, and a
    company's `Known` is built only for a text that may quote one of its workers."""

    def __init__(self, rows: Iterable[tuple[int, str | None, str | None, str | None]]) -> None:
        """`rows`: (company_id, full_name, passport_number, itas_number), the numbers as lower-case
        letters and digits only (as `load` reads them)."""
        self._rows: dict[int, list[tuple]] = {}
        for company_id, name, passport, itas in rows:
            self._rows.setdefault(company_id, []).append((name, passport, itas))
        names = " ".join(v[0] for vs in self._rows.values() for v in vs if v[0])
        self._words = frozenset(_WORD.findall(names.lower()))
        self._known: dict[int, Known] = {}
        self._numbers: dict[int, list[str]] = {}
        # Notes repeat (templates, "Tidak ada tindak lanjut."): what is learnt about a text is kept
        # for this read only, never beyond it.
        self._texts: dict[str, tuple[bool, str | None]] = {}  # text → (names possible, compact if digits)
        self._anonymous: dict[str, str] = {}  # text → masked, when it quotes none of the workers

    def known(self, company_id) -> Known:
        if company_id not in self._rows:
            return NOBODY
        if company_id not in self._known:
            self._known[company_id] = Known.of(self._rows[company_id])
        return self._known[company_id]

    def for_text(self, company_id, text: str | None) -> Known:
        """The company's Known when `text` may quote one of its workers, else NOBODY."""
        if not text or company_id not in self._rows:
            return NOBODY
        seen = self._texts.get(text)
        if seen is None:
            low = text.lower()
            seen = (not self._words.isdisjoint(_WORD.findall(low)),
                    _NOT_ALNUM.sub("", low) if _DIGIT.search(low) else None)
            if len(self._texts) < MEMO_TEXTS:
                self._texts[text] = seen
        names, compact = seen
        if names or (compact and any(n in compact for n in self._numbers_of(company_id))):
            return self.known(company_id)
        return NOBODY

    def mask(self, company_id, text: str) -> str:
        """`mask` with the company's workers (see `for_text`)."""
        known = self.for_text(company_id, text)
        if known is not NOBODY:
            return mask(text, known)
        out = self._anonymous.get(text)
        if out is None:
            out = _mask_shapes(text)
            if len(self._anonymous) < MEMO_TEXTS:
                self._anonymous[text] = out
        return out

    def _numbers_of(self, company_id) -> list[str]:
        if company_id not in self._numbers:
            self._numbers[company_id] = [v for _, *ids in self._rows[company_id] for v in ids if v and len(v) >= 3]
        return self._numbers[company_id]


def load(conn: Connection, company_ids: Iterable[int]) -> Workers:
    """The workers of these companies (former ones too: a note may name them)."""
    ids = sorted({int(i) for i in company_ids if i is not None and i == i})  # i == i: not NaN
    if not ids:
        return Workers(())
    with single_read(conn) as cur:  # inside the caller's transaction, if any (an import's)
        # Passport numbers are stored as letters and digits already (imports and edits check them).
        cur.execute("SELECT w.company_id, w.full_name, lower(w.passport_number), "
                    "lower(regexp_replace(w.itas_number, '[^A-Za-z0-9]', '', 'g')) "
                    "FROM foreign_workers w JOIN unnest(%s::bigint[]) AS c(id) ON c.id = w.company_id", (ids,))
        return Workers(cur.fetchall())


def mask_rows(conn: Connection, rows: list[dict], *, company_key: str = "company_id",
              fields: tuple[str, ...] = FREE_TEXT) -> list[dict]:
    """Mask the free-text `fields` of `rows` (in place) for an audience without personal access."""
    company_ids = [r[company_key] for r in rows]
    masked = mask_columns(conn, company_ids, [[r.get(f) for r in rows] for f in fields])
    for f, values in zip(fields, masked, strict=True):
        for row, value in zip(rows, values, strict=True):
            if f in row:
                row[f] = value
    return rows


def mask_columns(conn: Connection, company_ids: Sequence, columns: Sequence[Sequence[str | None]]) -> list[list]:
    """Columns of texts, each aligned with `company_ids`, masked for an audience without personal
    access (one read of the companies' workers for all of them)."""
    # Not a text (None, or pandas' NaN for a missing value): left as it is.
    workers = load(conn, {c for col in columns for c, t in zip(company_ids, col, strict=True)
                          if isinstance(t, str) and t})
    return [[workers.mask(c, t) if isinstance(t, str) and t else t
             for c, t in zip(company_ids, col, strict=True)] for col in columns]


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
    known = load(conn, [company_id]).known(company_id)
    return [{"field": f, "reason": caution(kinds)} for f in fields if (kinds := findings(record.get(f), known))]
