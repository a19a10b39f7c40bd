"""geo.redaction.Known.spans finds the same names and numbers whatever the number of persons known:
with many (a province's, for a report) it looks the text's words and pieces up instead of testing
each person against the text. Compared here with the direct test of every person (the reference
below, the code before that change) on generated texts."""

from __future__ import annotations

import random
import string

import pytest

from geo import redaction
from geo.redaction import _DIGIT, _NOT_ALNUM, Known


def reference_name_spans(people, text: str) -> list[tuple[int, int]]:
    """Every person's name tested at every word of the text, and their name words of 4+ letters."""
    words = [(m.start(), m.end(), m.group().lower()) for m in redaction._WORD.finditer(text)]
    names = {tuple(redaction._WORD.findall(p[0].lower())) for p in people if p[0]}
    parts = {w for n in names for w in n if len(w) >= redaction.MIN_NAME_PART and w.isalpha()}
    out = [(s, e) for s, e, w in words if w in parts]
    for name in names:
        for i in range(len(words) - len(name) + 1):
            if tuple(w[2] for w in words[i:i + len(name)]) == name:
                out.append((words[i][0], words[i + len(name) - 1][1]))
    return out


def reference_spans(known: Known, text: str, people):
    low = text.lower()
    names = reference_name_spans(people, text)
    numbers = []
    if known.numbers and _DIGIT.search(low):
        compact = _NOT_ALNUM.sub("", low)
        if any(n in compact for n in known.numbers):
            at = [i for i, ch in enumerate(text) if ch.isascii() and ch.isalnum()]
            compact = "".join(text[i] for i in at).lower()
            for number in known.numbers:
                pos = compact.find(number)
                while pos >= 0:
                    idx = at[pos:pos + len(number)]
                    if all(b == a + 1 or (b == a + 2 and text[a + 1] in redaction._BREAKS)
                           for a, b in zip(idx, idx[1:], strict=False)):
                        numbers.append((idx[0], idx[-1] + 1))
                    pos = compact.find(number, pos + 1)
    return sorted(names), sorted(numbers)


def _persons(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    words = ["Zhang", "Wei", "Li", "Na", "Kim", "Jisoo", "José", "Álvarez", "Nguyễn", "Văn", "O'Brien", "Bin", "Ahmad"]
    out = []
    for i in range(n):
        name = " ".join(rng.sample(words, rng.randint(1, 3))) + f" X{i}Y"
        passport = rng.choice(string.ascii_uppercase) + str(rng.randint(100, 99_999_999))
        itas = rng.choice(["", f"ITAS-{rng.randint(10, 999)}/{rng.randint(1, 9)}"])
        out.append((name, passport, itas))
    return out


def _texts(rng: random.Random, persons, n: int) -> list[str]:
    filler = ["rapat", "dengan", "pemeriksaan", "dokumen", "di", "PT", "Sawit", "2026", "no", "12", "A1", "-", "/"]
    out = []
    for _ in range(n):
        parts = rng.sample(filler, 5)
        name, passport, itas = rng.choice(persons)
        pick = rng.random()
        if pick < 0.3:
            parts.insert(2, name.split()[0])
        elif pick < 0.5:
            parts.insert(1, name)
        elif pick < 0.7:  # a number broken up as people write them
            cut = rng.randint(1, len(passport) - 1)
            parts.insert(3, passport[:cut] + rng.choice([" ", "-", "."]) + passport[cut:])
        elif pick < 0.8 and itas:
            parts.append(itas)
        out.append(" ".join(parts))
    return out


@pytest.mark.parametrize("persons", [5, 60, 500])
def test_the_same_spans_as_testing_every_person(persons):
    rng = random.Random(persons)
    people = _persons(rng, persons)
    known = Known.of(people)
    texts = _texts(rng, people, 400)
    found = 0
    for text in texts:
        names, numbers = known.spans(text)
        assert (sorted(names), sorted(numbers)) == reference_spans(known, text, people), text
        found += bool(names or numbers)
    assert found > 100  # the texts do quote persons


def test_names_sharing_their_first_word():
    """Thousands of names with the same first word (as the demo's "Pekerja 123"): each name that
    starts with a word of the text is looked up by its length, not compared one by one."""
    rng = random.Random(7)
    people = [(f"Pekerja {i} {rng.choice(['Wei', 'Kim', 'Ali'])}" if i % 3 else f"Pekerja {i}", f"P{i:07d}", "")
              for i in range(20_000)]
    known = Known.of(people)
    texts = [f"rapat dengan Pekerja {rng.randrange(25_000)} {rng.choice(['Wei', 'Kim', 'Ali', 'dan'])} "
             f"lalu pekerja {rng.randrange(25_000)}" for _ in range(60)]
    for text in texts:
        names, _ = known.spans(text)
        assert sorted(names) == sorted(reference_name_spans(people, text)), text
    assert sum(bool(known.spans(t)[0]) for t in texts) > 30
