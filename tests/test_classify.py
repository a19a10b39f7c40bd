"""One classification for the web maps and the reports' maps (geo.maps.classify): the same data gets
the same classes on screen (every count shown) and on paper (small counts hidden as "<3"), and no
break gives a hidden count away. The screen and the paper of real outputs are compared end to end in
tests/test_one_truth.py."""

from __future__ import annotations

from geo.maps.build import region_values
from geo.maps.classify import SMALL_COLOR, ZERO_COLOR, classify, classify_report
from geo.reports import staticmaps
from geo.reports.suppress import protect_group

# Workers per regency of the demo data (Kotawaringin Barat = 61), and a case with one small count,
# whose secondary partner (the smallest other count, 7) the report hides too.
DEMO = [61, 103, 35, 28, 35, 47, 54, 0, 14, 228, 17, 19, 14, 30]
ONE_SMALL = [1, 7, 12, 25, 40, 61, 80, 130, 200, 9, 33, 0, 15]


def test_screen_and_paper_get_the_same_classes_and_colours():
    for raw in (DEMO, ONE_SMALL):
        screen = region_values([{"code": str(i), "foreign_workers": v} for i, v in enumerate(raw)], "foreign_workers",
                               "TKA", "per kabupaten/kota", None)
        published = protect_group(raw, 3)
        for paper in (staticmaps.classes(published, 3), classify_report(published, 3), staticmaps.classes(raw, None)):
            assert [tuple(b) for b in screen["breaks"]] == list(paper.breaks)
        paper = staticmaps.classes(published, 3)
        for i, (value, shown) in enumerate(zip(raw, published, strict=True)):
            expected = SMALL_COLOR if shown == "<3" else screen["regions"][str(i)]["fill"]
            assert paper.color(shown) == expected, (value, shown)


def test_kotawaringin_barat_is_in_the_same_class_everywhere():
    c = classify(DEMO, 3)
    assert c.method.startswith("natural breaks (Fisher-Jenks), 5 kelas")
    paper = staticmaps.classes(protect_group(DEMO, 3), 3)
    assert c.color(61) == paper.color(61) and (36, 61) in c.breaks
    assert c.summary().endswith("0 · 14–19 · 20–35 · 36–61 · 62–103 · 104–228")


def test_a_count_hidden_by_the_secondary_rule_sets_no_break():
    published = protect_group(ONE_SMALL, 3)
    assert published[1] == "<3"  # 7: hidden so that the 1 cannot be recovered from the total
    c = classify(ONE_SMALL, 3)
    assert all(7 not in (lo, hi) for lo, hi in c.breaks)
    assert c.breaks[:2] == ((0, 0), (1, 2))
    assert c.color(0) == ZERO_COLOR and c.color(1) == SMALL_COLOR and c.color("<3") == SMALL_COLOR


def test_measures_that_are_not_persons_have_no_small_class():
    c = classify([0, 1, 2, 2, 5], None)
    assert c.breaks == ((0, 0), (1, 1), (2, 2), (5, 5))
    assert classify([0, 1, 2, 2, 5], 3).breaks == ((0, 0), (1, 2), (5, 5))
